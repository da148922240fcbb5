"""Payment endpoints of the emulated national payment platform."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import NOTIFIER, PAYMENTS, SETTINGS
from bot.web.json_body import read_json
from bot.web.jsonresp import json_response
from bot.web.limits import check_security_code, limit, look_up
from lookup.payments import CreatePaymentRequest, GatewayCallback

routes = web.RouteTableDef()


@routes.post("/api/payments")
async def create_payment(request: web.Request) -> web.Response:
    """Open (or return the already open) payment request for a dossier's fees."""
    await limit(request, "payments")
    body = CreatePaymentRequest.model_validate(await read_json(request))
    dossier = await look_up(request, body.dossier_code)
    await check_security_code(request, dossier, body.security_code)
    dossier, payment = await request.app[PAYMENTS].request_payment(dossier)
    return json_response(
        {
            "payment_id": payment.id,
            "dossier_code": dossier.code,
            "amount_vnd": payment.amount_vnd,
            "fee_lines": [line.model_dump() for line in dossier.fee_lines],
            "state": payment.state.value,
            "pay_url": f"{request.app[SETTINGS].base_url}/pay/{payment.id}",
        },
        status=201,
    )


@routes.post("/api/payments/{payment_id}/callback")
async def payment_callback(request: web.Request) -> web.Response:
    """The bank's signed confirmation. Idempotent: a repeat answers the same, changes nothing."""
    body = GatewayCallback.model_validate(await read_json(request))
    if body.payment_id != request.match_info["payment_id"]:
        return json_response(
            {"error": {"code": "payment_mismatch", "message": "body and URL name different payments"}}, status=400
        )
    dossier = await request.app[PAYMENTS].dossier_of(body.payment_id)
    async with request.app[NOTIFIER].announcing(dossier.code):
        settlement = await request.app[PAYMENTS].settle(body)
        if settlement.changed:
            await request.app[NOTIFIER].payment_settled(
                settlement.dossier, settlement.payment, status_changed=settlement.dossier.status != dossier.status
            )
    return json_response(
        {
            "payment_id": settlement.payment.id,
            "state": settlement.payment.state.value,
            "dossier_status": {"code": int(settlement.dossier.status), "name": settlement.dossier.status.label},
            "duplicate": not settlement.changed,
        }
    )
