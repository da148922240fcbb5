"""Photos and other media. Photos of a receipt's QR code will be read by the QR issue; until then
the citizen is told plainly and offered typing the code."""

from __future__ import annotations

from bot.dispatcher import Context, Router, event_is
from bot.replies import Button, Reply, Text
from bot.zalo.events import USER_MEDIA_EVENTS
from handlers.content import MENU_BUTTON

router = Router("media")


@router.on(event_is("user_send_image"))
async def photo(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "qr"
    ctx.meta["outcome"] = "not_supported_yet"
    return [Text(
        "Cảm ơn bạn đã gửi ảnh. Tính năng đọc mã QR trên Phiếu tiếp nhận đang được hoàn thiện. "
        "Trong lúc chờ, bạn vui lòng gõ mã hồ sơ in trên phiếu (ví dụ 000.09.23.H34-241015-0012).",
        (Button("Tra cứu hồ sơ", "#tracuuhoso"), MENU_BUTTON),
    )]  # fmt: skip


@router.on(event_is(*USER_MEDIA_EVENTS))
async def other_media(ctx: Context) -> list[Reply]:
    ctx.meta["outcome"] = "not_understood"
    return [Text(
        "Xin lỗi, mình chỉ đọc được tin nhắn chữ và ảnh chụp Phiếu tiếp nhận. "
        "Bạn vui lòng gửi mã hồ sơ, từ khóa thủ tục, hoặc chọn trong menu.",
        (MENU_BUTTON,),
    )]  # fmt: skip
