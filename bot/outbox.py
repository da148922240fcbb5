"""The outbox of one turn: the replies an event produced, stored with the conversation state in one
transaction before anything is sent, then a mark per reply as it goes out. Handling the same event
again (a worker died mid-turn, Zalo redelivered, a lease moved) therefore never dispatches twice,
never changes the state twice, and never sends a reply that was already sent.

Per reply: `attempt:i` (when the send began, and the id of the OA's latest message to the citizen
then) and `sent:i` (Zalo's message id, or why it was not delivered). A reply with an attempt and no
mark was in flight when its worker died: Zalo's recent conversation is read back to that landmark
and the reply is sent again only if it is not there."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from bot.conv_keys import ConversationKeys, UserKey
from bot.lua import Lua
from bot.replicated import Replicated
from bot.replies import Image, Reply
from bot.zalo.render import render

OUTBOX_TTL_SECONDS = 7 * 24 * 3600  # as long as the intake remembers the event

# KEYS[1] the turn's outbox, KEYS[2] the citizen's latest OA message id; ARGV[1] the mark's name,
# ARGV[2] when the send began (ms). The landmark is read and the attempt written in one step.
MARK_ATTEMPT = Lua("""
local before = redis.call('GET', KEYS[2]) or ''
return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. before)
""")
# KEYS as above; ARGV[1] the mark's name, ARGV[2] its value, ARGV[3] Zalo's message id ('' if none),
# ARGV[4] the landmark's TTL.
MARK_SENT = Lua("""
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
return 1
""")


def to_items(replies: list[Reply]) -> list[dict[str, Any]]:
    """Wire messages, in order. An image stays as its bytes: it is uploaded when it is sent."""
    items: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Image):
            items.append({"image": base64.b64encode(reply.data).decode(), "content_type": reply.content_type,
                          "caption": reply.caption})  # fmt: skip
        else:
            items.extend({"message": message} for message in render(reply))
    return items


def image_of(item: dict[str, Any]) -> Image:
    return Image(base64.b64decode(item["image"]), item["content_type"], item.get("caption", ""))


@dataclass
class TurnOutbox:
    items: list[dict[str, Any]]
    handler: str
    inbound: dict[str, Any]
    marks: dict[str, str] = field(default_factory=dict)

    def sent(self, i: int) -> str | None:
        return self.marks.get(f"sent:{i}")

    def attempt(self, i: int) -> tuple[int, str] | None:
        """(when the send of reply i began, in ms; the id of the last message the OA had sent this
        citizen before it, "" if none), or None if it never began."""
        value = self.marks.get(f"attempt:{i}")
        if not value:
            return None
        at, _, before = value.partition("|")
        return int(at), before

    @property
    def inbound_recorded(self) -> bool:
        return "in_recorded" in self.marks


class Outbox:
    def __init__(self, redis: Redis, keys: ConversationKeys) -> None:
        self.redis = redis
        self.keys = keys
        # The marks around a send must outlive a lost primary, or a reply would go out twice.
        self.replicated = Replicated(redis)

    async def load(self, user: UserKey, event_key: str) -> TurnOutbox | None:
        raw = await self.redis.hgetall(self.keys.outbox(user, event_key))
        return _parse(raw) if raw else None

    async def commit(self, user: UserKey, event_key: str, outbox: TurnOutbox,
                     queue_state: Callable[[Pipeline], None]) -> TurnOutbox:  # fmt: skip
        """Store the turn with the state it leaves, unless a turn for this event is already stored
        (then that one wins and is returned: its replies are the ones the citizen may have seen).
        WATCH/MULTI rather than a script: the state's writes are the caller's (`queue_state`); every
        key shares the citizen's hash tag, so it is one slot on a cluster too."""
        key = self.keys.outbox(user, event_key)
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                if existing := await pipe.hgetall(key):
                    return _parse(existing)
                pipe.multi()
                pipe.hset(key, mapping={
                    "items": json.dumps(outbox.items, ensure_ascii=False), "handler": outbox.handler,
                    "inbound": json.dumps(outbox.inbound, ensure_ascii=False),
                })  # fmt: skip
                pipe.expire(key, OUTBOX_TTL_SECONDS)
                queue_state(pipe)
                await pipe.execute()
                return outbox
            except WatchError:
                return _parse(await self.redis.hgetall(key))

    async def mark(self, user: UserKey, event_key: str, name: str, value: str) -> None:
        await self.redis.hset(self.keys.outbox(user, event_key), name, value)

    async def mark_attempt(self, user: UserKey, event_key: str, i: int) -> None:
        keys = [self.keys.outbox(user, event_key), self.keys.last_sent(user)]
        await self.replicated.run(MARK_ATTEMPT, keys, [f"attempt:{i}", int(time.time() * 1000)])

    async def mark_sent(self, user: UserKey, event_key: str, i: int, mark: str, message_id: str | None) -> None:
        """Reply i is done (`mark`: Zalo's message id or why not); a real id also becomes the
        citizen's latest OA message, the landmark of the next attempt."""
        keys = [self.keys.outbox(user, event_key), self.keys.last_sent(user)]
        await self.replicated.run(MARK_SENT, keys, [f"sent:{i}", mark, message_id or "", OUTBOX_TTL_SECONDS])


def _parse(raw: dict[str, str]) -> TurnOutbox:
    return TurnOutbox(
        items=json.loads(raw["items"]), handler=raw.get("handler", ""), inbound=json.loads(raw.get("inbound", "{}")),
        marks={k: v for k, v in raw.items() if k not in ("items", "handler", "inbound")},
    )  # fmt: skip
