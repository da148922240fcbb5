"""Dossier codes as citizens retype them from a paper receipt."""

import re
from datetime import date

import pytest

from lookup.codes import InvalidDossierCode, code_problem, find_codes, format_code, normalize_code

CODE = "000.09.23.H34-241015-0012"


def test_format_code_pads_the_daily_sequence():
    assert format_code("000.09.23.H34", date(2024, 10, 15), 12) == CODE


@pytest.mark.parametrize("bad_sequence", [0, 10000])
def test_format_code_refuses_sequences_outside_the_four_digits(bad_sequence):
    with pytest.raises(ValueError, match="sequence"):
        format_code("000.09.23.H34", date(2024, 10, 15), bad_sequence)


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        "000.09.23.h34-241015-0012",  # lowercase
        " 000.09.23.H34 - 241015 - 0012 ",  # spaces around dashes
        "000 09 23 H34 241015 0012",  # spaces instead of separators
        "000.09.23.H34.241015.0012",  # dots where dashes belong
        "0000923H342410150012",  # no separators at all
        "000092 3h34 241015 0012",  # spaces in the wrong places (the try-out's "000310 1h34 …")
        "000-09-23-H34-241015-0012",
        "Mã hồ sơ của tôi là 000.09.23.H34-241015-0012 ạ",  # text around it
        "https://tracuu.example.vn/tra-cuu?code=000.09.23.H34-241015-0012",  # pasted lookup URL
    ],
)
def test_typed_codes_are_matched_tolerantly(typed):
    assert normalize_code(typed) == CODE


def test_several_codes_are_found_in_order_without_repeats():
    text = f"hồ sơ 000.31.01.H34-261110-0001 và {CODE}, nhắc lại 000.31.01.h34 261110 0001"
    assert find_codes(text) == ["000.31.01.H34-261110-0001", CODE]


@pytest.mark.parametrize("text", ["", "xin chào", "0905123456", "062090001234", "000.09.23.H34-241015"])
def test_text_without_a_code_is_refused_with_the_expected_format(text):
    with pytest.raises(InvalidDossierCode, match=re.escape(CODE)):
        normalize_code(text)


def test_a_longer_digit_run_is_not_cut_into_a_code():
    assert find_codes("1000.09.23.H34-241015-00123") == []


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("000.09.23.H34-241015-001", "số thứ tự “001” có 3 chữ số, cần 4"),
        ("000.09.23.H34-24101-0012", "phần ngày nhận “24101” có 5 chữ số, cần 6"),
        ("cho hỏi hồ sơ 241015-0012 của tôi sao rồi", "thiếu phần mã cơ quan"),
        ("000.09.23.H34", "còn cần ngày nhận (6 chữ số) và số thứ tự (4 chữ số)"),
        ("000.09.23.H34-2410 15-001", "cần 10 chữ số (ngày nhận 6, số thứ tự 4), mã bạn gõ có 9"),
        ("000.09.23.H34 241015", "còn thiếu số thứ tự"),
        ("000.09.23.H3-241015-0012", "phần mã cơ quan chưa đủ"),  # not "the agency is missing"
    ],
)
def test_a_code_typed_almost_right_says_which_part_to_fix(typed, said):
    assert said in (code_problem(typed) or "")


@pytest.mark.parametrize("text", [CODE, "xin chào", "0905123456", "goi 0905 123 456 nhe", "goi 090512 3456 nhe"])
def test_a_whole_code_or_no_code_has_no_problem_to_name(text):
    assert code_problem(text) is None
