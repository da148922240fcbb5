"""Staff bearer-token check for the /api endpoints that change dossiers."""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.appkeys import SETTINGS
from bot.web.errors import error_response


def staff_denial(request: web.Request) -> web.Response | None:
    """None when the request carries the staff token; otherwise the answer to give."""
    token = request.app[SETTINGS].staff_api_token
    if token is None:
        return error_response(503, "staff_api_disabled", "staff endpoints are disabled: set STAFF_API_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        return error_response(
            401,
            "unauthorized",
            "staff token required: Authorization: Bearer <token>",
            {"WWW-Authenticate": 'Bearer realm="tracuu-staff"'},
        )
    return None
