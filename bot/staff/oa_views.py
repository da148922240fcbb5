"""The OA's Zalo authorization on the console: a banner on every page for supervisors while it is
lost or about to expire, the page that shows it (`/staff/oa`), and Zalo's OAuth flow to authorize
the OA again without a restart: the permission link with a PKCE `code_challenge`, and the callback
that exchanges `code` + `code_verifier` for a new token pair. Starting and finishing are audited.

The callback is outside /staff on purpose: the supervisor comes back from Zalo's site, and the
console's SameSite=Strict cookie is not sent on that cross-site navigation. It is guarded instead
by the flow's `state`, unguessable, single-use and valid 10 minutes, and by the code_verifier that
never leaves the server."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import QUEUE, SETTINGS
from bot.staff.context import AUDIT
from bot.staff.guard import SESSION, is_staff_path
from bot.staff.html import BANNER, csrf_field, page, when
from bot.zalo.auth import EXPIRING, LOST, OAUTH_FLOW_SECONDS, AuthStatus, pkce_pair
from bot.zalo.oa_client import OA_TOKENS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
CALLBACK_PATH = "/zalo/oauth/callback"
STATE_LABELS = {"ok": "Đang hoạt động", EXPIRING: "Sắp hết hạn", LOST: "Mất ủy quyền"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def banner(status: AuthStatus) -> str:
    """What every console page says to supervisors, or "" when all is well."""
    if status.state == LOST:
        since = f" từ {when(status.since)}" if status.since else ""
        return (f'<div role="alert" style="background:#fed7d7;color:#742a2a;padding:.6rem 1rem;border-bottom:2px solid '
                f'#c53030"><strong>Bot đang không gửi được tin nhắn:</strong> OA mất ủy quyền Zalo{since}'
                f" ({escape(status.error)}). Tin nhắn của người dân vẫn được nhận và giữ lại, sẽ được gửi khi OA được "
                f'ủy quyền lại. <a href="/staff/oa">Ủy quyền lại</a></div>')  # fmt: skip
    if status.state == EXPIRING:
        ends = f" ({when(status.refresh_expires_at)})" if status.refresh_expires_at else ""
        return (f'<div role="status" style="background:#fefcbf;color:#744210;padding:.6rem 1rem">Ủy quyền Zalo của OA '
                f"hết hạn sau {status.days_left()} ngày{ends} và chưa gia hạn được. "
                f'<a href="/staff/oa">Ủy quyền lại</a> trước ngày đó để bot không ngừng trả lời.</div>')  # fmt: skip
    return ""


@web.middleware
async def oa_banner(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Runs inside the staff guard: a supervisor's console page carries the authorization banner."""
    session = request.get(SESSION)
    if not (is_staff_path(request.path) and session and session.account.is_supervisor and OA_TOKENS in request.app):
        return await handler(request)
    try:
        text = banner(await request.app[OA_TOKENS].status())
    except (RedisError, OSError):
        text = ""  # the page itself will say Redis is away
    token = BANNER.set(text)
    try:
        return await handler(request)
    finally:
        BANNER.reset(token)


async def _waiting(request: web.Request) -> int:
    """Events accepted and not yet done (while lost: what will be sent once authorized again)."""
    queue = request.app[QUEUE]
    async with queue.redis.pipeline(transaction=False) as pipe:
        for shard in range(queue.keys.shards):
            pipe.xlen(queue.keys.stream(shard))
        return sum(await pipe.execute())


def _supervisor(request: web.Request) -> None:
    if not request[SESSION].account.is_supervisor:
        raise web.HTTPForbidden(text="supervisors only")


def _redirect_uri(request: web.Request) -> str:
    return f"{request.app[SETTINGS].base_url}{CALLBACK_PATH}"


