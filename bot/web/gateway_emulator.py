"""The emulated bank behind the payment page, mounted only in demo/emulator mode (it settles fees for
anyone holding a payment id): the citizen picks a bank, confirms, and the bank signs and posts the
callback over real HTTP, as a bank would. Signing is written here independently of the verifier in
`lookup.payments`, so a bug in one cannot hide in both (the tests pin both to a fixed vector)."""

from __future__ import annotations

import hashlib
import html
import secrets
from datetime import datetime

import aiohttp
from aiohttp import web

from bot.appkeys import CLOCK, HTTP, PAYMENTS, SETTINGS
from bot.web.pages import html_page, payment_context
from lookup.payments import BANKS, CUSTOMER_CANCELLED, SUCCESS
from lookup.text import format_vnd

routes = web.RouteTableDef()

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


def _known_bank(value: object) -> str:
    """A bank code of the known list, never whatever the form sent (it goes into the signed string,
    whose separator is `|`, and onto the receipt)."""
    if not isinstance(value, str) or value not in dict(BANKS):
        raise web.HTTPBadRequest(text="Ngân hàng không hợp lệ")
    return value


@routes.post("/pay/{payment_id}/bank")
async def choose_bank(request: web.Request) -> web.Response:
    form = await request.post()
    bank_code = _known_bank(form.get("bank_code"))
    payment = await request.app[PAYMENTS].choose_bank(request.match_info["payment_id"], bank_code)
    bank = dict(BANKS)[bank_code]
    body = (
        f"<h1>{html.escape(bank)} – xác nhận thanh toán</h1><p>Số tiền: <b>{format_vnd(payment.amount_vnd)}</b></p>"
        f"<form method='post' action='/pay/{payment.id}/confirm'><input type='hidden' name='bank_code' "
        f"value='{bank_code}'><button class='primary' name='action' value='pay'>Xác nhận thanh toán</button> "
        "<button name='action' value='cancel'>Hủy giao dịch</button></form>"
    )
    return html_page("Xác nhận thanh toán", body)


@routes.post("/pay/{payment_id}/confirm")
async def bank_confirms(request: web.Request) -> web.StreamResponse:
    """The emulated bank sends its signed callback to the platform over HTTP, then the citizen is
    sent back to the payment page, which shows the outcome."""
    dossier, payment = await payment_context(request)
    form = await request.post()
    result = SUCCESS if form.get("action") == "pay" else CUSTOMER_CANCELLED
    body = signed_callback(
        payment.id,
        dossier.code,
        payment.amount_vnd,
        _known_bank(form.get("bank_code") or "VCB"),
        result,
        request.app[CLOCK](),
        request.app[SETTINGS].payment_gateway_secret.get_secret_value(),
    )
    # Post to the socket this request came in on: never to a Host header the client chose.
    host, port = request.transport.get_extra_info("sockname")[:2] if request.transport else ("127.0.0.1", 0)
    host = f"[{host}]" if ":" in host else host
    await deliver(request.app[HTTP], f"http://{host}:{port}/api/payments/{payment.id}/callback", body)
    raise web.HTTPSeeOther(f"/pay/{payment.id}")
