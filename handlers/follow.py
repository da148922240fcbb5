"""Following a dossier: "Theo dõi hồ sơ" on its card, "Bỏ theo dõi" on every notice."""

from __future__ import annotations

from bot.dispatcher import Context, Router, command_is
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON
from lookup.codes import find_codes
from lookup.dossier_store import DossierNotFound

router = Router("follow")


@router.on(command_is("#theodoi"))
async def follow(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "lookup"
    codes = find_codes(ctx.command()[1])
    try:
        dossier = await ctx.deps.dossiers.get(codes[0]) if codes else None
    except DossierNotFound:
        dossier = None
    if dossier is None:
        return [Text("Không tìm thấy hồ sơ để theo dõi. Vui lòng tra cứu lại bằng mã trên Phiếu tiếp nhận.",
                     (MENU_BUTTON,))]  # fmt: skip
    ctx.meta["dossier_code"] = dossier.code
    await ctx.deps.following.follow(ctx.user, dossier.code)
    return [Text(
        f"🔔 Đã theo dõi hồ sơ {dossier.code}. Mình sẽ nhắn cho bạn khi hồ sơ chuyển bước hoặc khi thanh toán "
        "được xác nhận.\nLưu ý: Zalo chỉ cho phép nhắn trong 7 ngày kể từ tin nhắn gần nhất của bạn; nếu lâu "
        "hơn, thông báo sẽ được gửi ngay khi bạn nhắn lại.",
        (Button("Bỏ theo dõi", f"#botheodoi {dossier.code}"), MENU_BUTTON),
    )]  # fmt: skip


@router.on(command_is("#botheodoi"))
async def unfollow(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "lookup"
    codes = find_codes(ctx.command()[1])
    if not codes or not await ctx.deps.following.unfollow(ctx.user, codes[0]):
        return [Text("Bạn không theo dõi hồ sơ này.", (MENU_BUTTON,))]
    ctx.meta["dossier_code"] = codes[0]
    return [Text(f"Đã bỏ theo dõi hồ sơ {codes[0]}. Bạn sẽ không nhận thông báo về hồ sơ này nữa.",
                 (Button("Theo dõi lại", f"#theodoi {codes[0]}"), MENU_BUTTON))]  # fmt: skip
