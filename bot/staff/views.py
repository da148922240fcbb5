"""The console's routes. Everything here runs behind bot.staff.guard (session + CSRF)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, datetime
from html import escape
from urllib.parse import quote

from aiohttp import web

from bot.appkeys import CATALOG, HTTP, REDIS, SANDBOX, SETTINGS, TRANSCRIPT
from bot.conv_keys import ConversationKeys, UserKey
from bot.ratelimit import RateLimited
from bot.replay.diff import TurnDiff
from bot.replay.runner import ReplayError, Target, replay
from bot.replay.sandbox import is_sandbox
from bot.replay.transcript_file import export_lines, parse_turns
from bot.staff import conversations, dashboard
from bot.staff.accounts import LOCKOUT_SECONDS, LoginResult
from bot.staff.context import ACCOUNTS, AUDIT, SESSIONS
from bot.staff.guard import SESSION
from bot.staff.handoff_views import handoff_controls
from bot.staff.html import bubbles, csrf_field, page, query_link, when
from bot.staff.sessions import COOKIE, IDLE_SECONDS, Session
from bot.transcript import FLOWS, OUTCOMES, user_of
from bot.web.clients import cookie_secure
from bot.web.jsonresp import json_response
from bot.web.limits import limit
from lookup.calendar import VN_TZ

routes = web.RouteTableDef()
LOGIN_CSRF_COOKIE = "tracuu_login_csrf"
FAILED_LOGIN_DELAY_SECONDS = 0.5  # with the lockout, slows password guessing to a crawl
FLOW_NAMES = {"lookup": "Tra cứu mã", "qr": "Ảnh QR", "search": "Thủ tục", "guidance": "Hướng dẫn",
              "payment": "Thanh toán", "support": "Hỗ trợ", "handoff": "Chuyển cán bộ",
              "smalltalk": "Chào hỏi, ngoài phạm vi"}  # fmt: skip
OUTCOME_NAMES = {"answered": "Đã trả lời", "not_understood": "Không hiểu", "error": "Lỗi"}


def _login_form(next_path: str, token: str, message: str = "") -> str:
    note = f'<p class="error">{escape(message)}</p>' if message else ""
    return (f'{note}<form method="post" action="/staff/login"><input type="hidden" name="csrf" value="{escape(token)}">'
            f'<input type="hidden" name="next" value="{escape(next_path)}"><p><label>Tên đăng nhập <input '
            f'name="name" autocomplete="username" required></label></p><p><label>Mật khẩu <input type="password" '
            f'name="password" autocomplete="current-password" required></label></p>'
            "<button>Đăng nhập</button></form>")  # fmt: skip


def _safe_next(value: str) -> str:
    # Only our own pages: never an absolute or scheme-relative URL (no open redirect).
    return value if value.startswith("/staff") and not value.startswith("//") else "/staff/conversations"


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/staff", httponly=True, samesite="Strict",
                        secure=cookie_secure(request))  # fmt: skip


@routes.get("/staff/login")
async def login_page(request: web.Request) -> web.Response:
    token = secrets.token_urlsafe(24)
    response = page("Đăng nhập", _login_form(_safe_next(request.query.get("next", "")), token))
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@routes.post("/staff/login")
async def login(request: web.Request) -> web.StreamResponse:
    try:
        client = await limit(request, "logins")
    except RateLimited as exc:
        response = page("Đăng nhập", "<p class='error'>Quá nhiều lần đăng nhập từ máy này; vui lòng thử lại sau ít "
                        "phút.</p>", status=429)  # fmt: skip
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    form = await request.post()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    # Bytes, not str: compare_digest refuses non-ASCII text (a forged token was a 500).
    given = str(form.get("csrf", "")).encode(errors="surrogateescape")
    if not expected or not secrets.compare_digest(given, expected.encode(errors="surrogateescape")):
        return page("Đăng nhập", "<p class='error'>Phiên đăng nhập đã hết hạn. <a href='/staff/login'>Thử lại</a></p>",
                    status=403)  # fmt: skip
    result, account = await request.app[ACCOUNTS].login(str(form.get("name", "")), str(form.get("password", "")),
                                                        client)  # fmt: skip
    next_path = _safe_next(str(form.get("next", "")))
    if result is not LoginResult.OK or account is None:
        await asyncio.sleep(FAILED_LOGIN_DELAY_SECONDS)
        locked = result is LoginResult.LOCKED
        message = ("Quá nhiều lần sai mật khẩu từ máy này; thử lại sau 15 phút." if locked
                   else "Sai tên đăng nhập hoặc mật khẩu.")  # fmt: skip
        token = secrets.token_urlsafe(24)
        response = page("Đăng nhập", _login_form(next_path, token, message), status=429 if locked else 401)
        if locked:
            response.headers["Retry-After"] = str(LOCKOUT_SECONDS)
        _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
        return response
    _, cookie = await request.app[SESSIONS].create(account)
    response = web.HTTPFound(next_path)
    _set_cookie(request, response, COOKIE, cookie, IDLE_SECONDS)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    raise response


@routes.post("/staff/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await request.app[SESSIONS].end(request[SESSION])
    response = web.HTTPFound("/staff/login")
    response.del_cookie(COOKIE, path="/staff")
    raise response


# Both spellings: the README, the start-up log and the login's `next` name /staff/ (it was a 404).
@routes.get("/staff")
@routes.get("/staff/")
async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/staff/conversations")


def _keys(request: web.Request) -> ConversationKeys:
    return ConversationKeys(request.app[SETTINGS].redis_key_prefix)


def _day_input(label: str, name: str, day: date | None) -> str:
    # Text, not type=date: Chromium draws a date input in the browser's locale ("mm/dd/yyyy" on an
    # English system) whatever the page's language; officers write days as dd/mm/yyyy.
    value = day.strftime("%d/%m/%Y") if day else ""
    return (f'<label>{label}<input name="{name}" value="{value}" placeholder="dd/mm/yyyy" inputmode="numeric" '
            r'pattern="\d{1,2}/\d{1,2}/\d{4}" title="ngày/tháng/năm, ví dụ 16/11/2026"></label>')  # fmt: skip


@routes.get("/staff/conversations")
async def conversation_list(request: web.Request) -> web.Response:
    session = request[SESSION]
    filters = conversations.Filters.from_query(request.query)
    try:
        page_number = int(request.query.get("page", "1"))
    except ValueError:
        page_number = 1
    listing = await conversations.find(request.app[REDIS], _keys(request), request.app[TRANSCRIPT], filters,
                                       page_number)  # fmt: skip
    params = filters.as_query()
    form = (f'<form class="filters" method="get" action="/staff/conversations">'
            f"{_day_input('Từ ngày', 'since', filters.since)}{_day_input('Đến ngày', 'until', filters.until)}"
            f'<label>Mã người dùng<input name="user" value="{escape(filters.user)}"></label>'
            f'<label>Mã hồ sơ<input name="code" value="{escape(filters.code)}"></label>'
            f'<label>Luồng<select name="flow"><option value="">(tất cả)</option>'
            + "".join(f'<option value="{f}"{" selected" if f == filters.flow else ""}>{FLOW_NAMES[f]}</option>'
                      for f in FLOWS)
            + '</select></label><label>Kết quả<select name="outcome"><option value="">(tất cả)</option>'
            + "".join(f'<option value="{o}"{" selected" if o == filters.outcome else ""}>{OUTCOME_NAMES[o]}</option>'
                      for o in OUTCOMES)
            + f'</select></label><label>Nội dung<input name="q" value="{escape(filters.text)}"></label>'
            f"<button>Lọc</button></form>")  # fmt: skip
    counts = ('<p class="counts">' + "".join(
        f'<a href="{query_link("/staff/conversations", params, flow=f)}">{FLOW_NAMES[f]}: '
        f'<span data-count="flow:{f}">{listing.counts[f"flow:{f}"]}</span></a>' for f in FLOWS)
        + " | " + "".join(
        f'<a href="{query_link("/staff/conversations", params, outcome=o)}">{OUTCOME_NAMES[o]}: '
        f'<span data-count="outcome:{o}">{listing.counts[f"outcome:{o}"]}</span></a>' for o in OUTCOMES)
        + "</p>")  # fmt: skip
    rows = "".join(
        f'<tr><td><a href="/staff/conversations/{quote(r.id)}">{escape(r.user_id)}</a></td><td>{when(r.last_at)}</td>'
        f"<td>{when(r.first_at)}</td><td>{r.turns}</td>"
        f"<td>{escape(', '.join(FLOW_NAMES[f] for f in sorted(r.flows) if f in FLOW_NAMES))}</td>"
        f"<td>{r.not_understood}</td><td>{escape(', '.join(sorted(r.codes)))}</td></tr>"
        for r in listing.rows
    )
    capped = (
        "<p>Tìm theo nội dung chỉ xét 1.000 hội thoại gần nhất; hãy thu hẹp ngày.</p>" if listing.text_capped else ""
    )
    pager = " ".join(
        f'<a href="{query_link("/staff/conversations", params, page=str(n))}">{n}</a>' if n != listing.page
        else f"<b>{n}</b>" for n in range(1, listing.pages + 1)
    )  # fmt: skip
    body = (f'{form}{counts}<p><span id="total">{listing.total}</span> hội thoại</p>{capped}'
            f"<table><tr><th>Người dùng</th><th>Hoạt động cuối</th><th>Bắt đầu</th><th>Lượt</th><th>Luồng</th>"
            f'<th>Không hiểu</th><th>Hồ sơ đã tra cứu</th></tr>{rows}</table><p class="pager">{pager}</p>')  # fmt: skip
    return page("Hội thoại", body, session)


async def _entries(request: web.Request, user: UserKey) -> list[dict]:
    entries = await request.app[TRANSCRIPT].entries(user)
    if not entries:
        raise web.HTTPNotFound(text="no such conversation (or it is past the retention period)")
    return entries


def _conversation_page(session: Session, conversation: str, entries: list[dict], revealed: dict[str, str] | None,
                       extra: str = "") -> web.Response:  # fmt: skip
    path = f"/staff/conversations/{quote(conversation)}"
    actions = (f'<fieldset><legend>Hội thoại này</legend><p><a href="{path}/export.jsonl">Tải JSONL (đã che số '
               f'điện thoại, số giấy tờ)</a></p><form method="post" action="{path}/replay">{csrf_field(session)}'
               f"<button>Chạy lại với bot hiện tại</button></form></fieldset>")  # fmt: skip
    if session.account.is_supervisor:
        # One labelled reason for both: the two fields used to stand unlabelled one under the other.
        actions += (f'<form method="post" action="{path}/reveal">{csrf_field(session)}<fieldset><legend>Dữ liệu cá '
                    "nhân chưa che (giám sát viên)</legend><label>Lý do xem, ghi vào nhật ký truy cập (ít nhất 5 "
                    'ký tự) <input name="reason" required minlength="5" placeholder="ví dụ: người dân gọi tổng đài '
                    'nhờ kiểm tra hồ sơ"></label><p><button>Hiện dữ liệu cá nhân</button> <button '
                    f'formaction="{path}/export">Tải JSONL không che</button></p></fieldset></form>')  # fmt: skip
    body = f'<div class="actions">{actions}</div>{extra}{bubbles(entries, revealed)}'
    return page(f"Hội thoại {user_of(conversation).user_id}", body, session)


@routes.get("/staff/conversations/{conversation}")
async def conversation_page(request: web.Request) -> web.Response:
    conversation, user = conversations.from_request(request)
    controls = await handoff_controls(request, request[SESSION], conversation)
    return _conversation_page(request[SESSION], conversation, await _entries(request, user), None, controls)


async def _audited_originals(request: web.Request, action: str) -> tuple[str, list[dict], dict[str, str]]:
    """For a supervisor who gave a reason: the conversation, its entries and the unmasked text of
    those that were sealed, once the access is in the audit log."""
    session = request[SESSION]
    if not session.account.is_supervisor:
        raise web.HTTPForbidden(text="only supervisors may see unmasked personal data")
    reason = str((await request.post()).get("reason", "")).strip()
    if len(reason) < 5:
        raise web.HTTPBadRequest(text="say why (at least 5 characters): it is written to the audit log")
    conversation, user = conversations.from_request(request)
    entries = await _entries(request, user)
    await request.app[AUDIT].write(session.account.name, action, conversation, reason[:300])
    transcript = request.app[TRANSCRIPT]
    originals = {e["id"]: text for e in entries if (text := transcript.reveal(user, e)) is not None}
    return conversation, entries, originals


@routes.post("/staff/conversations/{conversation}/reveal")
async def reveal(request: web.Request) -> web.Response:
    conversation, entries, originals = await _audited_originals(request, "reveal")
    return _conversation_page(request[SESSION], conversation, entries, originals)


@routes.get("/staff/conversations/{conversation}/export.jsonl")
async def export_masked(request: web.Request) -> web.Response:
    conversation, user = conversations.from_request(request)
    lines = export_lines(conversation, await _entries(request, user), exported_by=request[SESSION].account.name)
    return _jsonl(conversation, lines)


@routes.post("/staff/conversations/{conversation}/export")
async def export_unmasked(request: web.Request) -> web.Response:
    conversation, entries, originals = await _audited_originals(request, "export-unmasked")
    lines = export_lines(conversation, entries, unmasked=originals or None, exported_by=request[SESSION].account.name)
    return _jsonl(conversation, lines)


def _jsonl(conversation: str, lines: list[str]) -> web.Response:
    name = conversation.replace(":", "-")
    return web.Response(text="\n".join(lines) + "\n", content_type="application/x-ndjson",
                        headers={"Content-Disposition": f'attachment; filename="{name}.jsonl"'})  # fmt: skip


@routes.post("/staff/conversations/{conversation}/replay")
async def replay_conversation(request: web.Request) -> web.Response:
    session = request[SESSION]
    conversation, user = conversations.from_request(request)
    turns = parse_turns(export_lines(conversation, await _entries(request, user)))
    settings = request.app[SETTINGS]
    sandbox = request.app[SANDBOX]

    async def read(user_id: str) -> list[dict]:
        return await sandbox.read(UserKey(settings.zalo_oa_id, user_id))

    secret = settings.zalo_oa_secret_key.get_secret_value()
    target = Target(settings.loopback_url, settings.zalo_app_id, settings.zalo_oa_id, secret, "", request.app[HTTP],
                    read_captured=read)  # fmt: skip
    try:
        diffs, _ = await replay(turns, target)
    except ReplayError as exc:
        return page("Chạy lại", f'<p class="error">{escape(str(exc))}</p>', session, status=502)
    return page(f"Chạy lại {user.user_id}", _diff_html(conversation, diffs), session)


def _diff_html(conversation: str, diffs: list[TurnDiff]) -> str:
    names = {"same": "giống", "changed": "khác", "missing": "thiếu", "extra": "thừa",
             "not_replayable": "không chạy lại được (dữ liệu đã che)"}  # fmt: skip
    differ = sum(d.status not in ("same", "not_replayable") for d in diffs)
    masked = sum(d.status == "not_replayable" for d in diffs)
    rows = []
    for turn in diffs:
        said = turn.inbound.get("text") or turn.inbound.get("event_name", "")
        detail = ""
        for number, message in enumerate(turn.messages, 1):
            if message.status != "same":
                lines = message.diff if message.status == "changed" else (message.recorded or message.replayed or [])
                detail += f"<p>Tin {number}: {names[message.status]}</p><pre>{escape(chr(10).join(lines))}</pre>"
        rows.append(f'<tr class="turn"><td>{turn.index + 1}</td><td>{escape(said)}</td>'
                    f'<td class="{turn.status}" data-status="{turn.status}">{names[turn.status]}</td>'
                    f"<td>{detail}</td></tr>")  # fmt: skip
    summary = (f'<p id="replay-summary">{len(diffs)} lượt: {len(diffs) - differ - masked} giống, {differ} khác'
               + (f", {masked} không chạy lại được (dữ liệu đã che)" if masked else "") + ".</p>")  # fmt: skip
    back = f'<p><a href="/staff/conversations/{quote(conversation)}">Quay lại hội thoại</a></p>'
    return (f"{summary}{back}<table><tr><th>Lượt</th><th>Người dân gửi</th><th>Kết quả</th><th>Chi tiết</th></tr>"
            f'{"".join(rows)}</table>')  # fmt: skip


@routes.get("/staff/dashboard")
async def dashboard_page(request: web.Request) -> web.Response:
    redis, keys = request.app[REDIS], _keys(request)
    today = datetime.now(VN_TZ).date()  # the transcript's counters are kept by the wall clock
    days = await dashboard.recent_days(redis, keys, today)
    top = await dashboard.top_procedures(redis, keys, today)
    catalog_names = {code: name for code, _ in top if (name := _procedure_name(request, code))}
    labels = [d.day.strftime("%d/%m") for d in days]
    messages, not_understood = sum(d.messages for d in days), sum(d.not_understood for d in days)
    charts = [
        dashboard.bar_chart("Hội thoại mỗi ngày", labels, [d.conversations for d in days]),
        dashboard.bar_chart(
            f"Tỉ lệ tin nhắn bot không hiểu: {_share(not_understood, messages)} ({not_understood} / {messages} tin "
            "nhắn, 14 ngày)",
            labels,
            [d.not_understood_share if d.messages else None for d in days],  # no messages: "–", not 0 %
            percent=True,
            empty="Bot hiểu mọi tin nhắn trong 14 ngày" if messages else "Chưa có tin nhắn nào trong 14 ngày",
        ),
        dashboard.bar_chart(
            "Tra cứu hồ sơ: theo mã / theo ảnh QR (14 ngày)",
            ["Theo mã", "Theo QR"],
            [sum(d.lookup_code for d in days), sum(d.lookup_qr for d in days)],
            empty="Chưa có lượt tra cứu hồ sơ nào trong 14 ngày",
        ),
    ]
    rows = "".join(f"<tr><td>{escape(code)}</td><td>{escape(catalog_names.get(code, ''))}</td><td>{count}</td></tr>"
                   for code, count in top)  # fmt: skip
    head = "<tr><th>Mã</th><th>Thủ tục</th><th>Lượt</th></tr>"
    table = f"<h2>Thủ tục được xem nhiều nhất</h2><table>{head}{rows}</table>"
    if request[SESSION].account.is_supervisor:  # to label them and grow the understanding's training set
        table += ('<p><a href="/staff/not-understood.jsonl">Tải các tin nhắn bot chưa hiểu (14 ngày, đã che, '
                  "JSONL để gán nhãn)</a></p>")  # fmt: skip
    return page("Thống kê 14 ngày", "".join(charts) + table, request[SESSION])


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


def _procedure_name(request: web.Request, code: str) -> str:
    procedure = request.app[CATALOG].get(code)
    return procedure.name if procedure else ""


@routes.get("/staff/audit")
async def audit_page(request: web.Request) -> web.Response:
    session = request[SESSION]
    if not session.account.is_supervisor:
        raise web.HTTPForbidden(text="supervisors only")
    rows = "".join(f"<tr><td>{when(e['at_ms'])}</td><td>{escape(e['who'])}</td><td>{escape(e['action'])}</td>"
                   f"<td>{escape(e['conversation'])}</td><td>{escape(e['why'])}</td></tr>"
                   for e in await request.app[AUDIT].recent())  # fmt: skip
    body = f"<table><tr><th>Lúc</th><th>Ai</th><th>Việc</th><th>Hội thoại</th><th>Lý do</th></tr>{rows}</table>"
    return page("Nhật ký truy cập dữ liệu cá nhân", body, session)


@routes.get("/staff/api/sandbox/{user_id}")
async def sandbox_items(request: web.Request) -> web.Response:
    user = UserKey(request.app[SETTINGS].zalo_oa_id, request.match_info["user_id"])
    if not is_sandbox(user):
        raise web.HTTPNotFound(text="only replay sandbox users can be read here")
    return json_response({"items": await request.app[SANDBOX].read(user)})
