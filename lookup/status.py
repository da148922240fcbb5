"""National dossier statuses and the lifecycle between them.

```mermaid
stateDiagram-v2
    [*] --> MOI_DANG_KY: online
    [*] --> DUOC_TIEP_NHAN: counter / post
    MOI_DANG_KY --> DUOC_TIEP_NHAN
    MOI_DANG_KY --> KHONG_DUOC_TIEP_NHAN
    DUOC_TIEP_NHAN --> DANG_XU_LY
    DUOC_TIEP_NHAN --> YEU_CAU_BO_SUNG
    DUOC_TIEP_NHAN --> YEU_CAU_NGHIA_VU_TAI_CHINH
    DANG_XU_LY --> YEU_CAU_BO_SUNG
    YEU_CAU_BO_SUNG --> DANG_XU_LY
    DANG_XU_LY --> YEU_CAU_NGHIA_VU_TAI_CHINH
    YEU_CAU_NGHIA_VU_TAI_CHINH --> DANG_XU_LY: fees paid
    DANG_XU_LY --> DA_XU_LY_XONG
    DA_XU_LY_XONG --> DA_TRA_KET_QUA
    note right of DANG_XU_LY: any open status may also go to\nCONG_DAN_RUT (citizen withdraws) or DUNG_XU_LY (stopped)
```
"""

from __future__ import annotations

from enum import IntEnum


class DossierStatus(IntEnum):
    MOI_DANG_KY = 1
    DUOC_TIEP_NHAN = 2
    KHONG_DUOC_TIEP_NHAN = 3
    DANG_XU_LY = 4
    YEU_CAU_BO_SUNG = 5
    YEU_CAU_NGHIA_VU_TAI_CHINH = 6
    CONG_DAN_RUT = 7
    DUNG_XU_LY = 8
    DA_XU_LY_XONG = 9
    DA_TRA_KET_QUA = 10

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        return not TRANSITIONS[self]


STATUS_LABELS: dict[DossierStatus, str] = {
    DossierStatus.MOI_DANG_KY: "Mới đăng ký",
    DossierStatus.DUOC_TIEP_NHAN: "Được tiếp nhận",
    DossierStatus.KHONG_DUOC_TIEP_NHAN: "Không được tiếp nhận",
    DossierStatus.DANG_XU_LY: "Đang xử lý",
    DossierStatus.YEU_CAU_BO_SUNG: "Yêu cầu bổ sung giấy tờ",
    DossierStatus.YEU_CAU_NGHIA_VU_TAI_CHINH: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierStatus.CONG_DAN_RUT: "Công dân yêu cầu rút hồ sơ",
    DossierStatus.DUNG_XU_LY: "Dừng xử lý",
    DossierStatus.DA_XU_LY_XONG: "Đã xử lý xong",
    DossierStatus.DA_TRA_KET_QUA: "Đã trả kết quả",
}

_S = DossierStatus
# A citizen may withdraw, and an agency may stop, any dossier that is still open.
_EXITS = {_S.CONG_DAN_RUT, _S.DUNG_XU_LY}
TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    _S.MOI_DANG_KY: frozenset({_S.DUOC_TIEP_NHAN, _S.KHONG_DUOC_TIEP_NHAN, _S.CONG_DAN_RUT}),
    _S.DUOC_TIEP_NHAN: frozenset({_S.DANG_XU_LY, _S.YEU_CAU_BO_SUNG, _S.YEU_CAU_NGHIA_VU_TAI_CHINH} | _EXITS),
    _S.DANG_XU_LY: frozenset({_S.YEU_CAU_BO_SUNG, _S.YEU_CAU_NGHIA_VU_TAI_CHINH, _S.DA_XU_LY_XONG} | _EXITS),
    _S.YEU_CAU_BO_SUNG: frozenset({_S.DANG_XU_LY} | _EXITS),
    _S.YEU_CAU_NGHIA_VU_TAI_CHINH: frozenset({_S.DANG_XU_LY} | _EXITS),
    _S.DA_XU_LY_XONG: frozenset({_S.DA_TRA_KET_QUA}),
    _S.KHONG_DUOC_TIEP_NHAN: frozenset(),
    _S.CONG_DAN_RUT: frozenset(),
    _S.DUNG_XU_LY: frozenset(),
    _S.DA_TRA_KET_QUA: frozenset(),
}


class IllegalTransition(ValueError):
    def __init__(self, current: DossierStatus, target: DossierStatus) -> None:
        allowed = ", ".join(f"{s.value} {s.label}" for s in sorted(TRANSITIONS[current])) or "none"
        super().__init__(f"cannot move a dossier from '{current.label}' to '{target.label}'; allowed next: {allowed}")
        self.current = current
        self.target = target


def check_transition(current: DossierStatus, target: DossierStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)


def parse_status(value: int | str) -> DossierStatus:
    """Accept the national number, the enum name, or the Vietnamese label."""
    if isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
        try:
            return DossierStatus(int(value))
        except ValueError:
            raise ValueError(f"unknown dossier status {value!r}: the national numbers are 1 to 10") from None
    for status in DossierStatus:
        if value in (status.name, status.label):
            return status
    raise ValueError(f"unknown dossier status {value!r}")
