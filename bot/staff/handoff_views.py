"""Staff side of a handoff: the list of citizens waiting for a person, answering one through the OA
API (recorded in the transcript under the officer's name, audited), and handing the conversation
back to the bot."""

from __future__ import annotations

import secrets
from html import escape
from urllib.parse import quote

from aiohttp import web

from bot.appkeys import CONVERSATION, HANDOFFS
from bot.replies import Button, Text
from bot.staff.context import AUDIT
from bot.staff.conversations import from_request
from bot.staff.guard import SESSION
from bot.staff.html import csrf_field, page, when
from bot.staff.sessions import Session
from bot.transcript import conversation_id, user_of
from bot.zalo.auth import AuthorizationLost
from handlers.content import MENU_BUTTON

routes = web.RouteTableDef()
MAX_REPLY = 2000
BACK_TO_BOT = Text(
    "Cán bộ đã kết thúc phần hỗ trợ. Bạn có thể tiếp tục hỏi bot: gửi mã hồ sơ, tên thủ tục, hoặc chọn "
    "một mục trong menu. Cảm ơn bạn!",
    (Button("Tra cứu hồ sơ", "#tracuuhoso"), Button("Hỗ trợ", "#hotro"), MENU_BUTTON),
)


@routes.get("/staff/handoffs")
async def waiting_list(request: web.Request) -> web.Response:
    rows = "".join(
        f'<tr><td><a href="/staff/conversations/{quote(conversation_id(user))}">{escape(user.user_id)}</a></td>'
        f"<td>{when(float(info.get('since', 0)))}</td><td>{when(float(info.get('last_at', 0)))}</td></tr>"
        for user, info in await request.app[HANDOFFS].waiting()
    )  # fmt: skip
    body = ("<table><tr><th>Người dân</th><th>Yêu cầu lúc</th><th>Tin gần nhất</th></tr>" + rows + "</table>"
            if rows else "<p>Không có ai đang chờ cán bộ.</p>")  # fmt: skip
    return page("Đang chờ cán bộ", body, request[SESSION])


async def handoff_controls(request: web.Request, session: Session, conversation: str) -> str:
    """The reply form and the hand-back button, shown on a conversation a person is answering."""
    if not await request.app[HANDOFFS].active(user_of(conversation)):
        return ""
    path = f"/staff/conversations/{quote(conversation)}"
    return (f'<section class="handoff"><p><b>Đang chờ cán bộ trả lời.</b> Bot tạm ngừng với người này.</p>'
            f'<form method="post" action="{path}/reply">{csrf_field(session)}'
            f'<textarea name="text" required maxlength="{MAX_REPLY}" rows="3" cols="60"></textarea>'
            f"<button>Gửi qua Zalo</button></form>"
            f'<form method="post" action="{path}/handback">{csrf_field(session)}'
            f"<button>Trả lại cho bot</button></form></section>")  # fmt: skip


@routes.post("/staff/conversations/{conversation}/reply")
async def reply(request: web.Request) -> web.StreamResponse:
    conversation, user = from_request(request)
    session = request[SESSION]
    text = str((await request.post()).get("text", "")).strip()[:MAX_REPLY]
    if not text:
        raise web.HTTPBadRequest(text="the reply is empty")
    if not await request.app[HANDOFFS].active(user):
        raise web.HTTPConflict(text="this conversation is with the bot: nobody asked for a person")
    try:
        turn = await request.app[CONVERSATION].push(
            user, [Text(text)], f"staff:{session.account.name}", f"staff:{secrets.token_hex(8)}"
        )
    except AuthorizationLost:  # nothing can be sent until a supervisor authorizes the OA again
        return page("Chưa gửi được", '<p>OA đang mất quyền gửi tin nhắn Zalo nên tin trả lời <b>chưa được gửi</b>. '
                    'Người giám sát cấp lại quyền tại <a href="/staff/oa">Quyền Zalo của OA</a>, rồi bạn gửi lại.</p>',
                    session, status=503)  # fmt: skip
    await request.app[AUDIT].write(session.account.name, "reply", conversation, f"{len(text)} characters")
    if not (turn.sent(0) or "").startswith(("undelivered", "failed")):
        raise web.HTTPSeeOther(f"/staff/conversations/{quote(conversation)}")
    return page("Chưa gửi được", f"<p>Zalo không nhận tin nhắn ({escape(turn.sent(0) or '')}). Người dân có thể "
                "đã quá 7 ngày không nhắn cho OA.</p>", session, status=502)  # fmt: skip


@routes.post("/staff/conversations/{conversation}/handback")
async def hand_back(request: web.Request) -> web.StreamResponse:
    conversation, user = from_request(request)
    session = request[SESSION]
    if await request.app[HANDOFFS].end(user):
        await request.app[CONVERSATION].push(user, [BACK_TO_BOT], "handoff.back", f"handback:{secrets.token_hex(8)}")
        await request.app[AUDIT].write(session.account.name, "hand back", conversation, "")
    raise web.HTTPSeeOther(f"/staff/conversations/{quote(conversation)}")
