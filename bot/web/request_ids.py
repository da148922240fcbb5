"""A request id on every request: taken from X-Request-Id when a proxy set a sane one, else made
here; echoed back and put on every log line written while the request is handled."""

from __future__ import annotations

import re
import secrets

from aiohttp import web

from bot.logs import request_id_var

_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")


@web.middleware
async def request_ids(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _SANE.fullmatch(given) else secrets.token_hex(8)
    token = request_id_var.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-Id"] = request_id
        raise
    finally:
        request_id_var.reset(token)
    response.headers["X-Request-Id"] = request_id
    return response
