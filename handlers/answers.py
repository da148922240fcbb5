"""Answers citizens can use: one fact of a procedure in one short message, and the procedure card.

Everything said comes from the procedure's record (`lookup.facts`), names the procedure and its
code, and links the whole record (`/thu-tuc/{code}`); a fact the record lacks is said to be missing,
with the national portal's page, never guessed.

```mermaid
stateDiagram-v2
    [*] --> answer: #hoi <facet> <code> [<variant codes>]
    answer --> answer: a button to another fact, or to a close variant
    answer --> detail_page: Xem chi tiết (oa.open.url)
```
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from urllib.parse import quote

from bot.dispatcher import Context, Router, command_is
from bot.replies import Button, Reply, Text
from handlers.content import MENU_BUTTON
from lookup.calendar import VN_TZ
from lookup.catalog import Procedure
from lookup.facts import (
    FACETS,
    NO_UNIT,
    DocumentFact,
    Facet,
    ProcedureFacts,
    current_fee,
    facts_of,
    fee_expired,
    fees_today,
    is_case,
    is_conditional,
    unique_documents,
    where_lines,
)  # fmt: skip
from lookup.province import Hotline, Province
from lookup.text import fold, format_vnd, short_name, shorten
from lookup.text import words as folded_words

router = Router("answers")
ANSWER_LIMIT = 600
CARD_LIMIT = 800
MAX_BUTTONS = 5  # Zalo shows at most five buttons under a message
FACET_TITLES: dict[Facet, str] = {
    "documents": "Giấy tờ cần nộp", "fee": "Lệ phí", "time": "Thời gian", "where": "Nộp ở đâu",
    "online": "Nộp trực tuyến", "form": "Mẫu đơn, tờ khai", "result": "Kết quả nhận được",
}  # fmt: skip
# The facts a citizen asks about most, offered as buttons under every answer.
BUTTON_FACETS: tuple[Facet, ...] = ("documents", "fee", "time", "where", "online")
_ICONS: dict[Facet, str] = {"documents": "📄", "fee": "💰", "time": "⏱", "where": "📍", "online": "💻",
                            "form": "📝", "result": "✅"}  # fmt: skip
_MISSING: dict[Facet, str] = {
    "documents": "Mình chưa có thông tin về thành phần hồ sơ của thủ tục này.",
    "fee": "Mình chưa có thông tin về phí, lệ phí của thủ tục này.",
    "time": "Mình chưa có thông tin về thời hạn giải quyết của thủ tục này.",
    "where": "Mình chưa có thông tin về cơ quan giải quyết thủ tục này.",
    "online": "Mình chưa có thông tin thủ tục này có nộp trực tuyến được không.",
    "form": "Thủ tục này không có mẫu đơn, tờ khai riêng trên Cổng Dịch vụ công.",
    "result": "Mình chưa có thông tin về kết quả của thủ tục này.",
}  # fmt: skip


def procedure_hotline(province: Province | None) -> Hotline | None:
    """The province's line for questions about procedures (configuration), else its first."""
    if province is None or not province.hotlines:
        return None
    return next((h for h in province.hotlines if h.topic == "procedure"), province.hotlines[0])


def ask_line(province: Province | None) -> str:
    """Whom to ask about a fact the record lacks: the agency, or the province's procedure line."""
    hotline = procedure_hotline(province)
    if hotline is None:
        return "Bạn hỏi cơ quan giải quyết trước khi nộp."
    return f"Bạn hỏi cơ quan giải quyết hoặc gọi {hotline.label}: {hotline.phone}."


HEADER_NAME = 100  # a procedure's name in a header: the official one runs to 220 characters
_QUALIFIER = re.compile(r" (?:đối với|cho|của) ")


def header_name(name: str, limit: int = HEADER_NAME) -> str:
    """A procedure's name short enough for a reply's header (its code is said beside it) and still
    telling it from its siblings: long asides elided, and where it is still long, its opening clause
    with what it is for ("Đăng ký đất đai, tài sản gắn liền với đất… lần đầu đối với hộ gia đình, cá
    nhân…" is not the one "đối với tổ chức"), else cut at a word."""
    name = " ".join(name.split()).rstrip(" .")
    short = short_name(name, limit)
    if not short.endswith("…"):
        return short
    qualifiers = [m.start() for m in _QUALIFIER.finditer(name) if m.start() > 40]
    comma = name.find(", ", 20)
    if not qualifiers or comma < 0 or comma > 60 or comma >= qualifiers[-1]:
        return short
    words = name[: qualifiers[-1]].split()
    tail = " ".join(words[-2:]) + name[qualifiers[-1] :]  # with the two words before it ("lần đầu")
    opening = name[:comma]
    return f"{opening}… {shorten(tail, limit - len(opening) - 2)}"


