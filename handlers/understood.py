"""Typed messages that no flow's state claimed, acted on by what the understanding component read
in them (`ctx.interpretation`): small talk, help topics, follow-ups about what was just shown,
procedure searches and questions, and "which one did you mean?" when the reading is weak.

```mermaid
flowchart LR
  T[free text] --> A{ambiguous?}
  A -- yes --> Q[ask which: buttons]
  A -- no --> I{intent}
  I --> S[small talk / help topics]
  I --> F[follow-ups: the dossier, procedure or list shown]
  I --> P[procedure search or question -> list or direct answer]
  I --> O[out of scope: what the bot can do]
```
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz

from bot.dispatcher import Context, Router, intent_is, is_free_text
from bot.replies import Button, Reply, Text
from handlers import answers, follow, guidance, handoff, lookup_code, payment, procedures, start
from handlers.content import MENU_BUTTON, OutsideTopic, menu_reply, when
from handlers.handoff import OFFER
from lookup.catalog import Catalog, Procedure
from lookup.dossier import NO_FEES, Dossier
from lookup.dossier_store import DossierNotFound
from lookup.search import Hit, ProcedureIndex
from lookup.text import fold, format_vnd, short_name, shorten
from understanding import Interpretation, entities, followups
from understanding import intents as I
from understanding.evidence import Naming
from understanding.interpreter import default_model
from understanding.normalize import normalize

router = Router("understood")
CONFIRM_CHOICES = 3
LISTED_CHOICES = 3  # "lệ phí bao nhiêu" after a list: the first answered, the next two as its buttons
SUGGEST_FLOOR = 0.1
# A question that asks a fact names a procedure its writer believes exists, so a best guess more
# likely right than not is answered (the other guesses as buttons) rather than asked about: the
# refusal's threshold is set for searches, where "nothing like it" is a common right answer.
LIKELY_GUESS = 0.5
# How sure the search must be of its first hit for a plain name to get that card rather than a list
# (its calibrated probability; in the 0.8-1.0 band 92 % of first hits were right on a held-out set).
CARD_SURELY = 0.9
# How many of search's procedures vote on the life-event group a question is about.
LIFE_EVENT_EVIDENCE = 5
VARIANT_SIMILARITY = 80  # rapidfuzz token-set ratio of two names for "the same procedure, another case"

# What a button says for each intent when the bot asks which one was meant, and what it sends.
_CHOICES: dict[str, tuple[str, str]] = {
    I.LOOKUP_DOSSIER: ("Tra cứu hồ sơ", "#tracuuhoso"),
    I.MY_DOSSIERS: ("Hồ sơ của tôi", "#hosocuatoi"),
    I.PAY_FEES: ("Thanh toán phí", "#thanhtoan"),
    I.LIFE_EVENTS: ("Thủ tục theo sự kiện", "#sukien"),
    I.GUIDE_REGISTER: ("Đăng ký tài khoản", "#hd dangky 1"),
    I.GUIDE_LOGIN: ("Đăng nhập, VNeID", "#hd dangnhap 1"),
    I.GUIDE_SUBMIT: ("Nộp hồ sơ trực tuyến", "#hd nophoso 1"),
    I.GUIDE_PAY: ("Hướng dẫn thanh toán", "#hd thanhtoan 1"),
    I.GUIDE_TRACK: ("Theo dõi tiến độ", "#hd theodoi 1"),
    I.RECEIPT_HELP: ("Mã hồ sơ ở đâu", "#maphieu"),
    I.HOTLINE: ("Số điện thoại hỗ trợ", "#hotro"),
    I.HUMAN: ("Gặp cán bộ", "#gapcanbo"),
    I.COMPLAINT: ("Phản ánh, kiến nghị", "#phananh"),
}
_SMALL_TALK = frozenset({I.GREETING, I.THANKS, I.CANCEL, I.OUT_OF_SCOPE, I.FRUSTRATION})
# Words of "I want to look up a procedure" that name none: such a message gets "which procedure?".
_GENERIC_SEARCH_WORDS = frozenset({
    "tra", "cuu", "tim", "kiem", "thu", "tuc", "hanh", "chinh", "muon", "can", "xem", "cho", "toi", "em", "minh",
    "hoi", "ve", "cac", "nhung", "mot", "lam", "gi", "nao", "a", "oi", "admin", "giup", "voi", "nhe", "duoc", "khong",
})  # fmt: skip
_CAN_DO = (
    "Mình có thể giúp bạn: tra cứu hồ sơ bằng mã trên Phiếu tiếp nhận (hoặc ảnh mã QR), tìm thủ tục hành chính "
    "và giấy tờ, lệ phí, thời gian, nơi nộp; hướng dẫn đăng ký, đăng nhập, nộp hồ sơ và thanh toán trực tuyến."
)


def _choice(ctx: Context, intent: str) -> Button | None:
    if intent in (I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION):
        query = ctx.text[:60]
        return Button(f"Tìm thủ tục “{shorten(query, 40)}”", f"#timthem 1 {query}")
    if intent in _CHOICES:
        return Button(*_CHOICES[intent])
    return None


def _is_ambiguous_action(ctx: Context) -> bool:
    interpretation = ctx.interpretation
    if not is_free_text(ctx) or not interpretation.ambiguous:
        return False
    runner_up = interpretation.runner_up[0] if interpretation.runner_up else None
    return not (interpretation.intent in _SMALL_TALK and runner_up in _SMALL_TALK)


@router.on(_is_ambiguous_action)
async def ask_which(ctx: Context) -> list[Reply]:
    """Weak or split reading: ask with buttons rather than answer the wrong thing."""
    ctx.meta["outcome"] = "not_understood"  # counted as such (two in a row offer a person)
    ctx.meta["asked_which"] = True
    interpretation = ctx.interpretation
    candidates = [i for i, _ in interpretation.ranked[:2]]
    # One reading a procedure question and the catalog somewhat sure of one ("ông nội em mất rồi, gia
    # đình được nhận tiền mai táng không ạ": the funeral allowances at 0.41): those procedures are the
    # choices, not "Tìm thủ tục «…»", which only searched the same words again.
    guesses = _guesses(ctx) if any(i in (I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION) for i in candidates) else []
    buttons: list[Button] = list(guesses)
    for intent in [*candidates, I.LOOKUP_DOSSIER, I.PROCEDURE_SEARCH]:
        if guesses and intent in (I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION):
            continue
        button = _choice(ctx, intent)
        if button and button.payload not in {b.payload for b in buttons}:
            buttons.append(button)
    buttons = buttons[:3]
    if OFFER.payload not in {b.payload for b in buttons}:  # a candidate may be the person already
        buttons.append(OFFER)
    question = "Có phải bạn hỏi về một trong các thủ tục này không?" if guesses else "Bạn muốn:"
    return [Text(f"Mình chưa chắc đã hiểu đúng. {question}", tuple(buttons))]


ASK_WHICH_GUESS = 0.3  # how likely a procedure must be to be offered when the reading is in doubt
ASK_WHICH_GUESSES = 2


def _guesses(ctx: Context) -> list[Button]:
    """The procedures the words most likely name, as buttons to their card (or to the fact asked)."""
    suggest = getattr(ctx.deps, "suggest", None)
    named = entities.procedure_queries(ctx.text, default_model().vocabulary)
    if suggest is None or not named:
        return []
    hits = [h for h in suggest(named[0], ASK_WHICH_GUESSES) if h.confidence >= ASK_WHICH_GUESS]
    facet = entities.asked_facet(normalize(ctx.text, default_model().vocabulary))
    out = []
    for hit in hits:
        if (procedure := ctx.deps.catalog.get(hit.code)) is not None:
            payload = f"#hoi {facet} {procedure.code}" if facet else f"#thutuc {procedure.code}"
            out.append(Button(shorten(answers.name_for_button(procedure.name), 40), payload))
    return out


def _as_command(ctx: Context, command: str) -> None:
    """Hand a typed request to the flow that serves its menu payload: one path for a tap and its words."""
    ctx.event = ctx.event.model_copy(update={"text": command})


def _dossier_in_view(ctx: Context) -> str:
    """The code typed in the message, else the dossier just shown, else ""."""
    codes = ctx.interpretation.dossier_codes
    if codes:
        return codes[0]
    return ctx.memory.get("dossier", "") if ctx.memory.get("shown") == "dossier" else ""


@router.on(intent_is(I.LOOKUP_DOSSIER))
async def lookup(ctx: Context) -> list[Reply]:
    if ctx.interpretation.near_code:  # "000.25.23.H34-26110-0001": a digit short
        ctx.meta["flow"] = "lookup"
        ctx.set_state(lookup_code.AWAITING_CODE)
        return [lookup_code.format_help(ctx, ctx.text)]
    return await lookup_code.ask_for_code(ctx)


@router.on(intent_is(I.MY_DOSSIERS))
async def mine(ctx: Context) -> list[Reply]:
    return await lookup_code.my_dossiers(ctx)


@router.on(intent_is(I.FOLLOW_DOSSIER, I.UNFOLLOW_DOSSIER))
async def following(ctx: Context) -> list[Reply]:
    code = _dossier_in_view(ctx)
    if not code and ctx.interpretation.intent == I.UNFOLLOW_DOSSIER:
        return await lookup_code.my_dossiers(ctx)  # the followed ones are marked; each card has "Bỏ theo dõi"
    if not code:
        ctx.meta["flow"] = "lookup"
        return [Text("Bạn muốn theo dõi hồ sơ nào? Hãy tra cứu hồ sơ (gửi mã in trên Phiếu tiếp nhận), rồi bấm "
                     "\"Theo dõi hồ sơ\" trên kết quả.",
                     (Button("Tra cứu hồ sơ", "#tracuuhoso"), MENU_BUTTON))]  # fmt: skip
    if ctx.interpretation.intent == I.FOLLOW_DOSSIER:
        _as_command(ctx, f"#theodoi {code}")
        return await follow.follow(ctx)
    _as_command(ctx, f"#botheodoi {code}")
    return await follow.unfollow(ctx)


@router.on(intent_is(I.PAY_FEES))
async def pay(ctx: Context) -> list[Reply]:
    _as_command(ctx, f"#thanhtoan {_dossier_in_view(ctx)}".strip())
    return await payment.start_payment(ctx)


@router.on(intent_is(I.LIFE_EVENTS))
async def life_events(ctx: Context) -> list[Reply]:
    group = life_event_of(ctx.deps.catalog, ctx.deps.search, ctx.text)
    if group is None:  # "có con nhỏ", "người thân qua đời làm thủ tục gì": a group's own name
        words = entities.procedure_words(ctx.text, default_model().vocabulary) or ctx.text
        named = procedures.groups_named(ctx.deps.catalog, words) or procedures.groups_named(ctx.deps.catalog, ctx.text)
        group = named[0].id if len(named) == 1 else None
    if group is not None:  # "sinh con cần làm thủ tục gì": the shelf itself, not the list of shelves
        _as_command(ctx, f"#nhom {group}")
        return await procedures.group(ctx)
    _as_command(ctx, "#sukien")
    return await procedures.groups(ctx)


def life_event_of(catalog: Catalog, search: Callable[[str, int, int], list[str]], text: str) -> str | None:
    """The life-event group a life-event question is about, from the catalog itself: the group that
    most of the procedures search finds for its words belong to, the first found among them (the
    births' group for "sinh con", the deaths' for "bố mất cần làm gì"); None when they disagree."""
    named = entities.procedure_queries(text, default_model().vocabulary)
    codes = search(named[0], LIFE_EVENT_EVIDENCE, 0) if named else []
    memberships = [set(p.life_events) for c in codes if (p := catalog.get(c)) is not None]
    if not memberships or not memberships[0]:
        return None
    votes = Counter(g for groups in memberships for g in groups)
    group, count = max(((g, votes[g]) for g in memberships[0]), key=lambda gv: gv[1])
    return group if count >= min(2, len(memberships)) else None


@router.on(intent_is(I.HUMAN))
async def human(ctx: Context) -> list[Reply]:
    return await handoff.hand_to_staff(ctx)


@router.on(intent_is(I.EMPTY))
async def empty(ctx: Context) -> list[Reply]:
    ctx.meta["outcome"] = "not_understood"
    return [menu_reply(ctx.deps.content, "Mình chưa đọc được nội dung tin nhắn. Bạn gõ câu hỏi bằng chữ, gửi mã hồ "
                                         "sơ, hoặc chọn một mục dưới đây:")]  # fmt: skip


@router.on(intent_is(I.GREETING))
async def greeting(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "smalltalk"
    return [menu_reply(ctx.deps.content, f"Chào bạn! Mình là trợ lý của {ctx.deps.province.oa_name}. {_CAN_DO} "
                                         "Bạn cần gì ạ?")]  # fmt: skip


@router.on(intent_is(I.THANKS))
async def thanks(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "smalltalk"
    return [Text("Rất vui được hỗ trợ bạn! Khi cần, bạn cứ nhắn cho mình hoặc chọn mục trong menu nhé.",
                 (MENU_BUTTON,))]  # fmt: skip


@router.on(intent_is(I.FRUSTRATION))
async def frustration(ctx: Context) -> list[Reply]:
    ctx.meta["flow"] = "smalltalk"
    ctx.meta["outcome"] = "frustrated"
    first = ctx.deps.province.hotlines[0]
    return [Text(
        "Mình xin lỗi vì chưa giúp được bạn như mong muốn. Bạn có thể trao đổi trực tiếp với cán bộ hỗ trợ ngay "
        f"tại đây, hoặc gọi {first.label}: {first.phone}.",
        (OFFER, Button(f"Gọi {first.phone}", first.phone, "phone"), MENU_BUTTON),
    )]  # fmt: skip


@router.on(intent_is(I.OUT_OF_SCOPE))
async def out_of_scope(ctx: Context) -> list[Reply]:
    if (topic := ctx.deps.content.outside_topic(ctx.text)) is not None:
        return _outside(ctx, topic)
    ctx.meta["flow"] = "smalltalk"
    ctx.meta["outcome"] = "out_of_scope"
    return [menu_reply(ctx.deps.content, f"Xin lỗi, việc này nằm ngoài phạm vi hỗ trợ của {ctx.deps.province.oa_name}. "
                                         f"{_CAN_DO}")]  # fmt: skip


@router.on(intent_is(I.CANCEL))
async def cancel(ctx: Context) -> list[Reply]:
    return [start.stopped_reply(ctx)]


@router.on(intent_is(I.GUIDE_REGISTER, I.GUIDE_LOGIN, I.GUIDE_SUBMIT, I.GUIDE_PAY, I.GUIDE_TRACK))
async def guide(ctx: Context) -> list[Reply]:
    intent = ctx.interpretation.intent
    if intent == I.GUIDE_PAY and (code := _dossier_in_view(ctx)):
        try:
            dossier = await ctx.deps.dossiers.get(code)
        except DossierNotFound:
            dossier = None
        if dossier is not None and payment.fees_due(dossier):
            # "thanh toán thế nào" with an unpaid dossier on screen: paying it, not the general guide
            _as_command(ctx, f"#thanhtoan {code}")
            return payment.ask_security_code(ctx, dossier)
    ctx.set_state(None)
    ctx.meta["flow"] = "guidance"
    topic = "dangnhap" if intent == I.GUIDE_LOGIN and "dangnhap" in ctx.deps.content.guides else I.GUIDE_TOPICS[intent]
    reply = guidance.step_reply(ctx.deps.content, topic, guidance.step_asked(ctx.deps.content, topic, ctx.text))
    return [reply] if reply else guidance.topics_reply(ctx.deps.content)


@dataclass(frozen=True)
class ProcedureReply:
    """What to answer a procedure search or question with (decided apart from sending it, so the
    answers benchmark measures exactly what the chat does)."""

    kind: Literal["ask_query", "answer", "card", "list", "confirm", "outside", "needs"]
    code: str | None = None
    facet: str | None = None
    variants: tuple[str, ...] = ()
    query: str = ""
    topic: OutsideTopic | None = None  # "outside": what is asked is done elsewhere than the catalog says
    more: bool = False  # "card": the search was sure of it and found others, a button away


def decide(interpretation: Interpretation, text: str, search: Callable[[str, int, int], list[str]],
           catalog: Catalog, memory: dict[str, Any],
           suggest: Callable[[str, int], list[Hit]] | None = None,
           outside: Callable[[str], OutsideTopic | None] | None = None) -> ProcedureReply:  # fmt: skip
    """`suggest(words, n)`: the best matches even when none is credible (for "did you mean …?"),
    each carrying the probability that the first is right; `outside(text)`: the topic outside the
    catalog the text names ("ly hôn", "giấy chứng sinh"), answered before any procedure whose name
    merely shares its words (recording a divorce granted abroad)."""
    if interpretation.intent == I.CORRECTION and not interpretation.query:
        return ProcedureReply("ask_query", query=text)  # "không phải" alone: which one, then?
    query = interpretation.query or text
    if interpretation.procedure_code and catalog.get(interpretation.procedure_code) is not None:
        kind = "answer" if interpretation.facet else "card"
        return ProcedureReply(kind, interpretation.procedure_code, interpretation.facet, query=query)
    if not set(normalize(query).split()) - _GENERIC_SEARCH_WORDS:
        return ProcedureReply("ask_query", query=query)  # "tra cứu thủ tục": which one?
    if (needs := _paper_needed(query, search, memory)) is not None:
        return needs
    if (other_case := _other_case(query, search, catalog, memory, facet=interpretation.facet)) is not None:
        return other_case
    facet = interpretation.facet
    if interpretation.intent == I.CORRECTION and (corrected := _corrected(query, search, catalog, memory)):
        kind = "answer" if facet else "card"
        return ProcedureReply(kind, corrected[0], facet, tuple(close_variants(catalog, corrected, query)), query)
    if facet and (on_screen := _about_what_is_shown(catalog, memory, facet, query)) is not None:
        return on_screen
    named_words = followups.named_words(query) if facet else []  # what it names, the question taken out
    if facet and not named_words and memory.get("shown") not in ("procedure", "list"):
        return ProcedureReply("ask_query", facet=facet, query=query)  # "lệ phí bao nhiêu" of nothing shown
    if outside is not None and (topic := outside(query)) is not None and not _names_another(topic, query, search):
        return ProcedureReply("outside", facet=facet, query=query, topic=topic)
    codes: list[str] = []
    if facet:  # the words that name the procedure first: "lệ phí … bao nhiêu" is not part of its name
        for named in entities.procedure_queries(query, default_model().vocabulary):
            codes = search(named, procedures.ITEMS_PER_PAGE + 1, 0)
            if codes:
                break
    codes = codes or search(query, procedures.ITEMS_PER_PAGE + 1, 0)
    last = memory.get("procedure") if memory.get("shown") == "procedure" else None
    if facet and not codes and last and len(named_words) <= followups.FOLLOW_UP_WORDS:
        # "lệ phí bao nhiêu" about the one just shown; not "xin giấy chứng sinh ở đâu", which names
        # something else (that the catalog does not know is no reason to answer the last one's fact).
        return ProcedureReply("answer", last, facet, query=query)
    # A fact asked with circumstances around it ("người yêu em ở tỉnh khác thì nộp ở đâu" after the
    # marriage card, "bao lâu thì nhận được lương" after the pension's): no procedure named credibly
    # and no paper or act to name one, so it is asked of what is on screen (the search's guess for
    # "người yêu ở tỉnh khác" was a signature's certification).
    circumstances = facet and not codes and not _names_a_paper_or_act(named_words)
    if circumstances and (kept := _about_what_is_shown(catalog, memory, facet, query, words_fit=False)):
        return kept
    if facet and not codes and suggest:
        # Named, but not credibly: ask which one rather than say "nothing found" (an officer would).
        named = entities.procedure_queries(query, default_model().vocabulary)
        guesses = suggest(named[0], CONFIRM_CHOICES) if named else []
        if guesses and guesses[0].confidence >= LIKELY_GUESS:
            return ProcedureReply("answer", guesses[0].code, facet, tuple(h.code for h in guesses[1:]), query)
        if guesses:
            return ProcedureReply("confirm", None, facet, tuple(h.code for h in guesses), query)
    if not facet and codes and suggest and interpretation.intent == I.PROCEDURE_SEARCH:
        # A name typed plainly ("dang ki ket hon", "khai tu cho ba"): the search is sure of its first
        # (the common case: the plain marriage before the mobile one, the one abroad, re-registering),
        # so that card comes first, its nearest variant and the whole list a tap away. A list of five
        # there cost each citizen a tap for the first item (tryout-11: 13 of 50 citizens).
        best = suggest(query, 1)
        if best and best[0].code == codes[0] and best[0].confidence >= CARD_SURELY:
            variants = tuple(close_variants(catalog, codes, query, 1))
            return ProcedureReply("card", codes[0], None, variants, query, more=len(codes) > 1)
    if facet and codes:
        # The procedure asked about, even when its record lacks the fact: the answer says so and links
        # the source, its variants a tap away (another case's fee is not this one's).
        return ProcedureReply("answer", codes[0], facet, tuple(close_variants(catalog, codes, query)), query)
    return ProcedureReply("list", query=query)


def _paper_needed(query: str, search: Callable[[str, int, int], list[str]],
                  memory: dict[str, Any]) -> ProcedureReply | None:  # fmt: skip
    """ "Có cần mang giấy khai sinh không" asks whether one paper is in a procedure's dossier: the one
    the rest of the words name ("làm cccd có cần …"), else the one on screen; not the procedure
    the paper's own name finds (the birth registration, for "giấy khai sinh" after the ID card)."""
    vocabulary = default_model().vocabulary
    paper = entities.paper_asked(normalize(query, vocabulary))
    if paper is None:
        return None
    rest = f" {normalize(query, vocabulary)} ".replace(f" {paper} ", " ")
    named = followups.named_words(rest)
    codes = search(" ".join(named), 1, 0) if named else []
    code = codes[0] if codes else memory.get("procedure") if memory.get("shown") == "procedure" else None
    if code is None:
        return None
    return ProcedureReply("needs", code, "documents", query=_as_typed(query, paper))


