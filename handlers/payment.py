"""Paying fees inside the chat.

```mermaid
stateDiagram-v2
    [*] --> awaiting_code: #thanhtoan (no code)
    awaiting_code --> awaiting_security: a dossier with fees due
    [*] --> awaiting_security: #thanhtoan <code> (card button)
    awaiting_security --> [*]: right security code / fee lines + pay button
    awaiting_security --> awaiting_security: wrong code (counts towards the locks)
    awaiting_security --> [*]: locked / whom to call
    awaiting_security --> [*]: "thôi, không thanh toán nữa" (then the rest of the message is answered)
```

Only what looks like a security code answers the prompt, and only for SECURITY_PROMPT_SECONDS:
any other message ("mã bảo mật ở đâu", "làm sổ đỏ bao lâu") goes to the flow that answers it and the
prompt stays open (kept in the bot's own data, `PAYMENT_PROMPT`), so the code sent next still pays;
a code sent after the prompt went stale is asked for again from the start instead of being checked.

The security code is asked for every time (it proves the citizen holds the receipt), never echoed
back, and masked in the transcript. Wrong codes count twice: towards the dossier's own lock (5 in
15 minutes, whoever tries) and towards this citizen's code-guessing throttle. The gateway's
confirmation reaches the citizen as a notice (see `bot.notify`)."""

from __future__ import annotations

import re
from datetime import datetime

from bot.dispatcher import Context, Router, SkipHandler, command_is, is_free_text, state_is
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON, PAYMENT_ENDED, PAYMENT_PROMPT
from handlers.lookup_code import CODE_ANSWERS, MISS_LIMIT, MISS_WINDOW_SECONDS, format_help
from handlers.start import stopped_reply
from lookup.codes import find_codes
from lookup.dossier import Dossier, PaymentState
from lookup.dossier_store import DossierNotFound
from lookup.dossiers import SECURITY_ALPHABET, SECURITY_CODE_LENGTH, SecurityCodeLocked, SecurityCodeRejected
from lookup.payments import AlreadyPaid, NoFeesDue
from lookup.text import fold, format_vnd
from understanding import intents as I

router = Router("payment")
AWAITING_CODE = "payment:awaiting_code"
AWAITING_SECURITY = "payment:awaiting_security"
# Long enough to find the receipt in a drawer; a code sent later is asked for again from the start.
SECURITY_PROMPT_SECONDS = 10 * 60
# Ways of saying "not now" to a payment under way (folded, as whole words at the message's start).
_STOP_PAYING = ("thoi", "khong thanh toan", "chua thanh toan", "de sau", "huy thanh toan", "khong tra",
                "khong muon thanh toan", "dung thanh toan", "khoi thanh toan")  # fmt: skip
_STOP_ONLY_WORDS = 6  # "thôi không thanh toán nữa ạ": a stop and nothing else


