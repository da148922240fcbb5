"""Procedure facts: what a citizen can use from a procedure's record, as clean data.

Made once per record, on first use, and kept on the record (`facts_of`), so the card, the direct
answers, the detail page, the API and the receipt all say the same thing in the same words:
processing time per channel ("3 ngày làm việc", "không quá 15 ngày"), fee per channel ("Miễn phí",
"50.000 đồng") with the source's caveat, documents without repeats and with their counts in words
("1 bản chính, 1 bản sao"), the agency and the level it sits at, the online level, forms, results
and the national portal link. Everything comes from the record; what the record lacks is listed in
`missing`, never guessed. The texts were made whole when the catalog was built
(`lookup.source_text`); shortening for a chat message ends at a word with "…" (`lookup.text.shorten`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal, NamedTuple

from pydantic import BaseModel

from lookup.catalog import Procedure
from lookup.province import Province
from lookup.text import fold, format_vnd, shorten

Facet = Literal["documents", "fee", "time", "where", "online", "form", "result"]
FACETS: tuple[Facet, ...] = ("documents", "fee", "time", "where", "online", "form", "result")

# The channels in the order citizens ask about them, and how a sentence names them.
_CHANNELS = {"trực tuyến": "Trực tuyến", "trực tiếp": "Trực tiếp", "dịch vụ bưu chính": "Qua bưu chính",
             "bưu chính": "Qua bưu chính"}  # fmt: skip
_UNITS = {"ngày làm việc": "ngày làm việc", "ngày": "ngày", "giờ": "giờ", "giờ làm việc": "giờ làm việc",
          "tháng": "tháng", "năm": "năm", "phút": "phút"}  # fmt: skip
_SEGMENT = re.compile(r"^\s*(?P<channels>[^:]{2,60}?)\s*:\s*(?P<rest>.+?)\s*$")
_TIMED = re.compile(r"^(?P<le>≤\s*)?0*(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>[^\d(;]*?)\s*(?P<tail>\(.*\))?$", re.I)
_CONDITIONAL = re.compile(
    # "(i) …, (ii) …": the options of one case ("one of the following"), not what everyone brings
    r"^(?:\(?[ivx\d]{1,4}[).]\s*|[a-zđ]\)\s*)?(trường hợp|đối với|nếu|ngoài ra)|\(nếu có\)|trong trường hợp"
    r"|^\([ivx]{1,4}\)\s",
    re.I,
)
_HEAD_BREAK = re.compile(r"; |, trường hợp | \(| – |\. ")
NO_UNIT = "Cổng DVC không ghi đơn vị"
# Since the 2025 reform a commune-level procedure is received by the commune's one-stop desk.
COMMUNE_OFFICE = "bộ phận một cửa của Ủy ban nhân dân xã, phường"


class ChannelFact(BaseModel):
    """One submission channel's time or fee, in words."""

    channel: str | None  # "Trực tuyến", "Trực tiếp", "Qua bưu chính"; None: all channels
    text: str
    detail: str | None = None  # the source's explanation ("áp dụng mức phí … đến hết ngày 31/12/2026")
    until: str | None = None  # ISO date: a fee whose own clause says it applied until then


class FeeAmount(BaseModel):
    """An amount the fee's description states, with the date its own clause says it applies until."""

    amount: int
    until: str | None = None  # ISO date
    clause: str


class DocumentFact(BaseModel):
    name: str  # the whole wording kept in the record
    short: str  # its head clause, for a chat line
    counts: str | None = None  # "1 bản chính, 1 bản sao"; None when the record gives neither
    group: str | None = None  # the case it belongs to ("Giấy tờ phải xuất trình", "Trường hợp ủy quyền")
    form: str | None = None  # the form file's name on the national portal


class ProcedureFacts(BaseModel):
    code: str
    name: str
    field: str | None = None
    ministry: str | None = None
    level: str | None = None  # the portal's words: "Cấp xã", "Cấp tỉnh, Cấp xã"
    level_keys: list[str] = []
    agency: str | None = None
    competent_agency: str | None = None
    subjects: str | None = None
    channels: list[str] = []  # how a dossier may be sent, in the channels' order
    times: list[ChannelFact] = []
    time_summary: str | None = None
    # "description": the time is the portal's description in its words (no number per channel)
    time_source: Literal["description"] | None = None
    time_note: str | None = None
    fee_note: str | None = None  # the record's note citing what fixes the fee, where its cell says free
    fees: list[ChannelFact] = []
    fee_summary: str | None = None
    fee_warning: str | None = None
    fee_description: str | None = None  # the note's description of the fee, where the cells have none
    fee_amounts: list[FeeAmount] = []  # the amounts the descriptions state, with their end dates
    online: Literal["toàn trình", "một phần", "có", "không"] | None = None
    online_text: str | None = None
    vneid: bool = False  # the record says a dossier may be sent through the VNeID app
    documents: list[DocumentFact] = []  # every document, grouped by case, none twice in a case
    key_documents: list[DocumentFact] = []  # up to 3 for a card: unconditional ones first, none twice
    forms: list[DocumentFact] = []
    results: list[str] = []
    steps: list[str] = []
    conditions: str | None = None
    legal_basis: list[str] = []
    national_url: str | None = None
    missing: list[Facet] = []  # facets the record says nothing about

    @property
    def other_documents(self) -> int:
        """How many documents a card leaves out ("và N giấy tờ khác")."""
        return len(_unique(self.documents)) - len(self.key_documents)


