"""Every route under /staff needs a staff session, except the login page: a page asked for without
one redirects to the login, anything else answers 401. Forms must carry the session's CSRF token.
/staff/api/ also accepts the staff bearer token (STAFF_API_TOKEN), for `python -m bot replay`.
Staff pages are never cached and never framed."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from bot.staff.context import SESSIONS
from bot.staff.sessions import COOKIE, Session
from bot.web.auth import staff_denial
from bot.web.errors import error_response

PUBLIC = frozenset({"/staff/login"})
SESSION = web.RequestKey("staff_session", Session)
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Server-rendered pages: our own inline styles, images from the citizen's photos, nothing else.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: http:; "
    "form-action 'self'; frame-ancestors 'none'",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_staff_path(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


@web.middleware
async def staff_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_staff_path(request.path):
        return await handler(request)
    response = await _guarded(request, handler)
    response.headers.update(_HEADERS)
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC:
        return await handler(request)
    session = await request.app[SESSIONS].from_cookie(request.cookies.get(COOKIE))
    if session is None:
        if request.path.startswith("/staff/api/") and staff_denial(request) is None:
            return await handler(request)
        if request.method in _SAFE_METHODS and not request.path.startswith("/staff/api/"):
            raise web.HTTPFound(f"/staff/login?next={quote(request.path_qs)}")
        return error_response(401, "unauthorized", "log in at /staff/login")
    if request.method not in _SAFE_METHODS:
        form = await request.post()
        given = str(form.get("csrf") or request.headers.get("X-CSRF-Token") or "")
        if not hmac.compare_digest(given.encode(), session.csrf.encode()):
            return error_response(403, "csrf", "the form is stale or forged: reload the page and try again")
    request[SESSION] = session
    return await handler(request)
