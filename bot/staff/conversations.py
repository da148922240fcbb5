"""Finding conversations for the console. Candidates come from the activity index (newest first,
bounded by the date range); each one's summary and facets (flows, outcomes, dossier codes) are read
in one pipeline and filtered here. Free text is the one filter that reads transcripts, so it runs
last, on what the other filters left, and stops after TEXT_SCAN_LIMIT transcripts (the page says so).
At a province's scale (thousands of conversations a day) this is milliseconds; a larger deployment
would move the facets into a search index."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey
from bot.transcript import FLOWS, OUTCOMES, Transcript, user_of
from lookup.calendar import VN_TZ
from lookup.codes import normalize_code
from lookup.text import fold

MAX_CANDIDATES = 5000
TEXT_SCAN_LIMIT = 1000
PER_PAGE = 20


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    user: str = ""
    code: str = ""
    flow: str = ""
    outcome: str = ""
    text: str = ""

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        def day(name: str) -> date | None:
            # dd/mm/yyyy as officers type it in the form; ISO as the page's own links carry it.
            value = query.get(name, "").strip()
            for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
                with contextlib.suppress(ValueError):
                    return datetime.strptime(value, pattern).date()
            return None

        def pick(name: str, allowed: tuple[str, ...]) -> str:
            value = query.get(name, "")
            return value if value in allowed else ""

        code = query.get("code", "").strip()
        with contextlib.suppress(ValueError):  # not a well-formed code: matched as typed, finding nothing
            code = normalize_code(code) if code else ""
        return cls(day("since"), day("until"), query.get("user", "").strip(), code, pick("flow", FLOWS),
                   pick("outcome", OUTCOMES), query.get("q", "").strip()[:100])  # fmt: skip

    def as_query(self) -> dict[str, str]:
        values = {"since": self.since.isoformat() if self.since else "", "until": self.until.isoformat() if self.until
                  else "", "user": self.user, "code": self.code, "flow": self.flow, "outcome": self.outcome,
                  "q": self.text}  # fmt: skip
        return {k: v for k, v in values.items() if v}


@dataclass
class Row:
    id: str
    first_at: float
    last_at: float
    turns: int
    not_understood: int
    errors: int
    flows: set[str]
    outcomes: set[str]
    codes: set[str]  # dossiers the bot found for this citizen
    typed: set[str] = field(default_factory=set)  # codes typed that found nothing

    @property
    def user_id(self) -> str:
        return user_of(self.id).user_id


@dataclass
class Listing:
    rows: list[Row]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # "flow:search" -> conversations, "outcome:error" -> ...
    text_capped: bool = False


def _start(day: date) -> float:
    return datetime.combine(day, time.min, VN_TZ).timestamp()


async def find(redis: Redis, keys: ConversationKeys, transcript: Transcript, filters: Filters,
               page: int = 1) -> Listing:  # fmt: skip
    low = _start(filters.since) if filters.since else "-inf"
    ids = await redis.zrevrangebyscore(keys.conversations(), "+inf", low, start=0, num=MAX_CANDIDATES)
    rows = await _rows(redis, keys, ids)
    if filters.until:
        end = _start(filters.until + timedelta(days=1))
        rows = [r for r in rows if r.first_at < end]
    if filters.user:
        rows = [r for r in rows if filters.user in r.user_id]
    if filters.code:
        rows = [r for r in rows if filters.code in r.codes or filters.code in r.typed]
    capped = False
    if filters.text:
        rows, capped = await _with_text(transcript, rows, filters.text)
    counts = {f"flow:{f}": sum(f in r.flows and _outcome_ok(r, filters) for r in rows) for f in FLOWS}
    counts |= {f"outcome:{o}": sum(o in r.outcomes and _flow_ok(r, filters) for r in rows) for o in OUTCOMES}
    rows = [r for r in rows if _flow_ok(r, filters) and _outcome_ok(r, filters)]
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(page, 1), pages)
    return Listing(rows[(page - 1) * PER_PAGE : page * PER_PAGE], len(rows), page, pages, counts, capped)


def _flow_ok(row: Row, filters: Filters) -> bool:
    return not filters.flow or filters.flow in row.flows


def _outcome_ok(row: Row, filters: Filters) -> bool:
    return not filters.outcome or filters.outcome in row.outcomes


async def _rows(redis: Redis, keys: ConversationKeys, ids: list[str]) -> list[Row]:
    async with redis.pipeline(transaction=False) as pipe:
        for conversation in ids:
            user = user_of(conversation)
            pipe.hgetall(keys.summary(user))
            for name in ("flows", "outcomes", "codes", "typed"):
                pipe.smembers(keys.facets(user, name))
        results = await pipe.execute()
    rows = []
    for i, conversation in enumerate(ids):
        summary, flows, outcomes, codes, typed = results[5 * i : 5 * i + 5]
        if not summary:
            continue  # expired between the index and now
        rows.append(Row(conversation, float(summary.get("first_at", 0)), float(summary.get("last_at", 0)),
                        int(summary.get("turns", 0)), int(summary.get("not_understood", 0)),
                        int(summary.get("error", 0)), set(flows), set(outcomes), set(codes), set(typed)))  # fmt: skip
    return rows


async def _with_text(transcript: Transcript, rows: list[Row], text: str) -> tuple[list[Row], bool]:
    wanted = fold(text)
    kept = []
    for row in rows[:TEXT_SCAN_LIMIT]:
        entries = await transcript.entries(user_of(row.id))
        if any(wanted in fold(e.get("text", "")) for e in entries):
            kept.append(row)
    return kept, len(rows) > TEXT_SCAN_LIMIT


def from_request(request: web.Request) -> tuple[str, UserKey]:
    """The conversation named in the URL (`{oa}:{user}`) and its user; 404 when it names none."""
    conversation = request.match_info["conversation"]
    user = user_of(conversation)
    if not user.user_id:
        raise web.HTTPNotFound(text="no such conversation")
    return conversation, user