def facts_of(procedure: Procedure) -> ProcedureFacts:
    """The facts of a procedure, made on first use and kept with the record (a record copied under
    another code, as the 10x benchmark catalog does, gets its own)."""
    cached = procedure._facts
    if not isinstance(cached, ProcedureFacts) or cached.code != procedure.code:
        cached = build_facts(procedure)
        procedure._facts = cached
    return cached


def build_facts(p: Procedure) -> ProcedureFacts:
    times, time_summary, time_source = _times(p)
    fees, fee_summary = _fees(p)
    documents = _documents(p)
    online, online_text = _online(p)
    facts = ProcedureFacts(
        code=p.code, name=" ".join(p.name.split()), field=p.field, ministry=p.ministry, level=p.level,
        level_keys=p.level_keys,
        agency=" ".join(p.agency.split()) if p.agency else None, competent_agency=p.competent_agency,
        subjects=p.subjects, channels=_channels(p),
        times=times, time_summary=time_summary, time_source=time_source, time_note=_time_note(p), fees=fees,
        fee_summary=fee_summary,
        fee_warning=_fee_warning(p), fee_note=_fee_note(p, fee_summary), fee_description=_fee_description(p, fees),
        fee_amounts=_fee_described(p, fees), online=online, online_text=online_text, vneid=_sent_by_vneid(p),
        documents=documents,
        key_documents=_key_documents(documents), forms=[d for d in _unique(documents) if d.form],
        results=list(dict.fromkeys(r.name for r in p.results if r.name)), steps=p.steps, conditions=p.conditions,
        legal_basis=p.legal_basis, national_url=p.national_url,
    )  # fmt: skip
    absent = {"documents": not documents, "fee": fee_summary is None, "time": time_summary is None,
              "where": not (p.agency or p.level_keys), "online": online is None, "form": not facts.forms,
              "result": not facts.results}  # fmt: skip
    facts.missing = [f for f in FACETS if absent[f]]
    return facts


# -- time ---------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _channel(name: str) -> str:
    return _CHANNELS.get(name.strip().lower(), name.strip().capitalize())


# Fields whose law counts every time limit in one unit: a bare number of theirs is in that unit. The
# civil-status law (Luật Hộ tịch 2014 and Nghị định 123/2015/NĐ-CP) gives its limits in working days
# ("ngay sau khi nhận đủ giấy tờ", "03 ngày làm việc", "không quá 05 ngày làm việc"); the portal
# writes the number alone for 29 of its records (khai sinh, kết hôn, khai tử "1").
_FIELD_UNITS = {"ho tich": "ngày làm việc"}


def _times(p: Procedure) -> tuple[list[ChannelFact], str | None, str | None]:
    """Per channel, from the structured methods where they carry a unit, else from the source's
    time text ("Trực tiếp: 3 Ngày làm việc"), which also holds what the methods could not. A number
    the source gives without its unit gets the unit the record's own text says that number with
    ("Trong thời hạn 06 ngày làm việc" in its steps); failing that, the portal's own description of
    the time (kept with its fee note) is said instead of a bare number. Returns the facts, their
    summary and, when the time is the description's words, "description"; else None."""
    known: dict[str | None, list[str]] = {}
    unitless: dict[str | None, list[float]] = {}
    for m in p.methods:
        if m.time_value is None:
            continue
        if m.time_unit:
            known.setdefault(_channel(m.method), []).append(_time_phrase(m.time_value, m.time_unit))
        else:
            unitless.setdefault(_channel(m.method), []).append(m.time_value)
    for segment in (p.processing_time_text or "").split(";"):
        for channel, phrase, value in _parse_time_segment(segment):
            if value is None:
                known.setdefault(channel, []).append(phrase)
            else:
                unitless.setdefault(channel, []).append(value)
    described = _described_time(p)
    texts = _time_texts(p)
    by_law = _FIELD_UNITS.get(" ".join(fold(p.field or "").split()))
    for channel, values in list(unitless.items()):
        if channel in known:
            continue
        units = [_unit_stated(v, texts) or by_law for v in values]
        if all(units) and not any(v == 0 for v in values):
            known[channel] = [_time_phrase(v, u) for v, u in zip(values, units, strict=True)]
            del unitless[channel]
    source = None
    if unitless and described and not known:
        known, unitless, source = {None: [described]}, {}, "description"
    elif not known and not unitless and described:
        known, source = {None: [described]}, "description"
    channels = list(dict.fromkeys([*known, *unitless]))
    facts = []
    for channel in sorted(channels, key=_channel_order):
        phrases = known.get(channel) or [_time_phrase(v, None) for v in unitless.get(channel, [])]
        phrases = list(dict.fromkeys(phrases))
        joiner = "; " if channel is None else " hoặc "
        facts.append(ChannelFact(channel=channel, text=joiner.join(_merge_units(phrases))))
    if not facts:
        return [], None, None
    texts_said = {f.text for f in facts}
    if len(texts_said) == 1:
        return facts, facts[0].text, source
    return facts, "; ".join(f"{f.channel}: {f.text}" if f.channel else f.text for f in facts), source