# Words of a case that say nothing of which variant it is ("nếu em không có căn cước": "có" is
# not the marriage "có yếu tố nước ngoài"), folded.
_CASE_FILLERS = frozenset({
    "co", "khong", "chua", "da", "duoc", "bi", "la", "o", "cho", "cua", "va", "voi", "thi", "neu", "con", "em",
    "anh", "chi", "toi", "minh", "vo", "chong", "ba", "me", "bo", "giay", "to", "nguoi", "mot", "nay", "do",
})  # fmt: skip


def _other_case(query: str, search: Callable[[str, int, int], list[str]], catalog: Catalog, memory: dict[str, Any],
                facet: str | None) -> ProcedureReply | None:  # fmt: skip
    """ "Nếu vợ em ở tỉnh khác thì sao" after a procedure's card: the same procedure for that case. A
    variant of it the case names ("còn người nước ngoài thì sao" after the marriage: with a foreign
    element) is answered; else the case is of the one shown (where to file, for a place)."""
    shown = catalog.get(memory.get("procedure") or "") if memory.get("shown") == "procedure" else None
    case = entities.what_if(normalize(query, default_model().vocabulary)) if shown is not None else None
    if shown is None or case is None or entities.procedure_facet(case) is not None:
        return None  # "còn lệ phí thì sao": the fee of the one shown, asked as any fact is
    # The shown procedure's family (names alike), and the member whose name says what the case says
    # and the shown one's does not ("dưới 14 tuổi", "nước ngoài").
    family = [p for c in search(shown.name, procedures.ITEMS_PER_PAGE * 2, 0)
              if c != shown.code and (p := catalog.get(c)) is not None
              and fuzz.token_set_ratio(shown.name, p.name) >= VARIANT_SIMILARITY]  # fmt: skip
    said = set(fold(case).split()) - _CASE_FILLERS
    shown_words = set(fold(shown.name).split())

    def says_the_case(p: Procedure) -> int:
        return len(said & (set(fold(p.name).split()) - shown_words))

    best = max(family, key=says_the_case, default=None)
    if best is not None and says_the_case(best) > 0:
        return ProcedureReply("answer" if facet else "card", best.code, facet, (shown.code,), query)
    return ProcedureReply("answer" if facet else "card", shown.code, facet, (), query)


