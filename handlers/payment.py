"""The Thanh toán menu: how to pay fees online, and the fee state of a dossier when its code is
known. (Paying inside the chat is its own issue; until then the citizen is guided to the platform.)"""

from __future__ import annotations

from bot.dispatcher import Context, Router, command_is
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON
from lookup.codes import find_codes
from lookup.dossier_store import DossierNotFound
from lookup.text import format_vnd

router = Router("payment")


@router.on(command_is("#thanhtoan"))
async def how_to_pay(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    ctx.meta["flow"] = "payment"
    replies: list[Reply] = []
    codes = find_codes(ctx.command()[1])
    if codes:
        try:
            dossier = await ctx.deps.dossiers.get(codes[0])
        except DossierNotFound:
            dossier = None
        if dossier is not None:
            ctx.meta["dossier_code"] = dossier.code
            replies.append(Text(
                f"Hồ sơ {dossier.code}: phí, lệ phí {format_vnd(dossier.total_fee_vnd)}, "
                f"tình trạng: {dossier.payment_state()}. Khi thanh toán, bạn cần mã hồ sơ và mã bảo mật "
                "in trên Phiếu tiếp nhận."
            ))  # fmt: skip
    guide = ctx.deps.content.guides["thanhtoan"]
    replies.append(Text(
        "💳 " + guide.title + "\n\n" + "\n\n".join(guide.steps),
        (Button("Hướng dẫn từng bước", "#hd thanhtoan 1"), Button("Hỗ trợ", "#hotro"), MENU_BUTTON),
    ))  # fmt: skip
    return replies