_UNIT_WORDS = r"(?P<unit>ngày làm việc|giờ làm việc|ngày|giờ|tháng)"
# "06 ngày làm việc", "03 (ba) ngày làm việc", "không quá 10 ngày": not a legal number's "01/2020
# … ngày", nor a date ("ngày 25/6", "ngày 01 tháng 8"), nor "số 5 ngày".
_TIME_PHRASE = re.compile(r"(?<![\d/.,])(?<!số )(?<!ngày )0*(?P<n>\d{1,3})\s*(?:\([^()\d]{1,25}\)\s*)?" + _UNIT_WORDS
                          + r"(?![\w])(?!\s*\d{1,2}[/.]\d)", re.IGNORECASE)  # fmt: skip
_STATED_TIME = re.compile(r"^(?:[-+•*]\s*)?(?:(?:thời gian|thời hạn)(?: giải quyết)?(?: là)?\s*:?\s*)?", re.I)


def _time_texts(p: Procedure) -> list[str]:
    """The record's texts that state times of the procedure: its steps, conditions and the portal's
    description cells (documents are left out: their durations are of the papers, "trong 06 tháng")."""
    return [piece.rest for piece in note_pieces(p.processing_note)] + list(p.steps) + [p.conditions or ""]


def _unit_stated(value: float, texts: list[str]) -> str | None:
    """The unit the record's text writes `value` with, when it writes it with one unit only."""
    if value != int(value):
        return None
    units = {m["unit"].lower() for t in texts for m in _TIME_PHRASE.finditer(t) if int(m["n"]) == int(value)}
    return units.pop() if len(units) == 1 else None


def _described_time(p: Procedure) -> str | None:
    """The portal's description of the time, where its cell kept one ("28 ngày làm việc (đối với
    trường hợp cấp mới), 02 ngày làm việc (đối với trường hợp cấp lại) kể từ ngày nhận được hồ sơ
    đầy đủ"): its first line, when a time stands at its start, in the source's words."""
    said: list[str] = []
    for piece in note_pieces(p.processing_note):
        line = piece.rest.strip(" -+•*:;\n").split("\n")[0].strip()
        line = _STATED_TIME.sub("", line, count=1).strip()
        first = _TIME_PHRASE.search(line)
        if first is None or first.start() > 60 or len(line) < 6:
            continue
        cut = line.endswith(("…", "..."))
        line = re.split(r"\.\s", line, maxsplit=1)[0]  # its first sentence
        line = re.sub(r",?\s*trong đó\s*:?$", "", line.rstrip(" .;…")).strip()
        line = shorten(line, 170) + ("…" if cut and len(line) <= 170 and not line.endswith("…") else "")
        line = re.sub(r"≤\s*", "không quá ", line)
        if line not in said:
            said.append(line)
    return "; ".join(said[:2]) if said else None


def _merge_units(phrases: list[str]) -> list[str]:
    """["5 ngày làm việc", "3 ngày làm việc"] -> ["3 hoặc 5 ngày làm việc"]."""
    by_unit: dict[str, list[str]] = {}
    others = []
    for phrase in phrases:
        number, _, unit = phrase.partition(" ")
        if number.replace(",", "").isdigit() and unit in _UNITS:
            by_unit.setdefault(unit, []).append(number)
        else:
            others.append(phrase)
    merged = [" hoặc ".join(sorted(n, key=lambda x: float(x.replace(",", ".")))) + f" {u}" for u, n in by_unit.items()]
    return merged + others


def _time_phrase(value: float, unit: str | None) -> str:
    words = _UNITS.get((unit or "").strip().lower(), (unit or "").strip().lower())
    if value == 0:
        return f"nguồn ghi “0 {words}”".replace(" ”", "”")
    return f"{_number(value)} {words}" if words else f"{_number(value)} ({NO_UNIT})"


def _parse_time_segment(segment: str) -> list[tuple[str | None, str, float | None]]:
    """(channel, the time in words, None) per channel of one "Trực tiếp: 3 Ngày làm việc" segment;
    a number without its unit comes as (channel, "", the number)."""
    segment = segment.strip()
    if not segment:
        return []
    match = _SEGMENT.match(segment)
    channels: list[str | None] = [None]
    rest = segment
    if match and any(c.strip().lower() in _CHANNELS or c.strip().lower() == "bưu chính"
                     for c in match["channels"].split("/")):  # fmt: skip
        channels = [_channel("dịch vụ bưu chính" if c.strip().lower() == "bưu chính" else c)
                    for c in match["channels"].split("/")]  # fmt: skip
        rest = match["rest"]
    if rest.startswith("?"):
        return []  # "? (đơn vị không rõ)": nothing stated
    timed = _TIMED.match(rest.replace("(đơn vị không rõ)", "").strip())
    if timed:
        value = float(timed["value"].replace(",", "."))
        unit = timed["unit"].strip().lower()
        if unit and unit not in _UNITS:
            return [(c, _readable(rest), None) for c in channels]
        if not unit:
            return [(c, "", value) for c in channels]
        phrase = _time_phrase(value, unit)
        if timed["le"]:
            phrase = f"không quá {phrase}"
        if timed["tail"]:
            phrase += " " + _readable(timed["tail"])
        return [(c, phrase, None) for c in channels]
    return [(c, _readable(rest), None) for c in channels]


def _readable(text: str) -> str:
    """The source's own words with its signs spelt out ("≤05" -> "không quá 05")."""
    text = re.sub(r"≤\s*", "không quá ", text.strip())
    text = re.sub(r"≥\s*", "ít nhất ", text)
    return text[:1].lower() + text[1:] if text[:2].lower() != text[:2] and not text[:2].isupper() else text


