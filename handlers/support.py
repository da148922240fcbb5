"""Whom to call: the province's hotlines with their hours, as call buttons."""

from __future__ import annotations

import unicodedata

from bot.dispatcher import Context, Router, intent_is
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON
from handlers.handoff import OFFER
from handlers.notices import office_hours_text
from understanding import intents as I

router = Router("support")

_GENERAL_TOPICS = frozenset({"procedure", "technical", "other"})
# Words that make a department's own hotline the one asked for, as typed with their marks ("trường" a
# school, "trưởng" a head; "kỳ thi", since bare "thi" is also "thị trấn"), or typed bare as a phrase.
_TOPIC_WORDS = {
    "education": (" trường ", " học ", " giáo dục ", " học sinh ", " sinh viên ", " văn bằng ", " tốt nghiệp ",
                  " tuyển sinh ", " kỳ thi ", " sở gd", " gd&đt ", " gdđt ", " giao duc ", " hoc sinh ", " tuyen sinh ",
                  " van bang ", " tot nghiep ", " truong hoc ", " so gd"),
}  # fmt: skip
_A_PERSONS_NUMBER = (" chu tich ", " pho chu tich ", " giam doc ", " truong phong ", " lanh dao ", " so rieng ",
                     " can bo ten ", " bi thu ")  # fmt: skip


@router.on(intent_is(I.HOTLINE))  # the menu's "#hotro" and the words for it ("số tổng đài", "sdt hỗ trợ")
async def hotlines(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    ctx.meta["flow"] = "support"
    province = ctx.deps.province
    hours = f"🕗 Giờ làm việc của bộ phận một cửa: {office_hours_text(province.office_hours)} (trừ ngày lễ, Tết)."
    asks_hours = any(w in ctx.folded for w in ("may gio", "gio lam viec", "mo cua", "dong cua", "gio hanh chinh"))
    lines = [hours] if asks_hours else []  # "ubnd phường mấy giờ mở cửa": the hours first
    if any(w in f" {ctx.folded} " for w in _A_PERSONS_NUMBER):
        lines.append("Số điện thoại riêng của lãnh đạo, cán bộ không được cung cấp qua kênh này; bạn có thể gọi các "
                     "tổng đài dưới đây hoặc gặp cán bộ hỗ trợ ngay trong Zalo.")  # fmt: skip
    lines.append(f"☎️ Hỗ trợ của {province.oa_name}:")
    # A department's own lines only when its field is asked about: "sđt chủ tịch phường" is not the Sở GD&ĐT's.
    typed = f" {' '.join(unicodedata.normalize('NFC', ctx.text).lower().split())} "
    for line in province.hotlines:
        if line.topic in _GENERAL_TOPICS or any(w in typed for w in _TOPIC_WORDS.get(line.topic, ())):
            lines.append(f"• {line.label}: {line.phone} ({line.hours})")
    lines.append(
        "Hỏi về thành phần hồ sơ, phí, thời hạn: gọi tổng đài thủ tục. Lỗi đăng nhập, tải tệp, thanh toán: "
        "gọi tổng đài kỹ thuật."
    )
    if not asks_hours:
        lines.append(hours)
    lines.append('Muốn trao đổi trực tiếp với cán bộ qua Zalo, bấm "Gặp cán bộ".')
    buttons = [Button(f"Gọi {line.phone}", line.phone, "phone") for line in province.hotlines[:2]]
    return [Text("\n".join(lines), (*buttons, OFFER, MENU_BUTTON))]
