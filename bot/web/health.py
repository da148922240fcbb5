"""Liveness and readiness probes.

`/readyz` is about receiving: Redis and the catalog. The OA's Zalo authorization is reported beside
(`send`) without making the process unready, because while it is lost the webhook must keep
accepting and storing what citizens write (a load balancer would otherwise take the web away).
`/readyz?send=1` is the probe for sending: 503 while the authorization is lost."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import CATALOG, REDIS
from bot.redis_conn import STORE_ERRORS
from bot.web.jsonresp import json_response
from bot.zalo.auth import LOST
from bot.zalo.oa_client import OA_TOKENS

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, str] = {}
    try:
        await request.app[REDIS].ping()
        checks["redis"] = "ok"
    except STORE_ERRORS as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    catalog = request.app.get(CATALOG)
    checks["catalog"] = f"ok ({len(catalog)} procedures)" if catalog else "not loaded"
    ready = all(v.startswith("ok") for v in checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": checks,
                               "receive": "ready" if ready else "not ready"}  # fmt: skip
    sending = ready
    if ready and OA_TOKENS in request.app:
        try:
            auth = await request.app[OA_TOKENS].status()
        except STORE_ERRORS as exc:
            auth, body["send"] = None, f"unknown: {type(exc).__name__}"
            sending = False
        if auth is not None:
            sending = auth.state != LOST
            body["zalo_authorization"] = {"state": auth.state, "since": auth.since, "error": auth.error,
                                          "refresh_token_days_left": auth.days_left()}  # fmt: skip
            body["send"] = "ready" if sending else f"not ready: authorization lost ({auth.error})"
    elif not ready:
        body["send"] = "not ready"
    if request.query.get("send") == "1":
        return json_response(body, status=200 if sending else 503)
    return json_response(body, status=200 if ready else 503)
