"""Personal data masked where the viewer is not entitled to it."""

import pytest

from lookup.masking import mask_id_number, mask_name, mask_phone, redact


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
