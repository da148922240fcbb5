"""Media other than photos (files, stickers, voice, video, links, locations): a polite redirect.
Photos are read as receipt QR codes by `handlers.qr_photo`."""

from __future__ import annotations

from bot.dispatcher import Context, Router, event_is
from bot.replies import Reply, Text
from bot.zalo.events import USER_MEDIA_EVENTS
from handlers.content import MENU_BUTTON

router = Router("media")


@router.on(event_is(*USER_MEDIA_EVENTS))
async def other_media(ctx: Context) -> list[Reply]:
    ctx.meta["outcome"] = "not_understood"
    return [Text(
        "Xin lỗi, mình chỉ đọc được tin nhắn chữ và ảnh chụp Phiếu tiếp nhận. "
        "Bạn vui lòng gửi mã hồ sơ, từ khóa thủ tục, hoặc chọn trong menu.",
        (MENU_BUTTON,),
    )]  # fmt: skip
