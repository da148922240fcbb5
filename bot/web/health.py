"""Liveness and readiness probes."""

from __future__ import annotations

from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import CATALOG, REDIS
from bot.web.jsonresp import json_response

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
    except (RedisError, OSError) as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    catalog = request.app.get(CATALOG)
    checks["catalog"] = f"ok ({len(catalog)} procedures)" if catalog else "not loaded"
    ready = all(v.startswith("ok") for v in checks.values())
    return json_response({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)
