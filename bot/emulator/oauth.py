"""The emulated Zalo OAuth v4 for an Official Account: the permission page an OA admin allows an
app on (with a PKCE `code_challenge`), the redirect back with `code` and `oa_id`, and
`/v4/oa/access_token` for both grants: `authorization_code` (with `code_verifier`) and
`refresh_token` (single use, rotating, 3 months).

Zalo's answers on refusal carry `error` and `error_name`; the codes for a bad secret, app id and
refresh token are Zalo's. Zalo's documents do not pin one for a bad or reused authorization code
or a wrong verifier: -14019 and -14022 here are this emulator's. PKCE is checked on its own
(S256: base64url of SHA-256, no padding): the emulator shares none of the bot's code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from html import escape
from urllib.parse import urlencode

from aiohttp import web

from bot.emulator.jsonresp import json_response
from bot.emulator.keys import EMU_SETTINGS, EMU_STATE
from bot.emulator.state import CODE_LIFETIME_SECONDS

routes = web.RouteTableDef()
PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Zalo · Cấp quyền cho ứng dụng</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}
button{{background:#0068ff;color:#fff;border:0;border-radius:.4rem;padding:.6rem 1.2rem;font-size:1rem}}</style></head>
<body><h1>Cấp quyền cho ứng dụng</h1>{body}</body></html>"""


def _refused(code: int, name: str) -> web.Response:
    return json_response({"error": code, "error_name": name, "error_description": name})


def _challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@routes.get("/v4/oa/permission")
async def permission(request: web.Request) -> web.Response:
    """What the OA admin sees: the app asks to manage the OA; "Cho phép" sends them back."""
    settings, query = request.app[EMU_SETTINGS], request.query
    if query.get("app_id") != settings.zalo_app_id:
        return web.Response(text=PAGE.format(body="<p>Ứng dụng không tồn tại (app_id sai).</p>"),
                            content_type="text/html", status=400)  # fmt: skip
    if not query.get("redirect_uri", "").startswith(("http://", "https://")) or not query.get("code_challenge"):
        return web.Response(text=PAGE.format(body="<p>Thiếu redirect_uri hoặc code_challenge.</p>"),
                            content_type="text/html", status=400)  # fmt: skip
    hidden = "".join(f'<input type="hidden" name="{name}" value="{escape(query.get(name, ""))}">'
                     for name in ("app_id", "redirect_uri", "code_challenge", "state"))  # fmt: skip
    body = (f"<p>Ứng dụng <b>{escape(settings.zalo_app_id)}</b> muốn gửi tin nhắn và quản lý Official Account "
            f"<b>{escape(settings.zalo_oa_id)}</b> thay bạn.</p>"
            f'<form method="post" action="/v4/oa/permission">{hidden}<button>Cho phép</button></form>')  # fmt: skip
    return web.Response(text=PAGE.format(body=body), content_type="text/html")


@routes.post("/v4/oa/permission")
async def allow(request: web.Request) -> web.Response:
    state, settings = request.app[EMU_STATE], request.app[EMU_SETTINGS]
    form = await request.post()
    redirect_uri, challenge = str(form.get("redirect_uri", "")), str(form.get("code_challenge", ""))
    if form.get("app_id") != settings.zalo_app_id or not redirect_uri.startswith(("http://", "https://")):
        raise web.HTTPBadRequest(text="invalid app_id or redirect_uri")
    code = "emu-code-" + secrets.token_hex(16)
    state.codes[code] = {"challenge": challenge, "expires_at": time.time() + CODE_LIFETIME_SECONDS}
    query = urlencode({"code": code, "oa_id": settings.zalo_oa_id, "code_challenge": challenge,
                       "state": str(form.get("state", ""))})  # fmt: skip
    raise web.HTTPFound(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}")


@routes.post("/v4/oa/access_token")
async def access_token(request: web.Request) -> web.Response:
    state, settings = request.app[EMU_STATE], request.app[EMU_SETTINGS]
    form = await request.post()
    if request.headers.get("secret_key") != settings.zalo_app_secret.get_secret_value():
        return _refused(-14003, "Invalid secret key")
    grant = form.get("grant_type")
    if form.get("app_id") != settings.zalo_app_id or grant not in ("refresh_token", "authorization_code"):
        return _refused(-14002, "Invalid app_id or grant_type")
    if grant == "authorization_code":
        entry = state.codes.pop(str(form.get("code", "")), None)  # single use, even when refused below
        if entry is None or entry["expires_at"] < time.time():
            return _refused(-14019, "Invalid authorization code")
        verifier = str(form.get("code_verifier", ""))
        if not verifier or not hmac.compare_digest(_challenge_of(verifier), entry["challenge"]):
            return _refused(-14022, "Invalid code verifier")
        access, refresh = state.issue_tokens(refresh=False)
        return json_response({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})
    if not state.refresh_token or form.get("refresh_token") != state.refresh_token:
        # Single use: an old refresh token (another worker already used it) is refused.
        return _refused(-14014, "Invalid refresh token")
    if state.refresh_expires_at < time.time():
        return _refused(-14014, "Refresh token expired")
    access, refresh = state.issue_tokens()
    return json_response({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})
