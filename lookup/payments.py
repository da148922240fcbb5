"""Fee payments, as the national payment platform handles them.

A payment request covers all of a dossier's fee lines. The citizen picks a bank on the platform's
page; the bank confirms by calling back with the outcome, signed with SHA-256 over the fields and
the partner secret:

    signature = sha256_hex("|".join([payment_id, dossier_code, amount_vnd, bank_code,
                                     transaction_id, result_code, paid_at]) + "|" + secret)

Result code "00" is success; anything else cancels the request ("24" is the customer cancelling).
Payments live inside the dossier document, so settling one and moving the dossier back to
processing is one atomic update.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator

from lookup.dossier import Dossier, Payment, PaymentState
from lookup.dossiers import DossierService, advance
from lookup.status import DossierStatus

SUCCESS = "00"
CUSTOMER_CANCELLED = "24"
SIGNED_FIELDS = ("payment_id", "dossier_code", "amount_vnd", "bank_code", "transaction_id", "result_code", "paid_at")

# Banks and wallets offered on the emulated platform's page.
BANKS: tuple[tuple[str, str], ...] = (
    ("VCB", "Vietcombank"),
    ("CTG", "VietinBank"),
    ("BIDV", "BIDV"),
    ("AGRIBANK", "Agribank"),
    ("MB", "MB Bank"),
    ("TCB", "Techcombank"),
    ("VNPTMONEY", "VNPT Money"),
    ("ZALOPAY", "ZaloPay"),
)


class PaymentError(Exception):
    """A payment that cannot be made or settled; `status` is the HTTP status to answer."""

    status = 409


class NoFeesDue(PaymentError):
    pass


class AlreadyPaid(PaymentError):
    pass


class PaymentNotFound(PaymentError):
    status = 404


class BadSignature(PaymentError):
    status = 401


class CallbackMismatch(PaymentError):
    status = 400


class CreatePaymentRequest(BaseModel):
    dossier_code: str
    security_code: str = Field(min_length=1, max_length=32)


class GatewayCallback(BaseModel):
    payment_id: str
    dossier_code: str
    amount_vnd: int
    bank_code: str
    transaction_id: str = Field(min_length=1, max_length=64)
    result_code: str = Field(pattern=r"^\d{2}$")
    paid_at: str
    signature: str = Field(pattern=r"^[0-9a-fA-F]{64}$")

    @field_validator("bank_code")
    @classmethod
    def _known_bank(cls, value: str) -> str:
        # Stored on the payment and shown on the receipt: only a bank of the known list.
        if value not in dict(BANKS):
            raise ValueError("unknown bank code")
        return value

    @field_validator("payment_id", "dossier_code", "transaction_id", "paid_at")
    @classmethod
    def _no_separator(cls, value: str) -> str:
        # `|` separates the signed fields: inside one it could make two callbacks sign alike.
        if "|" in value:
            raise ValueError("'|' is not allowed in a signed field")
        return value

    def signing_string(self) -> str:
        return "|".join(str(getattr(self, name)) for name in SIGNED_FIELDS)


def sign(callback_fields: str, secret: str) -> str:
    return hashlib.sha256(f"{callback_fields}|{secret}".encode()).hexdigest()


def verify_signature(callback: GatewayCallback, secret: str) -> bool:
    expected = sign(callback.signing_string(), secret)
    return hmac.compare_digest(expected, callback.signature.lower())


@dataclass(frozen=True)
class Settlement:
    dossier: Dossier
    payment: Payment
    changed: bool  # False for a duplicate callback: nothing happened, nobody is to be told twice


def find_payment(dossier: Dossier, payment_id: str) -> Payment:
    for payment in dossier.payments:
        if payment.id == payment_id:
            return payment
    raise PaymentNotFound(f"no payment {payment_id}")


class PaymentService:
    def __init__(self, dossiers: DossierService, gateway_secret: str) -> None:
        self.dossiers = dossiers
        self.gateway_secret = gateway_secret

    async def dossier_of(self, payment_id: str) -> Dossier:
        code = await self.dossiers.redis.get(self.dossiers.keys.payment_index(payment_id))
        if code is None:
            raise PaymentNotFound(f"no payment {payment_id}")
        return await self.dossiers.get(code)

    async def request_payment(self, dossier: Dossier) -> tuple[Dossier, Payment]:
        """The open payment request for the dossier's fees, creating it if there is none. Asking
        twice gives the same request, so the same fees can never be paid twice."""
        now = self.dossiers.clock()
        new_id = secrets.token_hex(10)

        def change(d: Dossier) -> Dossier:
            if d.total_fee_vnd == 0:
                raise NoFeesDue(f"dossier {d.code} has no fees to pay")
            if any(p.state in (PaymentState.DA_THANH_TOAN, PaymentState.DA_HOAN_PHI) for p in d.payments):
                raise AlreadyPaid(f"the fees of dossier {d.code} are already paid")
            if any(p.state in (PaymentState.CHUA_THANH_TOAN, PaymentState.CHO_THANH_TOAN) for p in d.payments):
                return d
            payment = Payment(id=new_id, amount_vnd=d.total_fee_vnd, state=PaymentState.CHUA_THANH_TOAN, created_at=now)
            return d.model_copy(update={"payments": [*d.payments, payment]})

        # The index is written first: a callback can only arrive after the citizen saw the id.
        await self.dossiers.redis.set(self.dossiers.keys.payment_index(new_id), dossier.code)
        updated = await self.dossiers.store.update(dossier.code, change)
        open_payment = next(
            p for p in updated.payments if p.state in (PaymentState.CHUA_THANH_TOAN, PaymentState.CHO_THANH_TOAN)
        )
        if open_payment.id != new_id:
            await self.dossiers.redis.delete(self.dossiers.keys.payment_index(new_id))
        return updated, open_payment

    async def choose_bank(self, payment_id: str, bank_code: str) -> Payment:
        """The citizen picked a bank: the request now waits for the bank's confirmation."""
        if bank_code not in dict(BANKS):
            raise CallbackMismatch(f"unknown bank {bank_code!r}")
        dossier = await self.dossier_of(payment_id)

        def change(d: Dossier) -> Dossier:
            payment = find_payment(d, payment_id)
            if payment.state not in (PaymentState.CHUA_THANH_TOAN, PaymentState.CHO_THANH_TOAN):
                raise AlreadyPaid(f"payment {payment_id} is already {payment.state.value}")
            payments = [
                p.model_copy(update={"state": PaymentState.CHO_THANH_TOAN, "bank_code": bank_code})
                if p.id == payment_id
                else p
                for p in d.payments
            ]
            return d.model_copy(update={"payments": payments})

        updated = await self.dossiers.store.update(dossier.code, change)
        return find_payment(updated, payment_id)

    async def settle(self, callback: GatewayCallback) -> Settlement:
        """Apply a gateway callback. A bad signature changes nothing; a repeat of a callback already
        applied is answered with the same outcome and `changed=False`."""
        if not verify_signature(callback, self.gateway_secret):
            raise BadSignature("callback signature does not match")
        dossier = await self.dossier_of(callback.payment_id)
        if dossier.code != callback.dossier_code:
            raise CallbackMismatch("callback names another dossier than the payment's")
        now = self.dossiers.clock()
        outcome: dict[str, bool] = {"changed": False}

        def change(d: Dossier) -> Dossier:
            outcome["changed"] = False  # reset: this may run again after a concurrent writer
            payment = find_payment(d, callback.payment_id)
            if payment.amount_vnd != callback.amount_vnd:
                raise CallbackMismatch(f"callback amount {callback.amount_vnd} ≠ requested {payment.amount_vnd}")
            if payment.state in (PaymentState.DA_THANH_TOAN, PaymentState.HUY_THANH_TOAN, PaymentState.DA_HOAN_PHI):
                if payment.transaction_id == callback.transaction_id:
                    return d  # duplicate delivery of the same outcome
                raise AlreadyPaid(f"payment {payment.id} was already settled as {payment.state.value}")
            paid = callback.result_code == SUCCESS
            settled = payment.model_copy(
                update={
                    "state": PaymentState.DA_THANH_TOAN if paid else PaymentState.HUY_THANH_TOAN,
                    "bank_code": callback.bank_code,
                    "transaction_id": callback.transaction_id,
                    "result_code": callback.result_code,
                    "settled_at": now,
                }
            )
            updated = d.model_copy(update={"payments": [settled if p.id == payment.id else p for p in d.payments]})
            if paid and updated.status is DossierStatus.YEU_CAU_NGHIA_VU_TAI_CHINH:
                updated = advance(
                    updated,
                    DossierStatus.DANG_XU_LY,
                    now,
                    step="Đã hoàn thành nghĩa vụ tài chính, tiếp tục xử lý",
                    note=f"Thanh toán trực tuyến, mã giao dịch {callback.transaction_id}",
                )
            outcome["changed"] = True
            return updated

        updated = await self.dossiers.store.update(dossier.code, change)
        return Settlement(updated, find_payment(updated, callback.payment_id), outcome["changed"])