def _as_typed(text: str, folded: str) -> str:
    """The words of `text` that fold to `folded`, as typed (with their marks), else `folded`."""
    words = text.split()
    size = len(folded.split())
    for at in range(len(words) - size + 1):
        span = " ".join(words[at : at + size])
        if " ".join(fold(span).split()) == folded:
            return span.strip(" ,.?!")
    return folded


def _corrected(words: str, search: Callable[[str, int, int], list[str]], catalog: Catalog,
               memory: dict[str, Any]) -> list[str]:  # fmt: skip
    """A correction is of what is on screen: "không phải, ý tôi là cấp đổi vì hết hạn" after the
    adult ID card's card means the card's renewal, so the new words are searched with the name shown
    (or the list's query), and the procedure shown is not the answer (it was not what was meant)."""
    shown = memory.get("shown")
    procedure = catalog.get(memory.get("procedure") or "") if shown == "procedure" else None
    around = procedure.name if procedure is not None else memory.get("query") if shown == "list" else None
    if not around:
        return []
    return [
        c
        for c in search(f"{words} {around}", procedures.ITEMS_PER_PAGE + 1, 0)
        if procedure is None or c != procedure.code
    ]


# What is done to a paper, and for whom, in any procedure's name: beside a topic outside the catalog
# ("cấp lại sổ hộ khẩu bị mất", "làm giấy phép lao động cho người nước ngoài") they name nothing else.
_ACTION_WORDS = _GENERIC_SEARCH_WORDS | frozenset({
    "cap", "lai", "doi", "xin", "dang", "ky", "gia", "han", "bo", "sung", "sua", "dieu", "chinh", "huy", "nop",
    "bi", "mat", "hong", "rach", "nhan", "lay", "moi", "nguoi", "nuoc", "ngoai", "con", "o", "dau", "bao", "lau",
    "nhieu", "tien", "phi", "le", "giay", "to", "ho", "so",
})  # fmt: skip


