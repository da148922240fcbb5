"""Dossier lookup by receipt code: after the menu tap, or any message that contains a code.

```mermaid
stateDiagram-v2
    [*] --> awaiting_code: #tracuuhoso
    awaiting_code --> [*]: text with a code / card shown
    awaiting_code --> awaiting_code: text without a code / format help
    [*] --> [*]: any text with a code / card shown
    note right of awaiting_code: more than 3 misses a minute -> polite slow-down
```
"""

from __future__ import annotations

from bot.dispatcher import Context, Router, command_is, is_free_text, state_is
from bot.replies import Button, ListItem, ListReply, Reply, Text
from handlers.content import MENU_BUTTON, when
from handlers.handoff import OFFER
from lookup.codes import code_problem, find_codes
from lookup.dossier import NO_FEES, Dossier
from lookup.dossier_store import DossierNotFound
from lookup.text import format_vnd
from understanding import intents as I

router = Router("lookup")
# What an answer to "send the code" may be read as and still be a (wrong) code.
# A procedure search or an emoji is not a wrong code (it would count towards the guessing limit).
CODE_ANSWERS = frozenset({I.LOOKUP_DOSSIER, I.UNKNOWN, I.OUT_OF_SCOPE})
AWAITING_CODE = "lookup:awaiting_code"
MISS_LIMIT = 3
MISS_WINDOW_SECONDS = 60
MAX_LIST_ITEMS = 5  # Zalo's list template
RECENT_BUTTONS = 2  # dossiers looked up before, offered when a code is asked for


def _has_code(ctx: Context) -> bool:
    # Commands ("#tiendo <code>") belong to their own handlers, even though they contain a code; so
    # do "theo dõi hồ sơ <code>" and "thanh toán <code>" (the understanding router sends them on).
    return is_free_text(ctx) and ctx.interpretation.intent == I.LOOKUP_DOSSIER and bool(find_codes(ctx.text))


def _expects_code(ctx: Context) -> bool:
    """Asked for a code: the answer is one (or a try at one), unless it plainly means something else
    ("quên mã rồi", "cảm ơn"), which the understanding router then takes."""
    interpretation = ctx.interpretation
    return is_free_text(ctx) and (interpretation.ambiguous or interpretation.intent in CODE_ANSWERS
                                  or interpretation.near_code)  # fmt: skip


def dossier_card(dossier: Dossier, ctx: Context, following: bool = False) -> Text:
    view = dossier.public_view(ctx.now)
    step = dossier.current_step
    fees = "Không phải nộp phí" if view["fees"]["payment_state"] == NO_FEES else (
        f"{format_vnd(dossier.total_fee_vnd)} – {view['fees']['payment_state']}")  # fmt: skip
    lines = [
        f"📄 Hồ sơ {dossier.code}",
        f"Thủ tục: {dossier.procedure_name}",
        f"Cơ quan giải quyết: {dossier.agency_name}",
        f"Người nộp: {view['applicant']['full_name']}",
        f"Ngày tiếp nhận: {when(dossier.received_at)}",
        f"Ngày hẹn trả: {when(dossier.due_at)}{_time_left(dossier, ctx)}",
        f"Trạng thái: {dossier.status.label}",
        f"Bước hiện tại: {step.step}" + (f" – {step.unit}" if step.unit else ""),
        f"Tiến độ: {view['timeliness']}" + (" ⚠️" if view["overdue"] else ""),
        f"Phí, lệ phí: {fees}",
    ]
    if step.note:
        lines.append(f"Ghi chú: {step.note}")
    overdue = dossier.is_overdue(ctx.now)
    if overdue:
        # Late: the citizen is owed an apology and a way to ask why, not only the facts.
        lines.append("Rất tiếc, hồ sơ đã quá hạn trả kết quả: bạn có thể trao đổi với cán bộ hỗ trợ (nút bên dưới).")
    buttons = [Button("Xem tiến độ", f"#tiendo {dossier.code}")]
    if dossier.fees_unpaid:
        buttons.append(Button("Thanh toán", f"#thanhtoan {dossier.code}"))
    if overdue:
        buttons.append(OFFER)
    if following:
        buttons.append(Button("Bỏ theo dõi", f"#botheodoi {dossier.code}"))
    elif not dossier.status.is_final:
        buttons.append(Button("Theo dõi hồ sơ", f"#theodoi {dossier.code}"))
    buttons.append(MENU_BUTTON)
    return Text("\n".join(lines), tuple(buttons))