def detail_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/thu-tuc/{quote(code, safe='.-')}"


def _portal_note(facts: ProcedureFacts) -> str:
    return " Xem trên Cổng Dịch vụ công quốc gia (nút bên dưới)." if facts.national_url else ""


def facet_answer(procedure: Procedure, facet: str, base_url: str, variants: Sequence[Procedure] = (), *,
                 province: Province | None = None, today: date | None = None) -> list[Reply]:  # fmt: skip
    """One fact of `procedure` in one message of at most 600 characters, naming it and its code,
    with buttons to the other facts, to close `variants` (asked about the same way) and to the
    detail page. `facet`: documents, fee, time, where, online, form or result (anything else gets
    the card). `province` names the bodies that receive the dossier (the "where" answer)."""
    if facet not in FACETS:
        return [procedure_card(procedure, base_url, today)]
    facts = facts_of(procedure)
    head = f"{_ICONS[facet]} {FACET_TITLES[facet]} – {header_name(facts.name)} (mã {facts.code}):"
    body = _body(facts, facet, province, room=ANSWER_LIMIT - len(head) - 45, today=today)
    text = _fit([head, *body], ANSWER_LIMIT)
    return [Text(text, _answer_buttons(facts, facet, base_url, variants, province))]


def facets_answer(procedure: Procedure, facets: Sequence[str], base_url: str, variants: Sequence[Procedure] = (),
                  *, province: Province | None = None, today: date | None = None) -> list[Reply]:  # fmt: skip
    """Several facts asked in one message ("xác nhận cư trú làm ở đâu, lấy trong bao lâu"): the first
    as `facet_answer` gives it, each next under its own heading while the message stays within
    ANSWER_LIMIT (a fact left out is one of the answer's buttons); the documents last."""
    asked = [f for f in dict.fromkeys(facets) if f in FACETS]
    # The documents' list fills a message by itself: asked with others, it comes last, in the room left.
    asked.sort(key=lambda f: f == "documents")
    if not asked:
        return [procedure_card(procedure, base_url, today)]
    replies = facet_answer(procedure, asked[0], base_url, variants, province=province, today=today)
    first = replies[0]
    if len(asked) == 1 or not isinstance(first, Text):
        return replies
    facts = facts_of(procedure)
    text = first.text
    for facet in asked[1:]:
        heading = f"{_ICONS[facet]} {FACET_TITLES[facet]}:"
        room = ANSWER_LIMIT - len(text) - len(heading) - 2
        if room < 80:
            break
        section = _fit([heading, *_body(facts, facet, province, room=room, today=today)], room + len(heading) + 1)
        if len(text) + 1 + len(section) > ANSWER_LIMIT or section == heading:
            break
        text = f"{text}\n{section}"
    return [Text(text, first.buttons), *replies[1:]]


# Words of a paper's name that do not tell papers apart ("giấy", "bản sao"): a paper asked of is
# found by its other words ("giấy khai sinh" in "Bản sao Giấy khai sinh của trẻ").
_PAPER_WORDS = frozenset({"giay", "ban", "sao", "chinh", "to", "cua", "con", "em", "toi", "minh"})


def _names_the_paper(name: str, key: list[str]) -> bool:
    """The document is that paper: its name opens with the paper's words, give or take a "Bản sao" or
    a "Giấy" and a word or two ("Bản sao Giấy khai sinh của trẻ"), not a form that mentions it
    ("Phiếu đề nghị giải quyết thủ tục về căn cước" is not the ID card)."""
    head = " ".join(folded_words(name)[: len(key) + 3])  # "Giấy chứng sinh; trường hợp …": words, not commas
    return f" {' '.join(key)} " in f" {head} "