def _names_another(topic: OutsideTopic, query: str, search: Callable[[str, int, int], list[str]]) -> bool:
    """Whether the words beside the topic's name a procedure of the catalog: "đổi bằng lái xe cần
    giấy tờ gì, có cần giấy khám sức khỏe không" asks the licence's documents, not the health check;
    "cấp lại sổ hộ khẩu bị mất" names none (what is done to a paper is no procedure of its own)."""
    rest = topic.without_terms(query)
    named = entities.procedure_queries(rest, default_model().vocabulary) if rest else []
    return any(
        len(words.split()) >= 2 and set(fold(words).split()) - _ACTION_WORDS and search(words, 1, 0) for words in named
    )


# Words that name a paper or an act: a follow-up holding one names a procedure of its own ("xin
# giấy phép karaoke ở đâu" after the birth card is not asked of the birth), folded.
_PAPER_OR_ACT = frozenset({
    "giay", "phep", "chung", "the", "so", "bang", "ho chieu", "dang ky", "dang ki", "dk", "cap", "xin", "lam",
    "thu tuc", "ho so", "chung nhan", "chung chi", "xac nhan", "cccd", "gplx", "lltp", "khai", "to khai",
})  # fmt: skip


def _names_a_paper_or_act(words: list[str]) -> bool:
    folded = f" {' '.join(fold(w) for w in words)} "
    return any(f" {w} " in folded for w in _PAPER_OR_ACT)