@router.on(command_is("#thanhtoan"))
async def start_payment(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "payment"
    codes = find_codes(ctx.command()[1])
    if not codes:
        ctx.set_state(AWAITING_CODE)
        return [Text(
            "💳 Thanh toán phí, lệ phí ngay trong Zalo: gửi mã hồ sơ in trên Phiếu tiếp nhận (ví dụ "
            f"{ctx.deps.example_code}). Bạn sẽ cần cả mã bảo mật in trên phiếu.",
            (Button("Hướng dẫn thanh toán", "#hd thanhtoan 1"), MENU_BUTTON),
        )]  # fmt: skip
    return await _ask_security_code(ctx, codes[0])


def _expects_code(ctx: Context) -> bool:
    interpretation = ctx.interpretation
    return is_free_text(ctx) and (bool(find_codes(ctx.text)) or interpretation.ambiguous or interpretation.near_code
                                  or interpretation.intent in (*CODE_ANSWERS, I.PAY_FEES))  # fmt: skip


@router.on(state_is(AWAITING_CODE), _expects_code)
async def code_for_payment(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "payment"
    codes = find_codes(ctx.text)
    if not codes:
        return [format_help(ctx, ctx.text)]
    return await _ask_security_code(ctx, codes[0])


async def _ask_security_code(ctx: Context, code: str) -> list[Reply]:
    try:
        dossier = await ctx.deps.dossiers.get(code)
    except DossierNotFound:
        ctx.set_state(None)
        ctx.meta["outcome"] = "not_found"
        await ctx.deps.throttle.hit(ctx.user, "code-miss", MISS_WINDOW_SECONDS)
        return [Text(f"Không tìm thấy hồ sơ có mã {code}. Vui lòng kiểm tra lại mã trên Phiếu tiếp nhận.",
                     (Button("Hỗ trợ", "#hotro"), MENU_BUTTON))]  # fmt: skip
    return ask_security_code(ctx, dossier)


def ask_security_code(ctx: Context, dossier: Dossier) -> list[Reply]:
    """Paying `dossier`: its fees and the security code asked for, or why there is nothing to pay."""
    ctx.meta["flow"] = "payment"
    ctx.meta["dossier_code"] = dossier.code
    if blocked := _nothing_to_pay(dossier):
        ctx.set_state(None)
        return [blocked]
    ctx.set_state(AWAITING_SECURITY)
    # Kept with the bot's own data, which other flows' answers leave alone: "mã bảo mật ở đâu", then
    # the code, still pays (the prompt ended with the first answer of another flow).
    ctx.data[PAYMENT_PROMPT] = {"code": dossier.code, "asked_at": ctx.now.timestamp()}
    return [Text(
        f"Hồ sơ {dossier.code}: phí, lệ phí {format_vnd(dossier.total_fee_vnd)}.\n"
        "Để thanh toán, vui lòng gửi mã bảo mật (8 ký tự) in trên Phiếu tiếp nhận và hẹn trả kết quả. "
        "Mã chỉ dùng để xác nhận bạn là người nộp hồ sơ, không hiển thị lại.",
        (Button("Hủy", "#menu"),),
    )]  # fmt: skip


def fees_due(dossier: Dossier) -> bool:
    """The dossier has fees and they are not paid (or refunded) yet."""
    return _nothing_to_pay(dossier) is None


def _nothing_to_pay(dossier: Dossier) -> Text | None:
    if dossier.total_fee_vnd == 0:
        return Text(f"Hồ sơ {dossier.code} không phải nộp phí, lệ phí.",
                    (Button("Xem hồ sơ", dossier.code), MENU_BUTTON))  # fmt: skip
    if any(p.state in (PaymentState.DA_THANH_TOAN, PaymentState.DA_HOAN_PHI) for p in dossier.payments):
        return Text(f"Phí, lệ phí của hồ sơ {dossier.code} đã được thanh toán. Bạn không cần nộp lại.",
                    (Button("Xem hồ sơ", dossier.code), MENU_BUTTON))  # fmt: skip
    return None


_SEPARATORS = re.compile(r"(?<=[a-z0-9])[-._](?=[a-z0-9])")  # "KTDE-MA23", "ktde.ma23"


def _in_alphabet(run: str) -> bool:
    return all(c in SECURITY_ALPHABET for c in run.upper())


def security_code_typed(text: str) -> str | None:
    """The security code in a message, or what looks like a try at one ("ab3k 7qmn", "mã: AB3K7QMN",
    "KTDE-MA23", "WRONG001"): a run of 6 to 10 letters and digits once a leading "mã (bảo mật) (là)"
    is taken off, separators dropped and the two halves of a code typed with a space joined. Words
    and numbers are not tries: a run holds a letter and a digit, or is one word of exactly the
    code's length in the code's alphabet ("ABCDEFGH"; not "password", "khaisinh", "bao nhiêu", whose
    letters the alphabet lacks or which are two words; not a phone number)."""
    folded = _SEPARATORS.sub("", fold(text).strip(" .,:;!?"))
    folded = re.sub(r"^ma\b(?: bao mat\b)?(?: cua (?:em|toi|minh)\b)?(?: la\b)?(?:\s*[:=]\s*|\s+)", "", folded)
    folded = re.sub(r"(?:\s+(?:a|nhe|nha|ha|day|roi|ban))+$", "", folded)  # "… ạ", "… nhé"
    joined = folded.replace(" ", "")
    mixed = bool(re.search(r"\d", joined) and re.search(r"[a-z]", joined))
    if re.fullmatch(r"[a-z0-9]{6,10}", joined) and len(folded.split()) <= 2:
        lettered = len(folded.split()) == 1 and len(joined) == SECURITY_CODE_LENGTH and _in_alphabet(joined)
        return joined.upper() if mixed or lettered else None
    runs = [w for w in re.findall(r"\b[a-z0-9]{6,10}\b", folded) if re.search(r"\d", w) and re.search(r"[a-z]", w)]
    runs += [w for w in re.findall(r"\b[a-z]{8}\b", folded) if _in_alphabet(w)]
    return runs[0].upper() if len(set(runs)) == 1 else None


def may_hold_a_code(text: str) -> bool:
    """Whether a message could hold a security code, however typed: any run of 6 to 10 letters and
    digits with both, or of 8 of the code's letters, separators dropped. While a payment is under
    way (or just ended) such a message is masked in the transcript whichever flow answers it."""
    folded = _SEPARATORS.sub("", fold(text))
    return any((re.search(r"\d", w) and re.search(r"[a-z]", w)) or (len(w) == SECURITY_CODE_LENGTH and _in_alphabet(w))
               for w in re.findall(r"[a-z0-9]{6,10}", folded))  # fmt: skip


# A prompt older than this is forgotten (a code sent until then is told the payment must restart).
PROMPT_FORGOTTEN_SECONDS = 60 * 60


def _prompt(ctx: Context) -> dict:
    """The security code asked for and not yet given: {"code": the dossier's, "asked_at": seconds};
    {} when there is none, it is forgotten, or the citizen has since opened another dossier's card
    (their next code is that dossier's, not this one's)."""
    prompt = ctx.data.get(PAYMENT_PROMPT) or {}
    memory = ctx.memory
    other_dossier = memory.get("shown") == "dossier" and memory.get("dossier") not in (None, prompt.get("code"))
    forgotten = ctx.now.timestamp() - float(prompt.get("asked_at") or 0) > PROMPT_FORGOTTEN_SECONDS
    if prompt and (forgotten or other_dossier):
        _end_payment(ctx)
        return {}
    return prompt


def _end_payment(ctx: Context) -> None:
    if ctx.data.pop(PAYMENT_PROMPT, None) is not None or ctx.state in (AWAITING_CODE, AWAITING_SECURITY):
        ctx.data[PAYMENT_ENDED] = ctx.now.timestamp()
    if ctx.state in (AWAITING_CODE, AWAITING_SECURITY):
        ctx.set_state(None)


def _prompt_fresh(ctx: Context, now: datetime) -> bool:
    return now.timestamp() - float(_prompt(ctx).get("asked_at") or 0) <= SECURITY_PROMPT_SECONDS


def _codes_masked(ctx: Context) -> bool:
    """A payment under way, or ended less than SECURITY_PROMPT_SECONDS ago, and a message that could
    hold a code: masked in the transcript, then answered by whichever flow takes it."""
    if not is_free_text(ctx) or not may_hold_a_code(ctx.text):
        return False
    ended = float(ctx.data.get(PAYMENT_ENDED) or 0)
    return bool(_prompt(ctx)) or ctx.state == AWAITING_CODE or ctx.now.timestamp() - ended <= SECURITY_PROMPT_SECONDS


@router.on(_codes_masked)
async def mask_codes(ctx: Context) -> list[Reply]:
    ctx.meta["secret"] = True  # "KTDE-MA23" or "thôi được, mã là KTDEMA23": never kept in clear
    raise SkipHandler


def _answers_prompt(ctx: Context) -> bool:
    return bool(_prompt(ctx)) and is_free_text(ctx) and security_code_typed(ctx.text) is not None


@router.on(_answers_prompt, lambda ctx: not _prompt_fresh(ctx, ctx.now))
async def stale_security_code(ctx: Context) -> list[Reply]:
    """A code sent long after it was asked for is not checked (nor shown again): the payment starts
    over, so a code typed for another reason, much later, never pays or counts as a wrong guess."""
    ctx.meta.update(flow="payment", secret=True, outcome="stale_prompt")
    code = _prompt(ctx).get("code", "")
    _end_payment(ctx)
    minutes = SECURITY_PROMPT_SECONDS // 60
    return [Text(
        f"Yêu cầu thanh toán hồ sơ {code} đã quá {minutes} phút nên mình chưa kiểm tra mã vừa gửi. "
        "Bấm \"Thanh toán\" để bắt đầu lại.",
        (Button("Thanh toán", f"#thanhtoan {code}"), MENU_BUTTON),
    )]  # fmt: skip


@router.on(_answers_prompt)
async def security_code(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "payment"
    ctx.meta["secret"] = True  # the transcript keeps this message masked, never the code
    code = _prompt(ctx).get("code", "")
    ctx.meta["dossier_code"] = code
    if await ctx.deps.throttle.count(ctx.user, "code-miss", MISS_WINDOW_SECONDS) >= MISS_LIMIT:
        _end_payment(ctx)
        ctx.meta["outcome"] = "throttled"
        return [_locked_reply(ctx, minutes=1)]
    try:
        dossier = await ctx.deps.dossiers.get(code)
        await ctx.deps.dossiers.check_security_code(dossier, security_code_typed(ctx.text) or "")
    except DossierNotFound:
        _end_payment(ctx)
        return [format_help(ctx)]
    except SecurityCodeLocked as exc:
        _end_payment(ctx)
        ctx.meta["outcome"] = "throttled"
        return [_locked_reply(ctx, minutes=max(1, exc.retry_after // 60))]
    except SecurityCodeRejected:
        await ctx.deps.throttle.hit(ctx.user, "code-miss", MISS_WINDOW_SECONDS)
        ctx.meta["outcome"] = "wrong_security_code"
        return [Text(
            f"Mã bảo mật của hồ sơ {code} chưa đúng. Vui lòng kiểm tra lại mã in trên Phiếu tiếp nhận (8 ký tự, "
            "không phân biệt chữ hoa, chữ thường) và gửi lại.",
            (Button("Hủy", "#menu"), Button("Hỗ trợ", "#hotro")),
        )]  # fmt: skip
    _end_payment(ctx)
    try:
        dossier, payment = await ctx.deps.payments.request_payment(dossier)
    except (AlreadyPaid, NoFeesDue):
        return [_nothing_to_pay(await ctx.deps.dossiers.get(code)) or format_help(ctx)]
    await ctx.deps.following.remember_payer(payment.id, ctx.user)
    lines = [f"💳 Phí, lệ phí hồ sơ {dossier.code}:"]
    lines += [f"• {line.name}: {format_vnd(line.amount_vnd)}" for line in dossier.fee_lines]
    lines.append(f"Tổng cộng: {format_vnd(payment.amount_vnd)}")
    lines.append("Bấm Thanh toán để chọn ngân hàng trên Nền tảng thanh toán. Khi ngân hàng xác nhận, mình sẽ "
                 "nhắn cho bạn mã giao dịch và biên lai điện tử.")  # fmt: skip
    pay_url = f"{ctx.deps.base_url}/pay/{payment.id}"
    return [Text("\n".join(lines), (Button("Thanh toán", pay_url, "url"), MENU_BUTTON))]


def _stops_paying(ctx: Context) -> bool:
    folded = fold(ctx.text)
    under_way = ctx.state == AWAITING_CODE or (bool(_prompt(ctx)) and _prompt_fresh(ctx, ctx.now))
    return under_way and is_free_text(ctx) and any(re.match(rf"(?:da |vay |thoi )?{p}\b", folded) for p in _STOP_PAYING)


# After the code's routes: "thôi được, mã là KTDEMA23" is a try at the code, not a stop.
@router.on(_stops_paying)
async def stop_paying(ctx: Context) -> list[Reply]:
    """ "Thôi, không thanh toán nữa": the payment ends; a question after it is answered as usual."""
    if len(ctx.text.split()) <= _STOP_ONLY_WORDS:
        ctx.meta["flow"] = "payment"
        return [stopped_reply(ctx)]
    _end_payment(ctx)
    raise SkipHandler


def _locked_reply(ctx: Context, minutes: int) -> Text:
    hotline = ctx.deps.province.hotlines[0]
    return Text(
        f"Bạn đã nhập sai mã bảo mật quá nhiều lần nên việc thanh toán cho hồ sơ này tạm khóa khoảng {minutes} "
        f"phút. Nếu bạn không còn Phiếu tiếp nhận, vui lòng gọi {hotline.label}: {hotline.phone}.",
        (Button(f"Gọi {hotline.phone}", hotline.phone, "phone"), MENU_BUTTON),
    )
