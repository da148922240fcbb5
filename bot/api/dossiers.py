"""Dossier endpoints: receive (staff), public and full views, progress, transitions (staff),
and the printable receipt."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.appkeys import CLOCK, DOSSIERS, NOTIFIER, PROVINCE, SETTINGS
from bot.web.auth import staff_denial
from bot.web.json_body import read_json
from bot.web.jsonresp import json_response
from bot.web.limits import check_security_code, look_up
from lookup.codes import normalize_code
from lookup.dossier import Dossier
from lookup.dossiers import ReceiveRequest, TransitionRequest
from lookup.receipts import render_receipt

routes = web.RouteTableDef()


async def _entitled(request: web.Request, dossier: Dossier) -> bool:
    """True when the caller proved they hold the receipt (X-Security-Code); a wrong code is an
    error (and counts towards the lock), not a silent downgrade to the public view."""
    given = request.headers.get("X-Security-Code")
    if given is None:
        return False
    await check_security_code(request, dossier, given)
    return True


@routes.post("/api/dossiers")
async def receive_dossier(request: web.Request) -> web.Response:
    if denial := staff_denial(request):
        return denial
    body = ReceiveRequest.model_validate(await read_json(request))
    dossier = await request.app[DOSSIERS].receive(body)
    now = request.app[CLOCK]()
    view = dossier.full_view(now)
    view["security_code"] = dossier.security_code
    view["receipt_url"] = f"{request.app[SETTINGS].base_url}/api/dossiers/{dossier.code}/receipt.png"
    return json_response(view, status=201, headers={"Location": f"/api/dossiers/{dossier.code}"})


@routes.get("/api/dossiers/{code}")
async def get_dossier(request: web.Request) -> web.Response:
    dossier = await look_up(request, request.match_info["code"])
    now = request.app[CLOCK]()
    view = dossier.full_view(now) if await _entitled(request, dossier) else dossier.public_view(now)
    return json_response(view, headers={"Cache-Control": "no-store"})


@routes.get("/api/dossiers/{code}/progress")
async def get_progress(request: web.Request) -> web.Response:
    dossier = await look_up(request, request.match_info["code"])
    return json_response(
        {
            "code": dossier.code,
            "status": {"code": int(dossier.status), "name": dossier.status.label},
            "timeline": dossier.progress(),
        }
    )


@routes.post("/api/dossiers/{code}/transitions")
async def post_transition(request: web.Request) -> web.Response:
    if denial := staff_denial(request):
        return denial
    body = TransitionRequest.model_validate(await read_json(request))
    code = normalize_code(request.match_info["code"])
    async with request.app[NOTIFIER].announcing(code):
        dossier = await request.app[DOSSIERS].transition(code, body)
        notified = await request.app[NOTIFIER].dossier_moved(dossier)
    return json_response(dossier.full_view(request.app[CLOCK]()) | {"followers_notified": notified})


@routes.get("/api/dossiers/{code}/receipt.png")
async def get_receipt(request: web.Request) -> web.Response:
    dossier = await look_up(request, request.match_info["code"])
    full = await _entitled(request, dossier)
    settings = request.app[SETTINGS]
    # Rendering takes tens of milliseconds of CPU: keep it off the event loop.
    png = await asyncio.to_thread(
        render_receipt, dossier, settings.base_url, request.app[PROVINCE].full_name, full=full
    )
    return web.Response(
        body=png,
        content_type="image/png",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="phieu-tiep-nhan-{dossier.code}.png"',
        },
    )