def _about_what_is_shown(catalog: Catalog, memory: dict[str, Any], facet: str, query: str,
                         words_fit: bool = True) -> ProcedureReply | None:  # fmt: skip
    """A follow-up that names nothing new ("lệ phí bao nhiêu", "phí cấp lại bao nhiêu") asks about
    what is on screen: the procedure shown if its name holds the words typed, or among the list just
    shown those whose names do (one: its answer; several, or no words: which one?). None when the
    words name something else, which is then searched for. `words_fit=False`: the words name
    nothing (circumstances), so what is shown is asked of whatever they are."""
    words = [fold(w) for w in followups.named_words(query)] if words_fit else []
    if len(words) > followups.FOLLOW_UP_WORDS:
        return None

    def fits(code: str) -> bool:
        procedure = catalog.get(code)
        return procedure is not None and set(words) <= set(fold(procedure.name).split())

    shown = memory.get("shown")
    if shown == "procedure" and memory.get("procedure") and fits(memory["procedure"]):
        return ProcedureReply("answer", memory["procedure"], facet, query=query)
    if shown != "list":
        return None
    listed = [c for c in memory.get("list") or [] if catalog.get(c) is not None]
    fitting = [c for c in listed if fits(c)]
    if fitting:
        # The first that fits, as the list ranked it, with the next ones a tap away: asking "which
        # one?" after every list cost each citizen a tap where the first was what they meant.
        return ProcedureReply("answer", fitting[0], facet, tuple(fitting[1:LISTED_CHOICES]), query)
    return None