def _time_left(dossier: Dossier, ctx: Context) -> str:
    """The due date in words, "(còn 2 ngày làm việc nữa)", while the agency has the dossier; nothing
    once it is done, waiting for the citizen, or late (the card says "quá hạn")."""
    if dossier.status.is_final or dossier.finished_at is not None or dossier.waiting_for_citizen:
        return ""
    left = ctx.deps.dossiers.calendar.working_days_left(ctx.now, dossier.due_at)
    if left is None:
        return ""
    return " (đến hạn hôm nay)" if left == 0 else f" (còn {left} ngày làm việc nữa)"


def format_help(ctx: Context, typed: str | None = None) -> Text:
    problem = code_problem(typed) if typed else None
    if problem:  # "số thứ tự “001” có 3 chữ số, cần 4": what to fix, not only the shape
        # The code as typed, not the words around it ("mã hồ sơ H34-…" read back as 'Mã "mã hồ sơ …"').
        code_typed = " ".join(w for w in typed.split() if any(c.isdigit() for c in w)) or typed
        prefix = f'Mã "{code_typed[:60]}" chưa đúng: {problem}. '
    else:
        prefix = f'Mình chưa thấy mã hồ sơ trong "{typed[:60]}". ' if typed else ""
    return Text(
        f"{prefix}Mã hồ sơ in trên Phiếu tiếp nhận và hẹn trả kết quả, có dạng:\n{ctx.deps.example_code}\n"
        "(mã cơ quan – ngày nhận yyMMdd – số thứ tự). Bạn có thể gõ chữ thường, thiếu dấu chấm hay gạch nối, "
        "hoặc gửi ảnh chụp mã QR trên phiếu.",
        (MENU_BUTTON,),
    )


async def _too_many_misses(ctx: Context) -> bool:
    return await ctx.deps.throttle.count(ctx.user, "code-miss", MISS_WINDOW_SECONDS) >= MISS_LIMIT


def slow_down(ctx: Context) -> Text:
    return Text(
        "Bạn đã nhập mã chưa đúng nhiều lần. Vui lòng đợi khoảng 1 phút rồi thử lại, và kiểm tra kỹ mã "
        f'trên Phiếu tiếp nhận (dạng {ctx.deps.example_code}). Cần hỗ trợ, bấm "Hỗ trợ".',
        (Button("Hỗ trợ", "#hotro"), MENU_BUTTON),
    )


async def show_dossier(ctx: Context, codes: list[str]) -> list[Reply]:
    """The card of the first code that is a known dossier; counts a miss otherwise."""
    if ctx.meta.get("flow") != "qr":  # a photo's lookup stays a QR lookup on the dashboard
        ctx.meta["flow"] = "lookup"
    if await _too_many_misses(ctx):
        ctx.meta["outcome"] = "throttled"
        return [slow_down(ctx)]
    for code in codes:
        try:
            dossier = await ctx.deps.dossiers.get(code)
        except DossierNotFound:
            continue
        ctx.set_state(None)
        ctx.meta["dossier_code"] = dossier.code
        await ctx.deps.following.looked_up(ctx.user, dossier.code, ctx.now.timestamp())
        return [dossier_card(dossier, ctx, await ctx.deps.following.follows(ctx.user, dossier.code))]
    await ctx.deps.throttle.hit(ctx.user, "code-miss", MISS_WINDOW_SECONDS)
    ctx.meta["outcome"] = "not_found"
    shown = ", ".join(codes)
    return [Text(
        f"Không tìm thấy hồ sơ có mã {shown}. Vui lòng kiểm tra lại mã trên Phiếu tiếp nhận "
        f"(ví dụ {ctx.deps.example_code}), hoặc gửi ảnh chụp mã QR trên phiếu.",
        (Button("Hỗ trợ", "#hotro"), MENU_BUTTON),
    )]  # fmt: skip