def _channel_order(channel: str | None) -> int:
    order = ["Trực tuyến", "Trực tiếp", "Qua bưu chính"]
    return order.index(channel) if channel in order else -1 if channel is None else len(order)


def _time_note(p: Procedure) -> str | None:
    """The record's note on time, when it is one (the crawl also put fee and channel texts there)."""
    note = p.processing_note
    if not note or not re.search(r"\b(ngày|giờ|tháng)\b|thời hạn", note, re.I):
        return None
    return note


# -- the portal's description cells ---------------------------------------------------------------

_NOTE_CELL = re.compile(
    r"^\s*(?:(?P<amount>\d[\d.,]*)\s*(?P<currency>Việt Nam Đồng|VNĐ|Đồng|USD)"
    r"|(?P<free>Miễn phí)|(?P<unknown>Không có thông tin)|VNĐ(?=\())",
    re.IGNORECASE,
)


class NotePiece(NamedTuple):
    """One channel's cells as the crawl glued them into `processing_note`: the fee cell ("150,000
    Việt Nam Đồng", "Miễn phí"), the fee's description in brackets, then the time's description."""

    amount: int | None  # in the currency's units
    currency: str | None  # "VNĐ" or "USD"
    free: bool
    fee_detail: str | None
    rest: str


def note_pieces(note: str | None) -> list[NotePiece]:
    pieces = []
    for piece in (note or "").split(" | "):
        cell = _NOTE_CELL.match(piece)
        rest = piece[cell.end() :] if cell else piece
        amount = currency = None
        if cell and cell["amount"]:
            digits = re.sub(r"[.,]", "", cell["amount"])
            amount = int(digits) if digits.isdigit() else None
            currency = "USD" if cell["currency"].upper() == "USD" else "VNĐ"
        detail = None
        stripped = rest.lstrip()
        if stripped.startswith("("):
            detail, end = _bracket_span(stripped)
            rest = stripped[end:]
        pieces.append(NotePiece(amount, currency, bool(cell and cell["free"]), detail or None, rest))
    return pieces