def paper_answer(procedure: Procedure, paper: str, base_url: str, *, province: Province | None = None) -> list[Reply]:
    """Whether `procedure`'s dossier holds one paper ("có cần mang giấy khai sinh không"): "Có"
    with the record's line for it, or that its documents do not name it, then what they are."""
    facts = facts_of(procedure)
    head = f"📄 {header_name(facts.name)} (mã {facts.code}):"
    words = fold(paper).split()
    # "cccd can cuoc": the text spelled the abbreviation out beside it; the words are what is written.
    abbreviated = any(not re.search(r"[aeiouy]", w) for w in words)
    spelled = [w for w in words if re.search(r"[aeiouy]", w)] if abbreviated else words
    key = [w for w in spelled if w not in _PAPER_WORDS] or spelled or words
    found = [d for d in facts.documents if _names_the_paper(d.name, key)]
    if found:
        lines = ["Có. Thành phần hồ sơ ghi:"]
        lines += [f"• {d.short}" + (f" ({d.counts})" if d.counts else "")
                  + (f" – {shorten(d.group, 80)}" if is_case(d.group) else "") for d in found[:3]]  # fmt: skip
    elif facts.documents:
        lines = [f"Thành phần hồ sơ của thủ tục này không ghi “{paper}”. Hồ sơ gồm:"]
        lines += [f"• {d.short}" for d in facts.key_documents]
        if facts.other_documents > 0:
            lines.append(f"và {facts.other_documents} giấy tờ khác (bấm Giấy tờ cần nộp).")
    else:
        lines = [_MISSING["documents"], ask_line(province)]
    text = _fit([head, *lines], ANSWER_LIMIT)
    papers = Button(FACET_TITLES["documents"], f"#hoi documents {facts.code}")
    return [Text(text, (papers, *_answer_buttons(facts, "documents", base_url, (), province))[:MAX_BUTTONS])]


def _body(facts: ProcedureFacts, facet: Facet, province: Province | None, room: int = 420,
          today: date | None = None) -> list[str]:  # fmt: skip
    if facet in facts.missing:
        return [_MISSING[facet], ask_line(province) if facet != "form" else _portal_note(facts).strip()]
    match facet:
        case "time":
            if facts.time_source == "description":  # the portal's own words, not a figure per channel
                return [f"Theo mô tả trên Cổng Dịch vụ công: {facts.time_summary}."]
            if NO_UNIT in (facts.time_summary or "") and len({t.text for t in facts.times}) == 1:
                number = facts.times[0].text.split(" (")[0]
                return [f"Cổng Dịch vụ công ghi thời hạn “{number}” nhưng không ghi là ngày hay giờ.",
                        ask_line(province)]  # fmt: skip
            lines = _channel_lines(facts.times, facts.time_summary)
            if NO_UNIT in (facts.time_summary or ""):
                lines.append(ask_line(province))
            return lines
        case "fee":
            return _fee_lines(facts, province, today or _today())
        case "documents":
            return _document_lines(facts, room)
        case "where":
            return where_lines(facts, province)
        case "online":
            lines = [facts.online_text or ""]
            if facts.vneid:  # "làm trên VNeID được không": the app most citizens have on their phone
                lines.append("Nộp được cả trên ứng dụng VNeID (tài khoản định danh mức 2).")
            if facts.channels:
                lines.append("Cách nộp: " + ", ".join(c.lower() for c in facts.channels) + ".")
            return lines
        case "form":
            lines = [f"• {d.short}" for d in facts.forms[:5]]
            if facts.national_url:
                lines.append("Tải mẫu trên Cổng Dịch vụ công quốc gia (nút bên dưới).")
            return lines
        case "result":
            return [f"• {shorten(r, 150)}" for r in facts.results[:5]]
    return []


def _channel_lines(items: list, summary: str | None) -> list[str]:
    if len({i.text for i in items}) <= 1:
        return [f"{summary}."] if summary else []
    return [f"• {i.channel}: {i.text}" if i.channel else f"• {i.text}" for i in items]


def _today() -> date:
    return datetime.now(VN_TZ).date()


def fee_summary_today(facts: ProcedureFacts, today: date) -> str | None:
    """The fee in one line, for a card: the figure in force, or that the record has none."""
    now = current_fee(facts, today)
    if now is not None:
        return f"{format_vnd(now.amount)} (theo ghi chú của thủ tục)"
    if facts.fee_warning or facts.fee_note:  # "free" in the cell, a fee described: not said as a fact
        return "chưa ghi mức cụ thể, hỏi cơ quan giải quyết"
    fees = fees_today(facts, today, short=True)
    if not fees:
        return None
    if len({f.text for f in fees}) == 1:
        return fees[0].text
    return "; ".join(f"{f.channel}: {f.text}" if f.channel else f.text for f in fees)


