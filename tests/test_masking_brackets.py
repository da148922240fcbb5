"""Numbers in brackets beside other numbers: what staff read in a transcript keeps no stray bracket."""

from __future__ import annotations

from lookup.masking import redact


def test_a_bracketed_number_followed_by_another_takes_its_brackets_with_it() -> None:
    """'SĐT (0905 123 456) 0906 789 123': two numbers; the first one's brackets go with it, as they
    do when it stands alone, not a ')' left between the two masked numbers."""
    assert redact("SĐT (0905 123 456) 0906 789 123") == "SĐT 09******56 09******23"
    assert redact("(0905.123.456)-0906.789.123") == "09******56-09******23"


def test_a_count_after_a_bracketed_phone_number_stays_a_count() -> None:
    """'gọi (0905 123 456) 12 lần': the bracket closes the phone number, so the 12 after it is the
    citizen's count, not the last two digits of one 12-digit ID that swallowed it."""
    assert redact("gọi (0905 123 456) 12 lần") == "gọi 09******56 12 lần"
    assert redact("(số cũ: 0905 123 456) 12 lần") == "(số cũ: 09******56) 12 lần"
    assert redact("CCCD (062 090 001 234) 2 bản") == "CCCD 062*******34 2 bản"
    # A bracket closing after a part that is no number by itself still joins the parts.
    assert redact("(+84) 905 123 456 gọi 3 lần") == "84*******56 gọi 3 lần"
    assert redact("(0260) 3862 123") == "02*******23"


def test_a_bracket_left_open_before_a_number_goes_with_it_and_the_text_after_stays() -> None:
    """'gọi (0905 123 456 nhé': the citizen never closed the bracket; it is masked away with the
    number, and the space, comma or '!' after the number is the sentence's, kept as written."""
    assert redact("gọi (0905 123 456 nhé") == "gọi 09******56 nhé"
    assert redact("gọi (0905 123 456!") == "gọi 09******56!"
    assert redact("SĐT (0905 123 456, nhà") == "SĐT 09******56, nhà"


def test_two_numbers_after_an_unclosed_bracket_keep_the_separator_between_them() -> None:
    """'(0905 123 456 0906 789 123': the bracket goes with the first number; the space or dot
    between the two numbers is the citizen's and stays (no bracket closes there to take)."""
    assert redact("(0905 123 456 0906 789 123") == "09******56 09******23"
    assert redact("(0905.123.456.0906.789.123") == "09******56.09******23"