def suggest_from(index: ProcedureIndex, floor: float = SUGGEST_FLOOR) -> Callable[[str, int], list[Hit]]:
    """`decide`'s suggestions from the search index: its ranking when the best is not credible, if
    the best is at least somewhat likely (below the floor the guesses are noise)."""

    def suggest(words: str, n: int) -> list[Hit]:
        hits = index.hits(words, n, credible_only=False)
        return hits if hits and hits[0].confidence >= floor else []

    return suggest


def names_from(index: ProcedureIndex) -> Callable[[str], Naming]:
    """How surely words name one procedure: the refusal model's calibrated probability that the best
    hit is what was meant, 0 when it is not credible, and whether people can do it (`understanding.
    evidence` sets the floors at which the catalog overrules the intent model)."""

    def names(words: str) -> Naming:
        best = index.best(words)
        if best is None or not best.credible:
            return Naming(0.0)
        procedure = index.catalog.get(best.code)
        return Naming(best.confidence, procedure is None or _for_people(procedure.subjects))

    return names


def _for_people(subjects: str | None) -> bool:
    """A record's subjects name a person ("Công dân Việt Nam", "Người nước ngoài"), or none at all."""
    folded = fold(subjects or "")
    return not folded or "cong dan" in folded or "nguoi" in folded or "ca nhan" in folded or "ho gia dinh" in folded


