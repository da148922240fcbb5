"""The emulated bank behind the payment page: it signs and posts the callback over real HTTP,
as a bank would. Signing is written here independently of the verifier in `lookup.payments`, so a
bug in one cannot hide in both (the tests pin both to a fixed vector)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import aiohttp

FIELD_ORDER = ("payment_id", "dossier_code", "amount_vnd", "bank_code", "transaction_id", "result_code", "paid_at")


def signed_callback(
    payment_id: str,
    dossier_code: str,
    amount_vnd: int,
    bank_code: str,
    result_code: str,
    paid_at: datetime,
    secret: str,
    transaction_id: str | None = None,
) -> dict:
    fields = {
        "payment_id": payment_id,
        "dossier_code": dossier_code,
        "amount_vnd": amount_vnd,
        "bank_code": bank_code,
        "transaction_id": transaction_id or f"{bank_code}{secrets.token_hex(6).upper()}",
        "result_code": result_code,
        "paid_at": paid_at.isoformat(),
    }
    plain = "|".join(str(fields[name]) for name in FIELD_ORDER) + "|" + secret
    fields["signature"] = hashlib.sha256(plain.encode()).hexdigest()
    return fields


async def deliver(session: aiohttp.ClientSession, callback_url: str, body: dict) -> tuple[int, dict]:
    async with session.post(callback_url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as response:
        return response.status, await response.json(content_type=None)
