"""Follow, chat-now, unfollow and the ways back to the menu ("huỷ", "menu", "0")."""

from __future__ import annotations

from bot.dispatcher import Context, Router, command_is, event_is, text_folded_in
from bot.replies import Reply, Text
from handlers.content import menu_reply

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
    ctx.set_state(None)
    return [menu_reply(ctx.deps.content)]