def _bracket_span(text: str) -> tuple[str, int]:
    """What the bracket opening `text` holds (to its matching close, or the end), and where it ends."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return text[1:i].strip(), i + 1
    return text[1:].strip(), len(text)


# -- fee ----------------------------------------------------------------------------------------

_CITES_A_FEE = re.compile(
    r"mức thu|thu phí|thu lệ phí|\bphí\b.{0,80}thông tư|hội đồng nhân dân|\bhđnd\b|luật phí", re.IGNORECASE
)
_SAYS_FREE = re.compile(r"miễn (?:lệ )?phí|không thu", re.IGNORECASE)
# "(áp dụng đến hết ngày 31/12/2023 …)", "Kể từ ngày 01/12/2023 đến hết ngày 31/12/2025, …"
_UNTIL = re.compile(r"(?:đến hết ngày|đến ngày|hết ngày)\s*(\d{1,2})/(\d{1,2})/(\d{4})|đến hết năm (\d{4})", re.I)
_CLAUSE = re.compile(r";\s+|\.\s+-\s*|\s+-\s+|\n|(?:^|\s)\+\s|\.\s+(?=[A-ZĐÀ-Ỹ])")
_AMOUNT = re.compile(r"(?<![\d.,/])(\d{1,3}(?:[.,]\d{3})+|\d{4,})\s*(?:đ\b|đồng|Đồng|VNĐ|vnđ)")


def fee_expired(until: str | None, today: date) -> bool:
    return until is not None and date.fromisoformat(until) < today


def _until(clause: str) -> str | None:
    match = _UNTIL.search(clause)
    if match is None:
        return None
    if match[4]:
        return f"{match[4]}-12-31"
    day, month, year = int(match[1]), int(match[2]), int(match[3])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _clauses(text: str) -> list[str]:
    return [c.strip(" -+.;()") for c in _CLAUSE.split(text) if c and c.strip(" -+.;()")]


def described_amounts(text: str | None) -> list[FeeAmount]:
    """The amounts a fee description states ("Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần"), each
    with the end date its own clause gives ("Kể từ ngày 01/12/2023 đến hết ngày 31/12/2025, áp dụng
    mức thu lệ phí là 115.000 đồng")."""
    out = []
    for clause in _clauses(text or ""):
        until = _until(clause)
        for match in _AMOUNT.finditer(clause):
            digits = re.sub(r"[.,]", "", match[1])
            out.append(FeeAmount(amount=int(digits), until=until, clause=clause))
    return out


def _fee_note(p: Procedure, fee_summary: str | None) -> str | None:
    """The record's note where the fee cell says free but the note cites the rule that fixes a fee
    ("Thực hiện theo Thông tư số 244/2016/TT-BTC … quy định mức thu … phí cung cấp thông tin lý lịch
    tư pháp": the criminal record certificate is not free; "Theo quy định của Hội đồng nhân dân cấp
    tỉnh": a building permit is not free either); not where the note says free itself."""
    note = p.processing_note or ""
    if fee_summary != "Miễn phí" or not _CITES_A_FEE.search(note) or _SAYS_FREE.search(note):
        return None
    parts = [part.strip("() ") for part in re.split(r" \| |\. ", note)]
    return next((part for part in parts if _CITES_A_FEE.search(part)), parts[0])  # the part that cites it


def _scaled(amount: int, detail: str | None) -> tuple[int, str | None]:
    """The crawl read some cells in thousands ("135 VNĐ(Lệ phí cấp giấy phép lái xe: 135.000
    đồng/lần.)", "40 Việt Nam Đồng(40.000đ/giấy thông hành …)"): no fee is under 1.000 đồng, and
    where the cell's own description states the amount whole, that is the amount; "145 VNĐ(… 145
    USD/thẻ)" is in dollars. Returns (amount, currency: None for đồng)."""
    if amount >= 1000 or not detail:
        return amount, None
    if re.search(rf"(?<![\d.,]){amount}\s*USD", detail):
        return amount, "USD"
    for match in _AMOUNT.finditer(detail):
        whole = int(re.sub(r"[.,]", "", match[1]))
        if re.fullmatch(rf"{amount}(?:000)+", str(whole)):
            return whole, None
    return amount, None


def _fee_words(amount: int | None, text: str | None) -> tuple[str | None, str | None, str | None]:
    """("Miễn phí" / "50.000 đồng", the source's explanation, the date the fee's own clause says it
    applies until) for one channel's fee cell."""
    text = (text or "").strip()
    detail = None
    if "(" in text:
        detail = _bracketed(text[text.index("(") :]).lstrip("-+ ").strip() or None
    elif amount and text and not re.match(r"^[\d.,\s]+(Việt Nam Đồng|VNĐ|đồng|Đồng)$", text, re.I):
        detail = re.sub(r"^[\d.,\s]+(Việt Nam Đồng|VNĐ|đồng|Đồng)", "", text, flags=re.I).strip() or None
    per = ""
    if detail and detail.startswith("/") and len(detail) <= 20:  # "10 USD(/bản)": what the amount is for
        per, detail = detail, None
    if amount == 0:
        return "Miễn phí", detail, None
    if amount:
        amount, currency = _scaled(amount, detail)
        words = (f"{amount} USD" if currency else format_vnd(amount)) + per
        return words, detail, _amount_until(amount, detail)
    if text and re.match(r"^(phí|lệ phí)\s*:\s*(0|không)\s*đồng", text, re.I):
        return "Miễn phí", None, None
    dollars = re.match(r"^(\d[\d.,]*)\s*USD\b", text)
    if dollars:  # "145 USD(Thẻ tạm trú có thời hạn không quá 02 năm: 145 USD/thẻ.)"
        detail = _bracketed(text[text.index("(") :]).strip() or None if "(" in text else None
        return f"{dollars[1]} USD", detail, None
    if text and text.lower() != "vnđ" and not text.lower().startswith("vnđ("):
        return _readable(text), None, None
    return None, None, None


def _amount_until(amount: int, detail: str | None) -> str | None:
    """The end date of the clause of `detail` that states `amount` ("160.000/hộ chiếu … (áp dụng đến
    hết ngày 31/12/2023 …)"), where that clause gives one; a clause about another amount (a
    reduction that ended) is not this fee's."""
    if not detail:
        return None
    written = {f"{amount:,}".replace(",", "."), f"{amount:,}"}
    for clause in _clauses(detail):
        numbers = {m.group(0) for m in re.finditer(r"\d{1,3}(?:[.,]\d{3})+", clause)}
        if numbers & written:
            return _until(clause)
    return None


def _bracketed(text: str) -> str:
    """What the first bracket of `text` holds (to its matching close, or the end)."""
    return _bracket_span(text)[0]


def _fees(p: Procedure) -> tuple[list[ChannelFact], str | None]:
    by_channel: dict[str | None, ChannelFact] = {}
    for m in p.methods:
        words, detail, until = _fee_words(m.fee_vnd, m.fee_text)
        if words is None:
            continue
        channel = _channel(m.method)
        current = by_channel.get(channel)
        if current is None:
            by_channel[channel] = ChannelFact(channel=channel, text=words, detail=detail, until=until)
        elif words not in current.text.split(" hoặc "):
            current.text += f" hoặc {words}"
            current.until = max(current.until, until) if current.until and until else None
    if not by_channel:
        words, detail, until = _fee_words(p.fee_vnd, p.fee_text)
        if words is not None:
            by_channel[None] = ChannelFact(channel=None, text=words, detail=detail, until=until)
    if not by_channel:
        # The cells are empty, but the crawl kept the portal's fee cells in the note ("150,000 Việt
        # Nam Đồng(…) | 50,000 VNĐ(…)"), without saying which channel each is.
        cells = [c for c in note_pieces(p.processing_note) if c.amount is not None or c.free]
        if cells:
            said: list[str] = []
            until: list[str | None] = []
            for cell in cells:
                if cell.free:
                    words = "Miễn phí"
                    end = None
                elif cell.currency == "USD":
                    per = cell.fee_detail if (cell.fee_detail or "").startswith("/") else ""
                    words, end = f"{cell.amount} USD{per}", None
                else:
                    amount, currency = _scaled(cell.amount or 0, cell.fee_detail)
                    words = f"{amount} USD" if currency else format_vnd(amount)
                    end = _amount_until(amount, cell.fee_detail)
                if words not in said:
                    said.append(words)
                    until.append(end)
            detail = next((c.fee_detail for c in cells if c.fee_detail and not c.fee_detail.startswith("/")), None)
            ends = [u for u in until if u]
            by_channel[None] = ChannelFact(channel=None, text=" hoặc ".join(said), detail=detail,
                                           until=max(ends) if len(ends) == len(until) else None)  # fmt: skip
    if not by_channel:
        return [], None
    facts = sorted(by_channel.values(), key=lambda f: _channel_order(f.channel))
    if len({f.text for f in facts}) == 1:
        return facts, facts[0].text
    return facts, "; ".join(f"{f.channel}: {f.text}" if f.channel else f.text for f in facts)


def _fee_description(p: Procedure, fees: list[ChannelFact]) -> str | None:
    """The fee's description where the cells carry none: the note's bracket ("(Mức lệ phí cụ thể do
    Hội đồng nhân dân tỉnh … quyết định. Miễn lệ phí đối với trường hợp đăng ký khai tử đúng hạn …)")."""
    if any(f.detail for f in fees):
        return None
    return next((c.fee_detail for c in note_pieces(p.processing_note) if c.fee_detail
                 and not c.fee_detail.startswith("/")), None)  # fmt: skip


def _fee_warning(p: Procedure) -> str | None:
    if not (p.fee_warning and p.fee_amounts_mentioned_vnd):
        return None
    amounts = ", ".join(format_vnd(a) for a in p.fee_amounts_mentioned_vnd)
    return f"mô tả của thủ tục có nhắc các mức {amounts}: vui lòng hỏi lại cơ quan giải quyết trước khi nộp."


def _fee_described(p: Procedure, fees: list[ChannelFact]) -> list[FeeAmount]:
    """The amounts the fee's descriptions state (the cells' and the note's, each text once), every
    time they state one, for a cell that says free while its description names a fee."""
    texts = [f.detail for f in fees if f.detail] + [c.fee_detail for c in note_pieces(p.processing_note)
                                                   if c.fee_detail]  # fmt: skip
    return [amount for text in dict.fromkeys(texts) for amount in described_amounts(text)]


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def fees_today(facts: ProcedureFacts, today: date, short: bool = False) -> list[ChannelFact]:
    """The fee per channel as it stands `today`: a fee whose own clause says it applied until a past
    date is said as such ("mức 160.000 đồng chỉ áp dụng đến hết ngày 31/12/2023"), never as current."""
    out = []
    for f in facts.fees:
        if fee_expired(f.until, today):
            text = "chưa có mức hiện nay" if short else f"mức {f.text} chỉ áp dụng đến hết ngày {_day(f.until or '')}"
            f = f.model_copy(update={"text": text})
        out.append(f)
    return out


def current_fee(facts: ProcedureFacts, today: date) -> FeeAmount | None:
    """The one fee the descriptions state as in force today, where the cell says free but a fee is
    described ("Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần", its online reduction "đến hết ngày
    31/12/2025" over): None when they state none or several."""
    if not (facts.fee_warning or facts.fee_note) or facts.fee_summary != "Miễn phí":
        return None
    current = [a for a in facts.fee_amounts if not fee_expired(a.until, today)]
    # A text cut short may have listed more, unless the clause it was cut in had ended already.
    cut = any(t.endswith(("…", "...")) and not fee_expired(_until(_clauses(t)[-1]) if _clauses(t) else None, today)
              for t in [facts.fee_description or "", *(f.detail or "" for f in facts.fees)])  # fmt: skip
    # One amount said once, in a whole text: "Sát hạch lý thuyết: 60.000 đồng/lần, Sát hạch thực hành:
    # 60.000 đồng/lần; + … ô tô …" (cut) lists sub-fees, not the fee.
    return current[0] if len(current) == 1 and not cut else None


# -- documents ----------------------------------------------------------------------------------


def counts_in_words(originals: int, copies: int) -> str | None:
    parts = [f"{originals} bản chính" if originals else "", f"{copies} bản sao" if copies else ""]
    return ", ".join(p for p in parts if p) or None


def head_clause(name: str, limit: int = 110) -> str:
    """The part of a document's wording a chat line needs: up to its first "; " or " (", or the
    whole, shortened at a word."""
    match = _HEAD_BREAK.search(name)
    head = name[: match.start()].rstrip(" ,.;:/-") if match and match.start() >= 12 else name.rstrip(" ,;")
    return shorten(head, limit)


def _documents(p: Procedure) -> list[DocumentFact]:
    out: list[DocumentFact] = []
    seen: set[tuple[str | None, str]] = set()
    for d in p.documents:
        name = " ".join(d.name.split()).lstrip("-+•* ").strip()
        key = (d.case, name.lower().rstrip(" .;…"))
        if not name or key in seen:
            continue
        seen.add(key)
        out.append(DocumentFact(name=name, short=head_clause(name), counts=_counts(name, d.originals, d.copies),
                                group=d.case, form=d.form))  # fmt: skip
    return _in_enumerated_order(out)


_SAYS_COPY = re.compile(r"^(?:\(?[a-zđ\d]{1,2}[).]\s*)?(?:01\s+|một\s+)?(bản sao|bản chụp|bản chính)\b", re.IGNORECASE)


def _counts(name: str, originals: int, copies: int) -> str | None:
    """The counts in words, by the document's own wording where the crawl's columns contradict it:
    "Bản sao Thẻ Căn cước …" counted as 1 original is 1 copy (its text may add "xuất trình bản chính
    để đối chiếu"), "Bản chính …" counted as copies is that many originals."""
    says = _SAYS_COPY.match(name)
    if says and says[1].lower() in ("bản sao", "bản chụp") and originals and not copies:
        originals, copies = 0, originals
    elif says and says[1].lower() == "bản chính" and copies and not originals:
        originals, copies = copies, 0
    return counts_in_words(originals, copies)


_LETTERS = "abcdđefghijklmnopqrstuvwxyz"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_MARKER = re.compile(r"^\(?([ivx]{1,4}|[a-zđ]|\d{1,2})[).]\s")


def _in_enumerated_order(documents: list[DocumentFact]) -> list[DocumentFact]:
    """The crawl keeps a record's documents in the portal's page order, which is not always the
    legal text's: "c) …, b) …, a) …". Within each case, the documents marked a), b) … go back into
    their marks' order, and those marked 1. 2. … or i), ii) … into theirs, each kind in the places
    its kind held; unmarked ones stay where they are."""
    out = list(documents)
    for group in dict.fromkeys(d.group for d in documents):
        in_group = [(i, _MARKER.match(d.name.lower())) for i, d in enumerate(out) if d.group == group]
        marked = [(i, m.group(1)) for i, m in in_group if m]
        roman = any(len(mark) > 1 and mark in _ROMAN for _, mark in marked)
        kinds: dict[str, list[tuple[int, int]]] = {}
        for slot, mark in marked:
            if mark.isdigit():
                kinds.setdefault("digit", []).append((int(mark), slot))
            elif roman and mark in _ROMAN:
                kinds.setdefault("roman", []).append((_ROMAN[mark], slot))
            elif len(mark) == 1:
                kinds.setdefault("letter", []).append((_LETTERS.index(mark), slot))
        for entries in kinds.values():
            if len({value for value, _ in entries}) < len(entries):
                continue  # a mark twice: several sub-lists, whose order the marks cannot tell
            slots = [slot for _, slot in entries]
            ordered = [out[slot] for _, slot in sorted(entries)]
            for slot, document in zip(slots, ordered, strict=True):
                out[slot] = document
    return out


def _unique(documents: list[DocumentFact]) -> list[DocumentFact]:
    """One of each document across cases (a form listed under three cases is one paper to bring)."""
    kept: dict[str, DocumentFact] = {}
    for d in documents:
        key = d.short.lower().rstrip(" .;…")
        first = kept.get(key)
        # Of two papers alike, the one every applicant brings: "Tờ khai … (Dùng cho cá nhân có yêu
        # cầu …)" rather than "Tờ khai … (Dùng cho cá nhân trong trường hợp ủy quyền …)", in its place.
        if first is None or (is_conditional(first.name) and not is_conditional(d.name)):
            kept[key] = d
    return list(kept.values())


unique_documents = _unique


def document_names(procedure: Procedure) -> list[str]:
    """The documents of a procedure once each, whole wording: what a receipt lists."""
    return [d.name for d in _unique(facts_of(procedure).documents)]


def is_conditional(name: str) -> bool:
    """A paper only some citizens bring: "Trường hợp …", "Đối với …", "(nếu có)", "(ii) …"."""
    return bool(_CONDITIONAL.search(name))


_CASE_HEADING = re.compile(r"^(?:[-+*•]\s*)?(?:\(?[a-zđ\d]{1,2}[).]\s*)?(?:trường hợp|đối với|nếu)\b", re.IGNORECASE)


def is_case(group: str | None) -> bool:
    """A group of documents the record heads as one case ("Trường hợp thành viên hộ gia đình đăng ký
    tách hộ là vợ, chồng đã ly hôn …"), not what every applicant brings ("Giấy tờ phải nộp")."""
    return bool(group and _CASE_HEADING.match(group))


def _key_documents(documents: list[DocumentFact], limit: int = 3) -> list[DocumentFact]:
    """The papers most citizens bring: unconditional ones ("(i) Trường hợp ủy quyền …" is not),
    those most of the record's cases ask for (a form every case lists is the common paper; the boat
    owner's papers are one case's), then the record's order."""
    unique = _unique(documents)
    cases: dict[str, set[str | None]] = {}
    for d in documents:
        cases.setdefault(d.short.lower().rstrip(" .;…"), set()).add(d.group)

    def rank(i: int) -> tuple[bool, int, int]:
        d = unique[i]
        groups = cases.get(d.short.lower().rstrip(" .;…"), set())
        # A paper of one case only, by its wording or by the case the record lists it under
        conditional = bool(_CONDITIONAL.search(d.name)) or (bool(groups) and all(is_case(g) for g in groups))
        return conditional, -len(groups), i

    ranked = sorted(range(len(unique)), key=rank)
    return [unique[i] for i in sorted(ranked[:limit], key=rank)]


# -- online, channels ---------------------------------------------------------------------------


def _online(p: Procedure) -> tuple[str | None, str | None]:
    level = (p.online_level or "").lower()
    if "toàn trình" in level:
        return "toàn trình", "Nộp trực tuyến toàn trình: làm hết trên mạng, không phải đến cơ quan."
    if "một phần" in level:
        return "một phần", "Nộp trực tuyến một phần: nộp hồ sơ trên mạng, có bước phải làm trực tiếp."
    if p.online_submission or "Trực tuyến" in p.submission_methods:
        return "có", (
            "Có thể nộp trực tuyến trên Cổng Dịch vụ công (dữ liệu không ghi rõ làm hết trên mạng "
            "được hay còn bước phải đến cơ quan)."
        )
    if p.online_submission is False:
        return "không", "Chưa nộp trực tuyến được."
    return None, None


# How a record says a dossier goes through the VNeID app ("… Cổng dịch vụ công Bộ Công an, ứng dụng
# VNeID hoặc …", "Ứng dụng định danh quốc gia (VNeID)", "nộp trên Cổng DVCQG hoặc VNeID"), folded; not
# a result told there ("Thông báo kết quả qua ứng dụng VNeID") nor an account to log in with.
_BY_VNEID = re.compile(
    r"(?:ung dung(?: dinh danh (?:quoc gia|dien tu))?\s*\(?|dvcqg\s*(?:/|hoac)\s*|qua |tren )vneid\b"
)
_NOT_SENDING = re.compile(r"(?:ket qua|thong bao|hien thi|ban dien tu|tai khoan dinh danh)[^.;]{0,40}vneid")


def _sent_by_vneid(p: Procedure) -> bool:
    by_channel = (f"{m.method or ''} {m.fee_text or ''}" for m in p.methods)
    texts = [*by_channel, p.fee_text or "", p.processing_note or "", *p.steps]
    return any(_BY_VNEID.search(t) and not _NOT_SENDING.search(t) for t in map(fold, texts))


def _channels(p: Procedure) -> list[str]:
    return sorted(dict.fromkeys(_channel(m) for m in p.submission_methods), key=_channel_order)


# -- where --------------------------------------------------------------------------------------


def _levels_named(agency: str) -> set[str]:
    """The tiers the record's agency names: "Cục cảnh sát giao thông, Công an tỉnh, Công an cấp Xã"
    is a central procedure that the province's and the commune's police receive too (the record's
    level says only "Cấp bộ", and "not at the province" would contradict its own agency)."""
    named = set()
    if re.search(r"(?:công an|ủy ban nhân dân|uỷ ban nhân dân|ubnd)(?: cấp)? xã\b|\bcấp xã\b", agency):
        named.add("xa")  # not the "xã" of "xã hội"
    if re.search(r"\b(?:công an|ủy ban nhân dân|ubnd|sở [^,]+) (?:cấp )?tỉnh\b", agency):
        named.add("tinh")
    return named


def _whose_commune(facts: ProcedureFacts) -> str:
    """Which commune: where the land is for land, where the deceased last lived for a death, else
    where the citizen lives."""
    field, name = (facts.field or "").lower(), facts.name.lower()
    if "đất đai" in field or "quyền sử dụng đất" in name:
        return "nơi có đất"
    if "khai tử" in name:
        return "nơi cư trú cuối cùng của người đã mất"
    return "nơi bạn cư trú"


# Bodies with their own reception desks, which the commune's and the province's one-stop desks do
# not stand in for.
_OWN_DESKS = ("thuế", "bảo hiểm xã hội", "bhxh", "kho bạc", "tòa án", "toà án", "thi hành án", "hải quan",
              "ngân hàng nhà nước")  # fmt: skip
_PEOPLES_COMMITTEE = ("ủy ban", "uỷ ban", "ubnd")


def _receives_its_own(agency: str) -> bool:
    return any(b in agency for b in _OWN_DESKS) and not any(c in agency for c in _PEOPLES_COMMITTEE)


def where_lines(facts: ProcedureFacts, province: Province | None) -> list[str]:
    """Where to send a dossier, after the 2025 reform (two tiers: province and commune): the
    record's agency, and the body of the province's configuration that receives it. Names of the
    province come from the configuration only."""
    lines = []
    if facts.agency:
        lines.append(f"Cơ quan giải quyết: {facts.agency}")
    agency = (facts.agency or "").lower()
    keys = set(facts.level_keys) | _levels_named(agency)
    if province is not None and _receives_its_own(agency):
        # A tax office or social insurance receives its own dossiers: "nộp tại UBND xã" beside
        # "Cơ quan giải quyết: Thuế cơ sở" said two places at once.
        lines.append("Nộp hồ sơ tại cơ quan nêu trên nơi quản lý hồ sơ của bạn.")
    elif province is not None:
        if "xa" in keys:
            body = "Công an xã, phường" if "công an" in agency else COMMUNE_OFFICE
            lines.append(f"Cấp xã: nộp tại {body} {_whose_commune(facts)} ({province.full_name}).")
        if "tinh" in keys:
            centre = next((a.name for a in province.agencies if a.level == "tinh" and not a.ministries), None)
            department = next((a.name for a in province.agencies if facts.ministry and facts.ministry in a.ministries),
                              None)  # fmt: skip
            if department and "công an" in department.lower() and "công an" in agency:
                lines.append(f"Cấp tỉnh: nộp tại {department}.")
            elif centre:
                lines.append(f"Cấp tỉnh: nộp tại {centre}" + (f" (cơ quan giải quyết: {department})." if department
                                                               else "."))  # fmt: skip
    elif keys & {"xa", "tinh"}:
        levels = [w for k, w in (("tinh", "cấp tỉnh"), ("xa", "cấp xã")) if k in keys]
        lines.append("Thực hiện ở " + " và ".join(levels) + ".")
    if "bo" in keys and not keys & {"xa", "tinh"}:
        # The portal's level, said as its own: "không nộp tại tỉnh" was told of a new driving licence,
        # which the province's police issue since 2025 though its record still reads "Cấp bộ".
        lines.append("Cổng Dịch vụ công ghi thủ tục này ở cấp bộ (cơ quan trung ương giải quyết).")
    if facts.online in ("toàn trình", "một phần", "có"):
        lines.append("Hoặc nộp trực tuyến trên Cổng Dịch vụ công quốc gia.")
    return lines