@routes.get("/staff/oa")
async def oa_page(request: web.Request) -> web.Response:
    _supervisor(request)
    session, tokens = request[SESSION], request.app[OA_TOKENS]
    status = await tokens.status()
    rows = [("Trạng thái", STATE_LABELS.get(status.state, status.state)),
            ("Từ lúc", when(status.since) if status.since else "—"),
            ("Lỗi Zalo trả về", status.error or "—"),
            ("Refresh token hết hạn", f"{when(status.refresh_expires_at)} (còn {status.days_left()} ngày)"
             if status.refresh_expires_at else "không rõ"),
            ("Access token hết hạn", when(status.access_expires_at) if status.access_expires_at else "—"),
            ("Thay đổi gần nhất bởi", status.changed_by or "—"),
            ("Sự kiện đang chờ xử lý", str(await _waiting(request)))]  # fmt: skip
    table = "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows) + "</table>"
    body = (f"<p>OA {escape(tokens.oa_id)}. Bot tự gia hạn ủy quyền trước khi hết hạn; khi mất ủy quyền, tin nhắn "
            "của người dân vẫn được nhận và giữ lại, rồi được gửi theo đúng thứ tự khi OA được ủy quyền lại.</p>"
            f"{table}<form method=\"post\" action=\"/staff/oa/authorize\">{csrf_field(session)}"
            "<p><button>Ủy quyền lại với Zalo</button></p></form>"
            "<p>Nút này mở trang cấp quyền của Zalo: đăng nhập bằng tài khoản quản trị OA và bấm Cho phép; Zalo đưa "
            f"bạn về <code>{escape(_redirect_uri(request))}</code> (đặt đúng địa chỉ này làm Official Account "
            "Callback URL của ứng dụng trên developers.zalo.me). Trên máy chủ cũng có thể dùng lệnh "
            "<code>python -m bot oa set-refresh-token</code> (đọc refresh token từ stdin).</p>")  # fmt: skip
    return page("Ủy quyền Zalo của OA", body, session)


@routes.post("/staff/oa/authorize")
async def authorize(request: web.Request) -> web.StreamResponse:
    _supervisor(request)
    session, tokens = request[SESSION], request.app[OA_TOKENS]
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    async with tokens.redis.pipeline(transaction=True) as pipe:
        pipe.hset(tokens.auth.flow_key(state), mapping={"verifier": verifier, "who": session.account.name})
        pipe.expire(tokens.auth.flow_key(state), OAUTH_FLOW_SECONDS)
        await pipe.execute()
    await request.app[AUDIT].write(session.account.name, "oa authorize: started", f"oa:{tokens.oa_id}", "")
    query = urlencode({"app_id": tokens.app_id, "redirect_uri": _redirect_uri(request), "code_challenge": challenge,
                       "state": state})  # fmt: skip
    raise web.HTTPSeeOther(f"{tokens.permission_url}?{query}")


def _result(title: str, text: str, status: int = 200) -> web.Response:
    response = page(title, f"<p>{escape(text)}</p><p><a href=\"/staff/oa\">Về trang ủy quyền OA</a></p>",
                    status=status)  # fmt: skip
    # The address holds the authorization code: never cached, never passed on as a referrer.
    response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    return response


@routes.get(CALLBACK_PATH)
async def callback(request: web.Request) -> web.Response:
    tokens, audit = request.app[OA_TOKENS], request.app[AUDIT]
    state = request.query.get("state", "")
    flow_key = tokens.auth.flow_key(state) if state else ""
    flow: dict[str, str] = {}
    if flow_key:
        async with tokens.redis.pipeline(transaction=True) as pipe:  # single use: read and gone at once
            pipe.hgetall(flow_key)
            pipe.delete(flow_key)
            flow, _ = await pipe.execute()
    if not flow:
        return _result("Liên kết ủy quyền không hợp lệ", "Liên kết đã hết hạn (10 phút) hoặc đã được dùng. Hãy bắt "
                       "đầu lại từ trang ủy quyền OA.", status=400)  # fmt: skip
    who, target = flow["who"], f"oa:{tokens.oa_id}"
    code, oa_id = request.query.get("code", ""), request.query.get("oa_id", "")
    if not code:
        await audit.write(who, "oa authorize: refused", target, f"no code ({request.query.get('error', '')})")
        return _result("Chưa ủy quyền", "Zalo không trả về mã ủy quyền (có thể đã bấm Từ chối).", status=400)
    if oa_id and oa_id != tokens.oa_id:
        await audit.write(who, "oa authorize: refused", target, f"another OA was authorized ({oa_id})")
        return _result("Sai OA", f"Quyền được cấp cho OA {oa_id}, không phải OA {tokens.oa_id} của bot. Hãy chọn "
                       "đúng OA khi cấp quyền.", status=400)  # fmt: skip
    try:
        await tokens.exchange_code(code, flow["verifier"], who=f"oauth:{who}")
    except (RuntimeError, aiohttp.ClientError, TimeoutError) as exc:
        await audit.write(who, "oa authorize: failed", target, str(exc))
        log.error("exchanging Zalo's authorization code failed: %s", exc)
        return _result("Chưa ủy quyền được", f"Zalo không đổi được mã ủy quyền: {exc}. Hãy thử lại.", status=502)
    await audit.write(who, "oa authorize: done", target, "new token pair stored")
    log.info("the OA's Zalo authorization was renewed by %s through the console", who)
    return _result("Đã ủy quyền lại OA", "Bot gửi lại được tin nhắn: các trả lời đang giữ được gửi ngay, theo đúng "
                   "thứ tự của từng người dân.")  # fmt: skip
