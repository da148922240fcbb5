"""One place that turns domain errors into HTTP answers: `{"error": {"code", "message"}}`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from bot.ratelimit import RateLimited
from bot.web.jsonresp import json_response
from lookup.codes import InvalidDossierCode
from lookup.dossier_store import DossierNotFound, UpdateConflict
from lookup.dossiers import InvalidRequest, SecurityCodeLocked, SecurityCodeRejected
from lookup.payments import PaymentError
from lookup.status import IllegalTransition

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, details: list | None = None
) -> web.Response:
    body: dict = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return json_response(body, status=status, headers=headers)


def _validation_details(exc: ValidationError) -> list[dict]:
    # Echoing input values back could leak the personal data being validated: locations only.
    return [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]


def _domain_error(exc: Exception) -> web.Response | None:
    match exc:
        case json.JSONDecodeError() | UnicodeDecodeError() | RecursionError():
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        case ValidationError():
            return error_response(
                422, "invalid_request", "the request does not match the schema", details=_validation_details(exc)
            )
        case InvalidDossierCode():
            return error_response(400, "invalid_dossier_code", str(exc))
        case DossierNotFound():
            return error_response(404, "dossier_not_found", str(exc))
        case InvalidRequest():
            return error_response(422, "invalid_request", str(exc))
        case IllegalTransition():
            return error_response(409, "illegal_transition", str(exc))
        case RateLimited():
            return error_response(429, "rate_limited", str(exc), {"Retry-After": str(exc.retry_after)})
        case SecurityCodeLocked():
            return error_response(429, "security_code_locked", str(exc), {"Retry-After": str(exc.retry_after)})
        case SecurityCodeRejected():
            return error_response(403, "wrong_security_code", "the security code does not match this dossier")
        case PaymentError():
            return error_response(exc.status, type(exc).__name__, str(exc))
        case UpdateConflict():
            return error_response(503, "busy", str(exc), {"Retry-After": "1"})
    return None


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Domain errors become JSON everywhere; under /api, HTTP errors (404 route, 405) do too."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        return error_response(exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason)
    except Exception as exc:
        response = _domain_error(exc)
        if response is None:
            raise
        return response
