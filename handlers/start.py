"""Follow, chat-now, unfollow and the ways back to the menu ("huỷ", "menu", "0")."""

from __future__ import annotations

from bot.dispatcher import Context, Router, command_is, event_is, text_folded_in
from bot.replies import Reply, Text
from handlers.content import MENU_INTRO, PAYMENT_PROMPT, menu_reply

router = Router("start")


@router.on(event_is("follow", "user_click_chatnow"))
async def welcome(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    province = ctx.deps.province
    greeting = (
        f"Chào mừng bạn đến với {province.oa_name}! "
        "Tại đây bạn có thể tra cứu hồ sơ, tìm thủ tục hành chính, xem hướng dẫn nộp hồ sơ và thanh toán trực tuyến."
    )
    return [Text(greeting), menu_reply(ctx.deps.content)]


@router.on(event_is("unfollow"))
async def goodbye(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    return []  # Zalo does not let an OA write to someone who unfollowed


@router.on(text_folded_in("huy", "huỷ", "hủy", "menu", "0", "thoat", "quay lai", "bat dau"))
@router.on(command_is("#menu", "#batdau"))
async def back_to_menu(ctx: Context) -> list[Reply]:
    return [stopped_reply(ctx)]


# What a way back stopped, said before the menu: no payment may seem left half-done.
_STOPPED = {"payment": "Đã hủy thanh toán, chưa có khoản nào bị trừ. Khi cần, bấm \"Thanh toán\" để làm lại.",
            "lookup": "Đã dừng tra cứu hồ sơ.", "procedures": "Đã dừng tìm thủ tục."}  # fmt: skip


def stopped_reply(ctx: Context) -> Text:
    """The menu, after saying what was under way and is now stopped (a payment, a lookup)."""
    flow = "payment" if ctx.data.pop(PAYMENT_PROMPT, None) else (ctx.state or "").partition(":")[0]
    stopped = _STOPPED.get(flow)
    ctx.set_state(None)
    if stopped is None:
        return menu_reply(ctx.deps.content)
    return menu_reply(ctx.deps.content, f"{stopped} {MENU_INTRO}")
