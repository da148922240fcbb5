"""Lookup by a photo of the receipt's QR code: read it, then answer exactly like a typed code.

```mermaid
stateDiagram-v2
    [*] --> read: user_send_image
    read --> card: a QR holds a dossier code (one card per known dossier on the photo, up to 3)
    read --> not_receipt: QR read, no dossier code / say what was read
    read --> tips: nothing readable / photo tips, offer typing
    read --> tips: not an image, too large, unreachable
```
"""

from __future__ import annotations

import logging

from bot.dispatcher import Context, Router, event_is
from bot.image_fetch import ImageFetchError
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON
from handlers.lookup_code import show_dossier
from lookup.codes import extract_dossier_code
from lookup.dossier_store import DossierNotFound
from lookup.qr import ImageTooLarge, QRDecodeError

log = logging.getLogger(__name__)
router = Router("qr")


def tips(ctx: Context) -> str:
    return (
        "Mẹo chụp để đọc được mã QR:\n"
        "• Đặt điện thoại song song với tờ phiếu, không chụp nghiêng\n"
        "• Để mã QR chiếm phần lớn khung hình và giữ máy thật chắc\n"
        "• Chụp nơi đủ sáng, tránh bóng đổ và ánh đèn phản chiếu lên mã\n"
        f"Hoặc bạn gõ mã hồ sơ in trên phiếu, ví dụ {ctx.deps.example_code}."
    )


RETRY_BUTTONS = (Button("Gõ mã hồ sơ", "#tracuuhoso"), MENU_BUTTON)
# Cards answered for one photo: each is its own Zalo message (2000 characters, 5 buttons); a photo
# of a family's receipts side by side has two or three, and more would flood the chat.
MAX_CARDS = 3


async def _known(ctx: Context, codes: list[str]) -> list[str]:
    known = []
    for code in codes:
        try:
            await ctx.deps.dossiers.get(code)
        except DossierNotFound:
            continue
        known.append(code)
    return known


@router.on(event_is("user_send_image"))
async def photo(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "qr"
    urls = [a.url for a in ctx.event.attachments if a.url]
    if not urls:
        ctx.meta["outcome"] = "not_understood"
        return [
            Text("Mình chưa nhận được ảnh. Bạn thử gửi lại ảnh chụp mã QR trên Phiếu tiếp nhận nhé.", RETRY_BUTTONS)
        ]
    payloads: list[str] = []
    for url in urls[:3]:
        try:
            payloads += await ctx.deps.read_photo(url)
        except ImageTooLarge:
            ctx.meta["outcome"] = "error"
            too_large = "Ảnh quá lớn để xử lý. Bạn vui lòng chụp lại hoặc gửi ảnh nhỏ hơn.\n\n"
            return [Text(too_large + tips(ctx), RETRY_BUTTONS)]
        except QRDecodeError:
            ctx.meta["outcome"] = "error"
            return [Text("Tệp bạn gửi không phải là ảnh mà mình đọc được. " + tips(ctx), RETRY_BUTTONS)]
        except ImageFetchError as exc:
            log.warning("photo not fetched: %s", exc.reason)
            ctx.meta["outcome"] = "error"
            return [Text("Mình chưa tải được ảnh của bạn. Bạn vui lòng gửi lại ảnh, hoặc gõ mã hồ sơ.", RETRY_BUTTONS)]
    codes = list(dict.fromkeys(c for c in map(extract_dossier_code, payloads) if c))
    if codes:
        ctx.meta["qr"] = "read"
        known = await _known(ctx, codes)
        if len(known) <= 1:
            return await show_dossier(ctx, codes)  # one card, or the not-found answer naming the codes
        replies: list[Reply] = []
        for code in known[:MAX_CARDS]:
            replies += await show_dossier(ctx, [code])
        return replies
    if payloads:
        ctx.meta["outcome"] = "not_receipt"
        shown = payloads[0] if len(payloads[0]) <= 120 else payloads[0][:117] + "…"
        return [Text(
            f"Mình đọc được mã QR với nội dung:\n{shown}\n\nĐây không phải mã QR của Phiếu tiếp nhận hồ sơ "
            f"(mã đó chứa mã hồ sơ dạng {ctx.deps.example_code}). Bạn hãy chụp mã QR ở cuối tờ phiếu, hoặc gõ mã "
            "hồ sơ.",
            RETRY_BUTTONS,
        )]  # fmt: skip
    ctx.meta["outcome"] = "unreadable"
    return [Text("Mình chưa đọc được mã QR trong ảnh này.\n\n" + tips(ctx), RETRY_BUTTONS)]