def _fee_lines(facts: ProcedureFacts, province: Province | None, today: date) -> list[str]:
    now = current_fee(facts, today)
    if now is not None:  # the cell says free, the description states the one fee in force
        return [f"{format_vnd(now.amount)}.", f"Theo ghi chú của thủ tục: “{shorten(now.clause, 200)}”."]
    if facts.fee_warning or facts.fee_note:
        # The cell says free while the description names amounts, or cites the rule that fixes the
        # fee ("Theo quy định của Hội đồng nhân dân cấp tỉnh"): no figure to give, and not "Miễn phí".
        current = sorted({a.amount for a in facts.fee_amounts if not fee_expired(a.until, today)})
        if current:
            said = f"ghi chú của thủ tục nhắc các mức {', '.join(format_vnd(a) for a in current)}."
        else:
            said = f"ghi chú của thủ tục: “{shorten(facts.fee_note or '', 200)}”."
        return [f"Cổng Dịch vụ công không ghi mức lệ phí cụ thể; {said}", ask_line(province)]
    fees = fees_today(facts, today)
    lines = _channel_lines(fees, fees[0].text if fees and len({f.text for f in fees}) == 1 else None)
    expired = [f for f in facts.fees if fee_expired(f.until, today)]
    if expired:
        how = ", ".join((f.channel or "").lower() for f in expired if f.channel)
        how = f" khi nộp {how}" if how and len(expired) < len(facts.fees) else ""
        lines.append(f"Mức hiện nay{how} mình chưa có thông tin. " + ask_line(province))
    detail = next((f.detail for f in facts.fees if f.detail and not fee_expired(f.until, today)), None)
    detail = detail or (None if expired else facts.fee_description)
    if detail:
        lines.append("Ghi chú: " + shorten(detail.lstrip("-+ "), 200))
    return lines


def _case_of(facts: ProcedureFacts, document: DocumentFact) -> str | None:
    """The case the record lists `document` under, where it lists it under cases only."""
    key = document.short.lower().rstrip(" .;…")
    groups = [d.group for d in facts.documents if d.short.lower().rstrip(" .;…") == key]
    return groups[0] if groups and all(is_case(g) for g in groups) else None


def _case_heading(group: str) -> str:
    heading = re.sub(r",?\s*hồ sơ(?: gồm)?\s*$", "", group.rstrip(" :…").strip(), flags=re.IGNORECASE)
    return shorten(heading, 100).rstrip("…").rstrip(" ,") + ":"


def _document_lines(facts: ProcedureFacts, room: int) -> list[str]:
    """What everyone brings, then each case the record names with its own papers under its heading
    ("Trường hợp … đã ly hôn …:"), then the papers whose own wording makes them one case's ("Trường
    hợp trẻ em bị bỏ rơi …", "… (nếu có)") under "Tùy trường hợp"; listed like the rest, they read
    as asked of everyone. Whole lines only, within `room`."""
    shown = _documents_to_list(facts, room)
    common, worded, by_case = [], [], {}
    for d in shown:
        case = _case_of(facts, d)
        if case is not None:
            by_case.setdefault(case, []).append(d)
        elif is_conditional(d.name):
            worded.append(d)
        else:
            common.append(d)
    blocks: list[list[str]] = [[f"• {d.short}" + (f" ({d.counts})" if d.counts else "") for d in common]]
    for case, docs in by_case.items():
        blocks.append([_case_heading(case), *(f"• {shorten(d.short, 110)}" for d in docs)])
    if worded:  # every paper of some records is for one case or another: no "thêm" then
        heading = "Tùy trường hợp, thêm:" if common or by_case else "Tùy trường hợp:"
        blocks.append([heading, *(f"• {shorten(d.short, 110)}" for d in worded)])
    lines = [line for block in blocks for line in block]
    while len("\n".join(lines)) > room + 40 and sum(line.startswith("•") for line in lines) > 1:
        lines.pop()  # the last paper, then a heading left with none under it
        while lines and not lines[-1].startswith("•"):
            lines.pop()
    left = len(_unique_shorts(facts)) - sum(line.startswith("•") for line in lines)
    if left > 0:
        lines.append(f"và {left} giấy tờ khác (bấm Xem chi tiết).")
    return lines


def _unique_shorts(facts: ProcedureFacts) -> list:
    return unique_documents(facts.documents)


