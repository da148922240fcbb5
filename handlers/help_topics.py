"""Help that is not a guide's steps: where the codes are on the receipt (and what to do when it is
lost), and where complaints and feedback go. Numbers and links come from the province config."""

from __future__ import annotations

from bot.dispatcher import Context, Router, intent_is
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON
from handlers.handoff import OFFER
from lookup.province import Province
from understanding import intents as I

router = Router("help")


def _phones(province: Province, *topics: str) -> str:
    return ", ".join(f"{h.label} {h.phone}" for h in province.hotlines if h.topic in topics)


@router.on(intent_is(I.RECEIPT_HELP))
async def receipt_codes(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    ctx.meta["flow"] = "support"
    province = ctx.deps.province
    counter = _phones(province, "procedure") or province.hotlines[0].phone
    return [Text(
        "🧾 Trên Phiếu tiếp nhận và hẹn trả kết quả:\n"
        f"• Mã hồ sơ in ở phần đầu phiếu, dạng {ctx.deps.example_code}; mã QR trên phiếu chứa mã này, bạn có "
        "thể gửi ảnh chụp mã QR cho mình.\n"
        "• Mã bảo mật in ngay dưới mã hồ sơ, dùng khi thanh toán và xem đầy đủ hồ sơ. Không đưa mã bảo mật cho "
        "người lạ.\n"
        "• Nộp trực tuyến: mã hồ sơ có trong thư điện tử, tin nhắn xác nhận và mục \"Quản lý hồ sơ đã nộp\".\n"
        "Mất phiếu hoặc quên mã: mang giấy tờ tùy thân đến bộ phận một cửa nơi đã nộp hồ sơ để được tra lại, "
        f"hoặc gọi {counter}.",
        (Button("Tra cứu hồ sơ", "#tracuuhoso"), OFFER, MENU_BUTTON),
    )]  # fmt: skip


@router.on(intent_is(I.COMPLAINT))
async def complaint(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    ctx.meta["flow"] = "support"
    province = ctx.deps.province
    content = _phones(province, "procedure", "education")
    technical = _phones(province, "technical")
    lines = ["📝 Phản ánh, kiến nghị về thủ tục hành chính, hồ sơ trễ hẹn hay thái độ phục vụ:"]
    if province.feedback_url:
        lines.append("• Gửi trực tuyến tại mục \"Phản ánh kiến nghị\" của Cổng Dịch vụ công (nút bên dưới); bạn sẽ "
                     "nhận mã để theo dõi câu trả lời.")  # fmt: skip
    if content:
        lines.append(f"• Về nội dung thủ tục, hồ sơ: {content}.")
    if technical:
        lines.append(f"• Về lỗi kỹ thuật (đăng nhập, tải tệp, thanh toán): {technical}.")
    lines.append("• Hoặc trao đổi với cán bộ hỗ trợ ngay tại đây.")
    buttons = [Button("Gửi phản ánh", province.feedback_url, "url")] if province.feedback_url else []
    return [Text("\n".join(lines), (*buttons, OFFER, MENU_BUTTON))]
