"""Personal data masked where the viewer is not entitled to it."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.masking import mask_digits, mask_id_number, mask_name, mask_phone, mask_secret, redact


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V*** A*"),
        ("Võ Thị Thu Hà", "Võ T*** T*** H*"),
        ("A Thắng", "A T*"),
        ("Đinh", "Đ***"),
    ],
)
def test_names_keep_the_family_name_and_initials_only(name, masked):
    assert mask_name(name) == masked


def test_phone_and_id_keep_only_their_ends():
    assert mask_phone("0905.123.456") == "09******56"
    assert mask_id_number("062090001234") == "062*******34"


def test_redact_masks_numbers_in_free_text_but_not_dossier_codes():
    text = "SĐT 0905123456, CCCD 062090001234, hồ sơ 000.09.23.H34-241015-0012"
    out = redact(text)
    assert "0905123456" not in out and "062090001234" not in out
    assert "09******56" in out and "062*******34" in out
    assert "000.09.23.H34-241015-0012" in out


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("(+84) 905 123 456", "84*******56"),
        ("+84 (0) 905 123 456", "84********56"),
        ("0621-9000-0111", "062*******11"),
        ("062 190 000 111", "062*******11"),
        ("(0260) 3862 123", "02*******23"),
        ("gọi 0905.123.456.", "gọi 09******56."),
        ("0905 123 456 0912 345 678", "09******56 09******78"),
    ],
)
def test_every_common_way_of_writing_a_number_is_masked(text, masked):
    assert redact(text) == masked


def test_amounts_dates_and_codes_are_left_alone():
    for text in ("phí 150.000.000 đồng", "200.000đ", "ngày 16/11/2026 lúc 09:30", "000.25.23.H34-261102-0001"):
        assert redact(text) == text


DIGIT = st.sampled_from("0123456789")
SEPARATOR = st.sampled_from([" ", ".", "-", "\u00a0"])
WORDS = st.text(alphabet="abcdeghiklmnopqrstuvxyàáảãạăâêôơưéèíóòúùýĂÂÊÔƠƯ ,:;!?", max_size=15)


@st.composite
def grouped(draw, digits: str) -> str:
    """`digits` cut into groups of 1-5 at random places, joined by spaces, dots or dashes."""
    out, i = "", 0
    while i < len(digits):
        size = draw(st.integers(1, 5))
        out += (draw(SEPARATOR) if out else "") + digits[i : i + size]
        i += size
    return out


@st.composite
def phone_numbers(draw) -> tuple[str, str]:
    if draw(st.booleans()):
        national = draw(st.sampled_from("35789")) + "".join(draw(st.lists(DIGIT, min_size=8, max_size=8)))
    else:  # landline: 2xx area code, 10 digits after the 0
        national = "2" + "".join(draw(st.lists(DIGIT, min_size=9, max_size=9)))
    style = draw(st.sampled_from(["0", "0()", "84", "+84", "(+84)", "(84)", "+84(0)"]))
    if style == "+84(0)" and len(national) != 9:
        style = "+84"
    if style == "0":
        text = draw(grouped("0" + national))
    elif style == "0()":
        cut = draw(st.integers(2, 4))
        text = f"(0{national[: cut - 1]}){draw(st.sampled_from([' ', '']))}{draw(grouped(national[cut - 1 :]))}"
    elif style == "+84(0)":
        text = f"+84 (0) {draw(grouped(national))}"
    else:
        text = f"{style}{draw(st.sampled_from([' ', '', '.', '-']))}{draw(grouped(national))}"
    return text, re.sub(r"\D", "", text)


@st.composite
def id_numbers(draw) -> tuple[str, str]:
    digits = "".join(draw(st.lists(DIGIT, min_size=12, max_size=12)))
    digits = digits if draw(st.booleans()) else digits[:9]
    return draw(grouped(digits)), digits


@settings(max_examples=400, deadline=None)
@given(st.one_of(phone_numbers(), id_numbers()), WORDS, WORDS)
def test_generated_phone_and_id_numbers_in_any_grouping_are_masked(number, before, after):
    written, digits = number
    out = redact(f"{before} {written} {after}")
    kept = re.findall(r"\d", out)
    assert len(kept) <= 5 < len(digits), (written, out)  # at most the ends stay
    assert "*" * (len(digits) - 5) in out


def test_brackets_around_a_number_go_with_it_and_the_text_keeps_its_own():
    # The number's own brackets are masked away with it; a bracket the sentence opened stays.
    assert redact("gọi (0905 123 456) nhé") == "gọi 09******56 nhé"
    assert redact("(số cũ: 0905 123 456)") == "(số cũ: 09******56)"


def test_a_value_too_short_to_keep_its_ends_is_starred_whole():
    assert mask_digits("1234") == "****"  # keeping 2 + 2 digits would show all of it
    assert mask_phone("0905") == "****"


def test_a_typed_secret_shows_only_its_length_up_to_twelve():
    assert mask_secret(" ABCD 2345 ") == "•" * 9
    assert mask_secret("X" * 40) == "•" * 12


def test_an_empty_name_masks_to_nothing_and_a_single_word_to_its_initial():
    assert mask_name("") == "" and mask_name("   ") == ""
    assert mask_name("An") == "A***"


def test_a_small_number_just_before_a_phone_number_does_not_hide_it():
    """'nhà số 5 0905 123 456': the house number and the phone are one run of digit groups; no
    number starts at the 5, and the phone starting at the next group is still found and masked."""
    assert redact("nhà số 5 0905 123 456") == "nhà số 5 09******56"
    assert redact("tổ 3 0905.123.456") == "tổ 3 09******56"


def test_a_pasted_table_of_hundreds_of_small_numbers_is_masked_and_does_not_hang():
    """A citizen pastes a table: 300 one-digit groups in one run (past the small integers Python
    keeps one copy of, where an identity test on the group count would never end)."""
    text = " ".join(str(n % 10) for n in range(300))
    out = redact(text)
    assert "*" in out and len(out) <= len(text)