def _documents_to_list(facts: ProcedureFacts, budget: int = 420) -> list:
    """The documents a short answer has room for: the key ones first, then the others in order."""
    chosen, used = [], 0
    others = [d for d in _unique_shorts(facts) if d not in facts.key_documents]
    # After the key papers, what everyone brings before what one case needs ("Trường hợp …", "(ii) …")
    others.sort(key=lambda d: is_conditional(d.name))
    ordered = [*facts.key_documents, *others]
    for d in ordered:
        line = len(d.short) + len(d.counts or "") + 6
        if used + line > budget:
            if chosen:
                break
            continue
        chosen.append(d)
        used += line
    return chosen


def _fit(lines: list[str], limit: int) -> str:
    """The lines joined, dropping whole lines from the end (never cutting one) to fit the limit."""
    lines = [line for line in lines if line]
    while len("\n".join(lines)) > limit and len(lines) > 2:
        lines.pop(-2 if lines[-1].startswith("và ") else -1)
    text = "\n".join(lines)
    return text if len(text) <= limit else shorten(text, limit)


def name_for_button(name: str) -> str:
    """A procedure's name as a button says it: without its leading "Thủ tục" (a title has 40
    characters to say what the procedure is), capitalised."""
    whole = re.sub(r"^(?:thủ tục)\s+", "", name.strip(), flags=re.IGNORECASE)
    return whole[:1].upper() + whole[1:]


def variant_label(name: str, other: str, limit: int = 40) -> str:
    """What tells the procedure named `other` apart from the one named `name`, for a button: the
    words `name` lacks ("Cấp thẻ căn cước cho người dưới 14 tuổi" beside the adult card: "Dưới 14 tuổi")."""
    mine, theirs = name.split(), other.split()
    start = 0
    while start < min(len(mine), len(theirs)) and mine[start].lower() == theirs[start].lower():
        start += 1
    end = 0
    while end < min(len(mine), len(theirs)) - start and mine[-1 - end].lower() == theirs[-1 - end].lower():
        end += 1
    words = theirs[start : len(theirs) - end] or theirs
    if len(words) == 1 and words is not theirs and any(c.isdigit() for c in words[0]):
        # A number alone ("06" beside "14"): with the words around it, "Dưới 06 tuổi", as the adult
        # card's button says it.
        words = theirs[max(0, start - 1) : len(theirs) - end + 1]
    if len(words) == 1 and words is not theirs:
        # One word alone ("Xóa", "lại") says nothing on a button: the other's whole name, if it fits.
        whole = name_for_button(other)
        if len(whole) <= limit:
            return whole
    if start and words is not theirs and words[0].lower() in ("lại", "đổi", "mới", "lần", "bổ", "chuyển"):
        # "Cấp lại …", "Đăng ký lại …": the verb goes with its word, both syllables of a two-syllable one
        verb = 2 if start >= 2 and theirs[start - 1].lower() in ("ký", "đổi", "chỉnh", "hạn") else 1
        words = [*theirs[start - verb : start], *words]
    if words and words[0].lower() in ("cho", "của", "đối", "với", "người") and len(words) > 1:
        words = words[1:] if words[0].lower() != "người" else words
    label = shorten(" ".join(words).strip(" ,()"), limit)
    return label[:1].upper() + label[1:]


def fact_unknown(facts: ProcedureFacts, facet: Facet) -> bool:
    """Whether the answer to `facet` leaves the citizen to ask: the record lacks it, or has it
    without what makes it usable (a time without its unit)."""
    if facet in facts.missing:
        return True
    return facet == "time" and NO_UNIT in (facts.time_summary or "")


def _answer_buttons(facts: ProcedureFacts, facet: Facet, base_url: str, variants: Sequence[Procedure],
                    province: Province | None = None) -> tuple[Button, ...]:  # fmt: skip
    codes = [facts.code, *[v.code for v in variants]]
    buttons: list[Button] = []
    for variant in list(variants)[:2]:
        others = " ".join(c for c in codes if c != variant.code)
        label = variant_label(facts.name, variant.name)
        buttons.append(Button(label, f"#hoi {facet} {variant.code} {others}".strip()))
    hotline = procedure_hotline(province)
    if fact_unknown(facts, facet) and hotline is not None and facet != "form":
        buttons.append(Button(f"Gọi {hotline.phone}", hotline.phone, "phone"))
    if facet in facts.missing and facts.national_url:
        buttons.append(Button("Xem trên Cổng DVC", facts.national_url, "url"))
    buttons.append(Button("Xem chi tiết", detail_url(base_url, facts.code), "url"))
    alternates = " ".join(codes[1:])
    for other in BUTTON_FACETS:
        if len(buttons) >= MAX_BUTTONS:
            break
        if other != facet:
            buttons.append(Button(FACET_TITLES[other], f"#hoi {other} {facts.code} {alternates}".strip()))
    return tuple(buttons[:MAX_BUTTONS])