@router.on(command_is("#hosocuatoi"))
async def my_dossiers(ctx: Context) -> list[Reply]:
    """The dossiers this citizen looked up or follows, newest first, each in its public view."""
    ctx.set_state(None)
    ctx.meta["flow"] = "lookup"
    items: list[ListItem] = []
    for code, followed in await ctx.deps.following.my_dossiers(ctx.user, MAX_LIST_ITEMS):
        try:
            dossier = await ctx.deps.dossiers.get(code)
        except DossierNotFound:
            continue
        mark = " · 🔔 đang theo dõi" if followed else ""
        items.append(ListItem(dossier.code, f"{dossier.procedure_name[:60]} – {dossier.status.label}{mark}",
                              action=Button("Xem", dossier.code)))  # fmt: skip
    if not items:
        return [Text("Bạn chưa tra cứu hay theo dõi hồ sơ nào tại đây. Gửi mã hồ sơ in trên Phiếu tiếp nhận (hoặc "
                     "ảnh mã QR) để tra cứu; hồ sơ đã tra sẽ được lưu lại trong mục này.",
                     (Button("Tra cứu hồ sơ", "#tracuuhoso"), MENU_BUTTON))]  # fmt: skip
    return [Text("📂 Hồ sơ của bạn (mới tra cứu trước):"), ListReply(tuple(items), (MENU_BUTTON,))]


@router.on(command_is("#tracuuhoso"))
async def ask_for_code(ctx: Context) -> list[Reply]:
    ctx.set_state(AWAITING_CODE)
    ctx.meta["flow"] = "lookup"
    # "Hồ sơ của em đến đâu rồi" from someone who looked a dossier up before: one tap to see it again.
    recent = [code for code, _ in await ctx.deps.following.my_dossiers(ctx.user, RECENT_BUTTONS)]
    text = ("Vui lòng gửi mã hồ sơ in trên Phiếu tiếp nhận và hẹn trả kết quả (ví dụ "
            f"{ctx.deps.example_code}), hoặc gửi ảnh chụp mã QR trên phiếu.")  # fmt: skip
    if recent:
        text += " Hoặc bấm để xem lại hồ sơ bạn đã tra cứu:"
    return [Text(text, (*(Button(f"Hồ sơ {code}", code) for code in recent), MENU_BUTTON))]


@router.on(command_is("#tiendo"))
async def progress(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "lookup"
    codes = find_codes(ctx.command()[1])
    if not codes:
        return [format_help(ctx)]
    try:
        dossier = await ctx.deps.dossiers.get(codes[0])
    except DossierNotFound:
        return await show_dossier(ctx, codes)
    ctx.meta["dossier_code"] = dossier.code
    lines = [f"🕒 Tiến độ hồ sơ {dossier.code}:"]
    for index, step in enumerate(dossier.timeline, start=1):
        unit = f" – {step.unit}" if step.unit else ""
        lines.append(f"{index}. {when(step.started_at)}: {step.step}{unit}")
        if step.note:
            lines.append(f"   Ghi chú: {step.note}")
    lines.append(f"Hẹn trả kết quả: {when(dossier.due_at)}")
    return [Text("\n".join(lines), (Button("Xem hồ sơ", dossier.code), MENU_BUTTON))]


@router.on(_has_code)
async def lookup_by_code(ctx: Context) -> list[Reply]:
    return await show_dossier(ctx, find_codes(ctx.text))


@router.on(state_is(AWAITING_CODE), _expects_code)
async def not_a_code(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "lookup"
    ctx.meta["outcome"] = "not_understood"
    if await _too_many_misses(ctx):
        return [slow_down(ctx)]
    await ctx.deps.throttle.hit(ctx.user, "code-miss", MISS_WINDOW_SECONDS)
    return [format_help(ctx, ctx.text)]