def close_variants(catalog: Catalog, codes: list[str], query: str = "", limit: int = 2) -> list[str]:
    """Among the next hits, the ones that are the same procedure for another case (under 14 / from
    14, first issue / re-issue, with a foreign element): names that differ in a few words only; and,
    first, one whose name holds the very paper the citizen named where the first's does not ("cấp lại
    giấy khai sinh": re-registering a birth is first, the copy of the birth certificate is what most
    who lost theirs need)."""
    top = catalog.get(codes[0]) if codes else None
    if top is None:
        return []
    top_name = fold(top.name)
    papers = [p for p in _PAPER.findall(fold(query)) if p not in top_name]
    named, similar = [], []
    for code in codes[1:4]:
        other = catalog.get(code)
        if other is None:
            continue
        name = fold(other.name)
        if any(p in name for p in papers):
            named.append(code)
        elif fuzz.token_set_ratio(top_name, name) >= VARIANT_SIMILARITY:
            similar.append(code)
    return (named[:1] + similar)[:limit]


# A paper a citizen names: "giấy khai sinh", "thẻ bảo hiểm y tế", "sổ hộ khẩu", "giấy chứng nhận …".
_PAPER = re.compile(r"\b(?:giay|the|so|bang|phieu|chung chi)(?: (?!o\b|tai\b|de\b|thi\b|co\b|bi\b)\w+){2}")


@router.on(intent_is(I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION, I.CORRECTION))
async def procedure(ctx: Context) -> list[Reply]:
    reply = decide(ctx.interpretation, ctx.text, ctx.deps.search, ctx.deps.catalog, ctx.memory,
                   getattr(ctx.deps, "suggest", None), ctx.deps.content.outside_topic)  # fmt: skip
    if reply.topic is not None:
        return _outside(ctx, reply.topic)
    if reply.kind == "ask_query":
        return await procedures.ask_for_query(ctx, reply.facet)
    if reply.kind == "confirm":
        return _confirm(ctx, reply)
    if reply.kind == "list" or reply.code is None:
        return procedures.results(ctx, reply.query, 1)
    if reply.kind == "needs" and (needing := ctx.deps.catalog.get(reply.code)) is not None:
        ctx.set_state(None)
        ctx.meta.update(flow="search", procedure_code=needing.code, facet="documents")
        return answers.paper_answer(needing, reply.query, ctx.deps.base_url, province=ctx.deps.province)
    return _answer(ctx, reply.code, reply.facet, list(reply.variants), reply.query if reply.more else "")


def _outside(ctx: Context, topic: OutsideTopic) -> list[Reply]:
    """Where the thing asked is done, since it is not one of the catalog's procedures, and the ones
    around it a tap away (their cards), or a person."""
    ctx.set_state(None)
    ctx.meta["flow"] = "search"
    ctx.meta["outcome"] = f"outside_catalog:{topic.id}"
    related = [p for c in topic.procedures if (p := ctx.deps.catalog.get(c)) is not None]
    buttons = [Button(shorten(answers.name_for_button(p.name), 40), f"#thutuc {p.code}") for p in related[:3]]
    return [Text(topic.text, (*buttons, OFFER, MENU_BUTTON))]


def _confirm(ctx: Context, reply: ProcedureReply) -> list[Reply]:
    ctx.set_state(None)
    ctx.meta["flow"] = "search"
    ctx.meta["outcome"] = "asked_which_procedure"
    choices = [p for c in reply.variants if (p := ctx.deps.catalog.get(c)) is not None]
    buttons = [Button(short_name(p.name, 60), f"#hoi {reply.facet} {p.code}") for p in choices]
    return [Text("Mình chưa chắc bạn hỏi thủ tục nào. Có phải một trong các thủ tục sau không?",
                 (*buttons, Button("Không phải, tìm lại", "#tracuuthutuc")))]  # fmt: skip


def _answer(ctx: Context, code: str, facet: str | None, variants: list[str], query: str = "") -> list[Reply]:
    ctx.set_state(None)  # answered: no longer waiting for "which procedure?"
    ctx.meta["flow"] = "search"
    procedure = ctx.deps.catalog.get(code)
    if procedure is None:
        return procedures.results(ctx, ctx.text, 1)
    ctx.meta["procedure_code"] = procedure.code
    ctx.meta["facet"] = facet
    others = [p for c in variants if (p := ctx.deps.catalog.get(c)) is not None]
    if facet is None:
        return [answers.procedure_card(procedure, ctx.deps.base_url, ctx.now.date(), others, query)]
    # "… ở đâu, mất bao lâu": each fact asked, in one message (the second one used to be dropped).
    asked = [] if ctx.text.startswith("#") else entities.facets_asked(ctx.text, default_model().vocabulary)
    facets = asked if facet in asked else [facet, *asked]
    return answers.facets_answer(
        procedure, facets, ctx.deps.base_url, others, province=ctx.deps.province, today=ctx.now.date()
    )


