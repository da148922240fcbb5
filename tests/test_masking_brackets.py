"""Numbers in brackets beside other numbers: what staff read in a transcript keeps no stray bracket."""

from __future__ import annotations

from lookup.masking import redact


def test_a_bracketed_number_followed_by_another_takes_its_brackets_with_it() -> None:
    """'SĐT (0905 123 456) 0906 789 123': two numbers; the first one's brackets go with it, as they
    do when it stands alone, not a ')' left between the two masked numbers."""
    assert redact("SĐT (0905 123 456) 0906 789 123") == "SĐT 09******56 09******23"
    assert redact("(0905.123.456)-0906.789.123") == "09******56-09******23"
