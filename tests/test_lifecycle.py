"""Every legal status change is accepted and every other one refused with a clear message.
The expected table is written out here from the national lifecycle, not read from the code."""

import itertools

import pytest

from lookup.status import DossierStatus, IllegalTransition, check_transition, parse_status

S = DossierStatus
OPEN_EXITS = {S.CONG_DAN_RUT, S.DUNG_XU_LY}
LEGAL = {
    S.MOI_DANG_KY: {S.DUOC_TIEP_NHAN, S.KHONG_DUOC_TIEP_NHAN, S.CONG_DAN_RUT},
    S.DUOC_TIEP_NHAN: {S.DANG_XU_LY, S.YEU_CAU_BO_SUNG, S.YEU_CAU_NGHIA_VU_TAI_CHINH} | OPEN_EXITS,
    S.DANG_XU_LY: {S.YEU_CAU_BO_SUNG, S.YEU_CAU_NGHIA_VU_TAI_CHINH, S.DA_XU_LY_XONG} | OPEN_EXITS,
    S.YEU_CAU_BO_SUNG: {S.DANG_XU_LY} | OPEN_EXITS,
    S.YEU_CAU_NGHIA_VU_TAI_CHINH: {S.DANG_XU_LY} | OPEN_EXITS,
    S.DA_XU_LY_XONG: {S.DA_TRA_KET_QUA},
    S.KHONG_DUOC_TIEP_NHAN: set(),
    S.CONG_DAN_RUT: set(),
    S.DUNG_XU_LY: set(),
    S.DA_TRA_KET_QUA: set(),
}
PAIRS = list(itertools.product(DossierStatus, DossierStatus))


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p[1] in LEGAL[p[0]]])
def test_legal_transition_is_accepted(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p[1] not in LEGAL[p[0]]])
def test_illegal_transition_is_refused_naming_both_statuses(current, target):
    with pytest.raises(IllegalTransition) as err:
        check_transition(current, target)
    assert current.label in str(err.value) and target.label in str(err.value)


def test_national_labels_and_numbers():
    assert [(s.value, s.label) for s in DossierStatus][:3] == [
        (1, "Mới đăng ký"),
        (2, "Được tiếp nhận"),
        (3, "Không được tiếp nhận"),
    ]
    assert S.DA_TRA_KET_QUA.label == "Đã trả kết quả"


@pytest.mark.parametrize("value", [9, "9", "DA_XU_LY_XONG", "Đã xử lý xong"])
def test_status_can_be_named_by_number_name_or_label(value):
    assert parse_status(value) is S.DA_XU_LY_XONG


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="unknown dossier status"):
        parse_status("Đang bay")