@router.on(intent_is(I.SELECT))
async def select(ctx: Context) -> list[Reply]:
    shown = ctx.memory.get("list") or []
    position = ctx.interpretation.ordinal
    if not shown or position is None or not (position == -1 or 1 <= position <= len(shown)):
        ctx.meta["outcome"] = "not_understood"  # the list stays in view for the next try
        return [Text(f"Danh sách vừa rồi có {len(shown)} thủ tục; bạn chọn số từ 1 đến {len(shown)} nhé.",
                     (MENU_BUTTON,))]  # fmt: skip
    return _answer(ctx, shown[position - 1 if position > 0 else -1], None, [])


@router.on(intent_is(I.MORE))
async def more(ctx: Context) -> list[Reply]:
    memory = ctx.memory
    if memory.get("shown") == "list" and memory.get("query"):
        return procedures.results(ctx, memory["query"], int(memory.get("page") or 1) + 1)
    if memory.get("shown") == "procedure" and memory.get("procedure"):
        return _answer(ctx, memory["procedure"], None, [])
    if memory.get("shown") == "dossier" and memory.get("dossier"):
        _as_command(ctx, f"#tiendo {memory['dossier']}")
        return await lookup_code.progress(ctx)
    return [menu_reply(ctx.deps.content, "Bạn muốn xem thêm về việc gì? Chọn một mục dưới đây:")]


@router.on(intent_is(I.DOSSIER_QUESTION))
async def dossier_question(ctx: Context) -> list[Reply]:
    """ "Bao giờ xong", "ai đang xử lý": about the dossier just shown."""
    ctx.meta["flow"] = "lookup"
    code = ctx.memory.get("dossier")
    try:
        dossier = await ctx.deps.dossiers.get(code) if code else None
    except DossierNotFound:
        dossier = None
    if dossier is None:
        return await lookup_code.ask_for_code(ctx)
    ctx.meta["dossier_code"] = dossier.code
    facet = ctx.interpretation.facet
    step = dossier.current_step
    if facet == "progress":
        _as_command(ctx, f"#tiendo {dossier.code}")
        return await lookup_code.progress(ctx)
    if facet == "unit":
        unit = step.unit or dossier.agency_name
        text = f"Hồ sơ {dossier.code} đang ở bước “{step.step}”, do {unit} xử lý (từ {when(step.started_at)})."
    elif facet == "fee":
        state = dossier.payment_state()
        if state == NO_FEES:
            text = f"Hồ sơ {dossier.code} không phải nộp phí, lệ phí."
        else:
            text = f"Phí, lệ phí của hồ sơ {dossier.code}: {format_vnd(dossier.total_fee_vnd)} – {state}."
    elif facet == "due":
        text = _due_text(dossier, ctx)
    else:
        same = step.step.strip().lower() == dossier.status.label.strip().lower()  # said once, not twice
        text = f"Hồ sơ {dossier.code}: {dossier.status.label}" + ("" if same else f", bước hiện tại “{step.step}”")
        text += f" – {step.unit}." if step.unit else "."
        if not dossier.waiting_for_citizen:
            text += " " + _due_text(dossier, ctx)
    if dossier.waiting_for_citizen and step.note:
        # What to add or do, in the officer's words: the citizen asks "phải bổ sung gì"
        text += f"\nCán bộ ghi: {step.note}"
    if dossier.waiting_for_citizen and step.respond_by:
        text += f"\nHạn bổ sung: {when(step.respond_by)}."
    return [Text(text, _dossier_buttons(dossier, ctx))]


def _dossier_buttons(dossier: Dossier, ctx: Context) -> tuple[Button, ...]:
    """Where a dossier's answer leads: paying what is unpaid, a person when it is overdue."""
    buttons = [Button("Xem tiến độ", f"#tiendo {dossier.code}")]
    if dossier.fees_unpaid:
        buttons.append(Button("Thanh toán", f"#thanhtoan {dossier.code}"))
    if dossier.is_overdue(ctx.now):
        buttons += [OFFER, Button("Số điện thoại hỗ trợ", "#hotro")]
    buttons.append(Button("Xem hồ sơ", dossier.code))
    return (*buttons[:4], MENU_BUTTON)


def _due_text(dossier: Dossier, ctx: Context) -> str:
    if dossier.finished_at is not None or dossier.status.is_final:
        return f"Hồ sơ {dossier.code} đã có kết quả ({dossier.status.label})."
    if dossier.waiting_for_citizen:
        return f"Hồ sơ {dossier.code} đang chờ bạn: {dossier.status.label}. Hẹn trả ban đầu: {when(dossier.due_at)}."
    if dossier.is_overdue(ctx.now):
        return (f"Hồ sơ {dossier.code} đã quá hẹn trả ({when(dossier.due_at)}). Bạn có thể gọi tổng đài hoặc gặp "
                "cán bộ (nút bên dưới) để được giải thích.")  # fmt: skip
    return f"Hồ sơ {dossier.code} hẹn trả kết quả lúc {when(dossier.due_at)}."
