"""Anything no other flow understood: a short help and the menu."""

from __future__ import annotations

from bot.dispatcher import Context, Router, event_is
from bot.replies import Reply
from handlers.content import menu_reply

router = Router("fallback")


@router.on(event_is("user_send_text"))
async def not_understood(ctx: Context) -> list[Reply]:
    ctx.meta["outcome"] = "not_understood"
    return [menu_reply(
        ctx.deps.content,
        "Xin lỗi, mình chưa hiểu ý bạn. Bạn có thể gửi mã hồ sơ để tra cứu, gõ tên thủ tục cần tìm, "
        "hoặc chọn một mục dưới đây:",
    )]  # fmt: skip
