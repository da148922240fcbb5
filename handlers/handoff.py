"""Reaching a person: "gặp cán bộ", "tư vấn viên" (or the button offered by "hỗ trợ" and after two
messages the bot did not understand) hands the conversation to staff. The bot then stays quiet for
this citizen until staff hand it back (`bot.conversation` checks `bot.handoff`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from bot.dispatcher import Context, Router, command_is, text_folded_has
from bot.replies import Button, Reply, Text
from handlers.content import menu_reply
from handlers.notices import WEEKDAYS, office_hours_text
from lookup.calendar import VN_TZ
from lookup.province import OfficeHours

router = Router("handoff")
OFFER = Button("Gặp cán bộ", "#gapcanbo")
BACK_TO_THE_BOT = Button("Quay lại với bot", "#quaylaibot")


@router.on(command_is("#gapcanbo"))
@router.on(text_folded_has("gap can bo", "tu van vien", "noi chuyen voi can bo", "gap nguoi that"))
async def hand_to_staff(ctx: Context) -> list[Reply]:
    ctx.set_state(None)
    ctx.meta["flow"] = "handoff"
    await ctx.deps.handoffs.start(ctx.user, "asked", ctx.now.timestamp())
    province = ctx.deps.province
    hours = province.office_hours
    calls = ", ".join(f"{h.label} {h.phone}" for h in province.hotlines[:2])
    opening = next_opening(ctx.now, hours, ctx.deps.dossiers.calendar.is_working_day)
    if opening <= ctx.now:
        when_text = "Cán bộ hỗ trợ sẽ trả lời bạn ngay tại đây trong ít phút."
    else:
        when_text = (f"Hiện ngoài giờ làm việc ({office_hours_text(hours)}); cán bộ sẽ trả lời bạn từ "
                     f"{opening:%H:%M} {WEEKDAYS[opening.weekday()]}, {opening:%d/%m}.")  # fmt: skip
    return [Text(
        f"👤 Mình đã chuyển cuộc trò chuyện tới cán bộ hỗ trợ. {when_text}\nTrong lúc chờ, bot tạm ngừng trả lời; "
        f"bạn cứ nhắn câu hỏi, cán bộ sẽ đọc được. Cần gấp, vui lòng gọi: {calls}.\n"
        "Muốn quay lại với bot, bấm nút dưới đây hoặc nhắn “menu”.",
        (BACK_TO_THE_BOT,),
    )]  # fmt: skip


@router.on(command_is("#quaylaibot"))
async def back_to_the_bot(ctx: Context) -> list[Reply]:
    """The handoff was ended by `bot.conversation` before this runs (the citizen's tap)."""
    ctx.set_state(None)
    ctx.meta["flow"] = "handoff"
    return [menu_reply(ctx.deps.content, "Bạn đã quay lại trò chuyện với bot. Bạn cần hỗ trợ gì?")]


def next_opening(now: datetime, hours: OfficeHours, is_working_day: Callable[[date], bool]) -> datetime:
    """`now` if the office is open, else when it next opens (weekdays of the config, holidays skipped)."""
    local = now.astimezone(VN_TZ)
    open_h, open_m = (int(x) for x in hours.open.split(":"))
    close_h, close_m = (int(x) for x in hours.close.split(":"))
    for offset in range(0, 30):
        day = (local + timedelta(days=offset)).date()
        if day.weekday() not in hours.weekdays or not is_working_day(day):
            continue
        start = datetime(day.year, day.month, day.day, open_h, open_m, tzinfo=VN_TZ)
        end = datetime(day.year, day.month, day.day, close_h, close_m, tzinfo=VN_TZ)
        if offset == 0 and start <= local < end:
            return now
        if local < start:
            return start
    return now