def procedure_card(procedure: Procedure, base_url: str, today: date | None = None,
                   others: Sequence[Procedure] = (), searched: str = "") -> Text:  # fmt: skip
    """The procedure in one message of at most 800 characters: name, code, agency, time, fee,
    online, its 3 key documents and how many more, with buttons to the facts and the whole record.
    `searched`: the card answers a search sure of its first hit, so its nearest variant (`others`)
    and the search's whole list take the last buttons."""
    facts = facts_of(procedure)
    lines = [f"📋 {header_name(facts.name)}", f"Mã thủ tục: {facts.code}"]
    if facts.agency:
        lines.append(f"Cơ quan giải quyết: {shorten(facts.agency, 120)}")
    lines.append(f"Thời gian: {shorten(facts.time_summary, 140) if facts.time_summary else 'chưa có thông tin'}")
    fee = fee_summary_today(facts, today or _today())
    lines.append(f"Lệ phí: {shorten(fee, 140) if fee else 'chưa có thông tin'}")
    online = {"toàn trình": "có, toàn trình", "một phần": "có, một phần", "có": "có", "không": "không"}
    lines.append(f"Nộp trực tuyến: {online.get(facts.online or '', 'chưa có thông tin')}")
    total = len(_unique_shorts(facts))
    if facts.key_documents:
        lines.append("Giấy tờ chính:")
        shown = 0
        for d in facts.key_documents:
            one_case = is_conditional(d.name) or _case_of(facts, d) is not None
            line = f"• {'Tùy trường hợp: ' if one_case else ''}{shorten(d.short, 90)}"
            if len("\n".join([*lines, line])) + 30 > CARD_LIMIT:
                break
            lines.append(line)
            shown += 1
        if total > shown:
            lines.append(f"và {total - shown} giấy tờ khác")
    else:
        lines.append("Thành phần hồ sơ: chưa có thông tin")
    buttons = [Button("Xem chi tiết", detail_url(base_url, facts.code), "url"),
               Button("Giấy tờ cần nộp", f"#hoi documents {facts.code}"),
               Button("Nộp ở đâu", f"#hoi where {facts.code}")]  # fmt: skip
    if facts.national_url:
        buttons.append(Button("Nộp trên Cổng DVC", facts.national_url, "url"))
    buttons.append(Button("Hướng dẫn nộp trực tuyến", "#hd nophoso 1") if facts.online != "không" else MENU_BUTTON)
    if searched:
        variants = [Button(shorten(name_for_button(p.name), 40), f"#thutuc {p.code}") for p in others[:1]]
        buttons = [*buttons[:3], *variants, Button("Các thủ tục khác", f"#timthem 1 {searched[:80]}")]
    return Text(_fit(lines, CARD_LIMIT), tuple(buttons[:MAX_BUTTONS]))


@router.on(command_is("#hoi"))
async def answer(ctx: Context) -> list[Reply]:
    """`#hoi <facet> <code> [<variant code>…]`: that fact of that procedure, the variants offered."""
    ctx.meta["flow"] = "search"
    facet, _, rest = ctx.command()[1].partition(" ")
    codes = rest.split()
    procedure = ctx.deps.catalog.get(codes[0]) if codes else None
    if procedure is None:
        ctx.meta["outcome"] = "not_found"
        return [Text("Không tìm thấy thủ tục này.", (Button("Tìm thủ tục khác", "#tracuuthutuc"), MENU_BUTTON))]
    variants = [v for c in codes[1:4] if (v := ctx.deps.catalog.get(c)) and v.code != procedure.code]
    ctx.meta["procedure_code"] = procedure.code
    ctx.meta["facet"] = facet.lower()
    return facet_answer(procedure, facet.lower(), ctx.deps.base_url, variants, province=ctx.deps.province,
                        today=ctx.now.date())  # fmt: skip
