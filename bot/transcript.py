"""Every inbound event and outbound message, appended to the conversation's transcript (a Redis
stream: ordered, timestamped), with phone and ID numbers masked at rest (the original sealed beside
it when a key is configured). Inbound turns also keep the console's indexes current: a summary and
facet sets per conversation, and per-day counters for the dashboard. Everything expires after the
retention period."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey
from bot.replay.sandbox import SANDBOX_TTL_SECONDS, is_sandbox
from bot.sealing import Sealer
from lookup.calendar import VN_TZ
from lookup.codes import find_codes
from lookup.masking import redact

MAX_ENTRIES = 2000
FLOWS = ("lookup", "qr", "search", "guidance", "payment", "support", "handoff", "smalltalk")
OUTCOMES = ("answered", "not_understood", "error")


def conversation_id(user: UserKey) -> str:
    return f"{user.oa_id}:{user.user_id}"


def user_of(conversation: str) -> UserKey:
    oa_id, _, user_id = conversation.partition(":")
    return UserKey(oa_id, user_id)


def outcome_of(meta: dict[str, Any], handler: str | None) -> str:
    """answered / not_understood / error: what the console filters on."""
    if meta.get("outcome") == "error":
        return "error"
    understood = meta.get("understood") or {}
    if meta.get("outcome") == "not_understood" or handler == "none" or understood.get("intent") == "empty":
        return "not_understood"
    return "answered"


class Transcript:
    def __init__(self, redis: Redis, keys: ConversationKeys, retention_seconds: int,
                 sealer: Sealer | None = None) -> None:  # fmt: skip
        self.redis = redis
        self.keys = keys
        self.retention = retention_seconds
        self.sealer = sealer

    async def record(self, user: UserKey, direction: str, kind: str, *, text: str | None = None,
                     handler: str | None = None, body: dict[str, Any] | None = None,
                     error: str | None = None) -> None:  # fmt: skip
        now = time.time()
        entry = {"direction": direction, "kind": kind, "at_ms": str(int(now * 1000))}
        if text:
            entry["text"] = redact(text)
            if entry["text"] != text and self.sealer:
                entry["sealed"] = self.sealer.seal(text, conversation_id(user))
        if handler:
            entry["handler"] = handler
        if body is not None:
            entry["body"] = redact(json.dumps(body, ensure_ascii=False))
        if error:
            entry["error"] = error
        key = self.keys.transcript(user)
        if is_sandbox(user):
            # A replay's sandbox: kept briefly, never in the console's lists or the dashboard's figures.
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.xadd(key, entry, maxlen=MAX_ENTRIES, approximate=True)
                pipe.expire(key, SANDBOX_TTL_SECONDS)
                await pipe.execute()
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, entry, maxlen=MAX_ENTRIES, approximate=True)
            pipe.expire(key, self.retention)
            pipe.zadd(self.keys.conversations(), {conversation_id(user): now})
            # Conversations past retention leave the index too (their keys have expired).
            pipe.zremrangebyscore(self.keys.conversations(), 0, now - self.retention)
            if direction == "in":
                self._index_turn(pipe, user, now, handler, (body or {}).get("meta") or {}, text or "")
            await pipe.execute()

    def _index_turn(self, pipe: Any, user: UserKey, now: float, handler: str | None, meta: dict[str, Any],
                    text: str) -> None:  # fmt: skip
        summary = self.keys.summary(user)
        outcome = outcome_of(meta, handler)
        pipe.hsetnx(summary, "first_at", now)
        pipe.hset(summary, "last_at", now)
        pipe.hincrby(summary, "turns", 1)
        if outcome != "answered":
            pipe.hincrby(summary, outcome, 1)
        # "codes" are the dossiers the turn found (what the console lists as the citizen's); a code only
        # typed may not exist (the bot's own example once did not) and is kept apart, for the filter.
        found = {meta["dossier_code"]} if meta.get("dossier_code") else set()
        facets: dict[str, set[str]] = {"outcomes": {outcome}, "flows": set(), "codes": found,
                                       "typed": set(find_codes(text)) - found}  # fmt: skip
        if meta.get("flow") in FLOWS:
            facets["flows"].add(meta["flow"])
        for name, values in facets.items():
            if values:
                pipe.sadd(self.keys.facets(user, name), *values)
                pipe.expire(self.keys.facets(user, name), self.retention)
        pipe.expire(summary, self.retention)
        day = datetime.fromtimestamp(now, VN_TZ).date().isoformat()
        stats, users, procedures = self.keys.day_stats(day), self.keys.day_users(day), self.keys.day_procedures(day)
        pipe.hincrby(stats, "messages", 1)
        if outcome != "answered":
            pipe.hincrby(stats, outcome, 1)
        if meta.get("flow") == "lookup" and meta.get("dossier_code"):
            pipe.hincrby(stats, "lookup_code", 1)
        if meta.get("flow") == "qr" and meta.get("dossier_code"):  # like by code: a dossier was shown
            pipe.hincrby(stats, "lookup_qr", 1)
        shown = meta.get("procedure_code") or (meta.get("search_results") or [None])[0]
        if shown:
            pipe.zincrby(procedures, 1, shown)
        pipe.pfadd(users, conversation_id(user))
        for key in (stats, users, procedures):
            pipe.expire(key, self.retention)

    async def entries(self, user: UserKey) -> list[dict[str, Any]]:
        rows = await self.redis.xrange(self.keys.transcript(user))
        out = []
        for entry_id, fields in rows:
            item: dict[str, Any] = {"id": entry_id, **fields}
            if "body" in item:
                item["body"] = json.loads(item["body"])
            out.append(item)
        return out

    def reveal(self, user: UserKey, entry: dict[str, Any]) -> str | None:
        """The unmasked text of an entry, when it was sealed and the key opens it."""
        if not self.sealer or "sealed" not in entry:
            return None
        return self.sealer.open(entry["sealed"], conversation_id(user))
