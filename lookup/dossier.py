"""The dossier (hồ sơ) model and its public and full views.

A dossier is stored as one JSON document (payments included), so every change to it is a single
optimistic read-modify-write of one key, which also keeps it inside one Redis Cluster slot.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from lookup.calendar import VN_TZ
from lookup.masking import mask_name
from lookup.status import DossierStatus

Channel = Literal["trực tiếp", "trực tuyến", "bưu chính"]


class Applicant(BaseModel):
    full_name: str = Field(min_length=1, max_length=120)
    birth_date: str | None = Field(None, description="ISO date, yyyy-mm-dd.")
    id_number: str | None = Field(None, pattern=r"^\d{9}(\d{3})?$", description="CMND or CCCD number.")
    phone: str | None = Field(None, pattern=r"^\+?\d[\d .\-]{7,14}$")
    address: str | None = Field(None, max_length=300)


class FeeLine(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    amount_vnd: int = Field(ge=0)


class TimelineStep(BaseModel):
    status: DossierStatus
    step: str
    unit: str | None = None
    officer: str | None = None
    note: str | None = None
    respond_by: datetime | None = None  # the citizen's deadline, for "Yêu cầu bổ sung giấy tờ"
    started_at: datetime
    finished_at: datetime | None = None


class PaymentState(StrEnum):
    """Payment request states of the national payment platform."""

    CHUA_THANH_TOAN = "Chưa thanh toán"
    CHO_THANH_TOAN = "Chờ thanh toán"
    DA_THANH_TOAN = "Đã thanh toán"
    HUY_THANH_TOAN = "Hủy thanh toán"
    DA_HOAN_PHI = "Đã hoàn phí"


NO_FEES = "Không phải nộp phí"


class Payment(BaseModel):
    id: str
    amount_vnd: int
    state: PaymentState
    created_at: datetime
    bank_code: str | None = None
    transaction_id: str | None = None
    result_code: str | None = None
    settled_at: datetime | None = None


class Dossier(BaseModel):
    code: str
    security_code: str
    procedure_code: str
    procedure_name: str
    agency_id: str
    agency_name: str
    channel: Channel
    applicant: Applicant
    documents: list[str] = []
    received_at: datetime
    due_at: datetime
    status: DossierStatus
    timeline: list[TimelineStep]
    fee_lines: list[FeeLine] = []
    payments: list[Payment] = []

    @property
    def total_fee_vnd(self) -> int:
        return sum(line.amount_vnd for line in self.fee_lines)

    @property
    def current_step(self) -> TimelineStep:
        return self.timeline[-1]

    @property
    def finished_at(self) -> datetime | None:
        for step in self.timeline:
            if step.status is DossierStatus.DA_XU_LY_XONG:
                return step.started_at
        return None

    def payment_state(self) -> str:
        if self.total_fee_vnd == 0:
            return NO_FEES
        states = [p.state for p in self.payments]
        for decisive in (PaymentState.DA_HOAN_PHI, PaymentState.DA_THANH_TOAN, PaymentState.CHO_THANH_TOAN):
            if decisive in states:
                return decisive.value
        if states:
            return states[-1].value
        return PaymentState.CHUA_THANH_TOAN.value

    @property
    def fees_unpaid(self) -> bool:
        """Fees are due and neither paid nor refunded: the citizen can pay them from the chat."""
        return bool(self.total_fee_vnd) and self.payment_state() not in (
            PaymentState.DA_THANH_TOAN.value, PaymentState.DA_HOAN_PHI.value)  # fmt: skip

    @property
    def waiting_for_citizen(self) -> bool:
        return self.status in (DossierStatus.YEU_CAU_BO_SUNG, DossierStatus.YEU_CAU_NGHIA_VU_TAI_CHINH)

    def is_overdue(self, now: datetime) -> bool:
        """Still open past its due date. Derived, never stored: it changes with the clock. While
        the agency waits for the citizen (papers, fees) the agency is not the one running late."""
        if self.finished_at is not None or self.status.is_final or self.waiting_for_citizen:
            return False
        return now > self.due_at

    def timeliness(self, now: datetime) -> str:
        """`trước hạn` / `đúng hạn` / `trễ hạn` once processed; `quá hạn` / `trong hạn` while open;
        `không áp dụng` for a dossier closed without a result."""
        finished = self.finished_at
        if finished is not None:
            if finished.astimezone(VN_TZ).date() < self.due_at.astimezone(VN_TZ).date():
                return "trước hạn"
            return "đúng hạn" if finished <= self.due_at else "trễ hạn"
        if self.status.is_final:
            return "không áp dụng"
        if self.waiting_for_citizen:
            return "chờ công dân bổ sung, thực hiện"
        return "quá hạn" if self.is_overdue(now) else "trong hạn"

    def public_view(self, now: datetime) -> dict:
        """What anyone holding the code may see: no ID number, phone, address or birth date."""
        step = self.current_step
        return {
            "code": self.code,
            "procedure": {"code": self.procedure_code, "name": self.procedure_name},
            "agency": {"id": self.agency_id, "name": self.agency_name},
            "channel": self.channel,
            "applicant": {"full_name": mask_name(self.applicant.full_name)},
            "received_at": self.received_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "status": {"code": int(self.status), "name": self.status.label},
            "current_step": {"step": step.step, "unit": step.unit, "since": step.started_at.isoformat()},
            "overdue": self.is_overdue(now),
            "timeliness": self.timeliness(now),
            "fees": {
                "total_vnd": self.total_fee_vnd,
                "lines": [line.model_dump() for line in self.fee_lines],
                "payment_state": self.payment_state(),
            },
            "view": "public",
        }

    def full_view(self, now: datetime) -> dict:
        """The holder of the security code sees their own personal data and the officer."""
        view = self.public_view(now)
        view["applicant"] = self.applicant.model_dump()
        view["documents"] = self.documents
        view["current_step"]["officer"] = self.current_step.officer
        view["payments"] = [p.model_dump(mode="json") for p in self.payments]
        view["view"] = "full"
        return view

    def progress(self) -> list[dict]:
        return [
            {
                "status": {"code": int(s.status), "name": s.status.label},
                "step": s.step,
                "unit": s.unit,
                "note": s.note,
                "started_at": s.started_at.isoformat(),
                "finished_at": s.finished_at.isoformat() if s.finished_at else None,
            }
            for s in self.timeline
        ]
