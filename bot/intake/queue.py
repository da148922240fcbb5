"""Accepting events: mark and append to the user's shard stream in one transaction, so a mark
without the event (or the reverse) cannot happen; the webhook answers 200 only after this."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.conv_keys import UserKey
from bot.intake.keys import GROUP, IntakeKeys

DEDUPE_TTL_SECONDS = 7 * 24 * 3600  # longer than Zalo keeps redelivering


class EventQueue:
    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self.redis = redis
        self.keys = keys
        # Workers in this process, woken at once instead of at their next poll (the embedded store
        # cannot block on XREADGROUP).
        self.listeners: list[Callable[[int], None]] = []

    async def accept(self, user: UserKey, dedupe_id: str, event: dict[str, Any]) -> bool:
        """Queue the event; True when it was not seen before. One round trip: the dedupe mark and
        the append go in one transaction, so neither can exist without the other. A redelivery is
        appended too (deciding first would take a second round trip) and is answered "duplicate";
        the worker finds its turn already stored under the same key and repeats nothing."""
        shard = self.keys.shard_of(user)
        fields = {
            "oa": user.oa_id, "user": user.user_id, "key": dedupe_id,
            "event": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        }  # fmt: skip
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.seen(shard, dedupe_id), 1, nx=True, ex=DEDUPE_TTL_SECONDS)
            pipe.xadd(self.keys.stream(shard), fields)
            first, _ = await pipe.execute()
        for wake in self.listeners:
            wake(shard)
        return bool(first)

    async def depth(self) -> tuple[int, int]:
        """(events waiting or in progress, events delivered to a worker and not yet acknowledged)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(self.keys.shards):
                pipe.xlen(self.keys.stream(shard))
            lengths = await pipe.execute()
        pending = 0
        for shard in range(self.keys.shards):
            try:
                info = await self.redis.xpending(self.keys.stream(shard), GROUP)
            except ResponseError:
                continue  # no group yet: nothing delivered
            pending += int(info.get("pending") or 0)
        return sum(int(n) for n in lengths), pending


async def ensure_group(redis: Redis, stream: str) -> None:
    """The consumer group, created with its stream if missing (a Redis restarted without its data)."""
    try:
        await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
