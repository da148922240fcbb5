"""Accepting events: mark and append to the user's shard stream in one server-side script, so a mark
without the event cannot happen and a redelivery is told apart in the same round trip; the webhook
answers 200 only after this (on a cluster, once a replica has it too: `bot.replicated`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.conv_keys import UserKey
from bot.intake.batch import Done, ShardBatcher
from bot.intake.keys import GROUP, IntakeKeys
from bot.lua import Lua
from bot.replicated import Replicated

DEDUPE_TTL_SECONDS = 7 * 24 * 3600  # longer than Zalo keeps redelivering

# One shard's events of a batch (`bot.intake.batch`): KEYS[1] the shard's stream, then each event's
# dedupe mark (one hash tag: one slot); ARGV[1] the marks' TTL, then four per event: oa, user, key,
# event. Answers one result per event, in order: 1 = appended, 0 = seen before (nothing written; a
# repeat inside the batch too). The append comes before the mark: a script is not rolled back, and
# an entry without its mark is only handled again on a redelivery (the outbox repeats nothing),
# while a mark without its entry would lose the event.
ACCEPT = Lua("""
local out = {}
for j = 1, #KEYS - 1 do
  if redis.call('EXISTS', KEYS[j + 1]) == 1 then
    out[j] = 0
  else
    redis.call('XADD', KEYS[1], '*', 'oa', ARGV[4 * j - 2], 'user', ARGV[4 * j - 1], 'key', ARGV[4 * j],
               'event', ARGV[4 * j + 1])
    redis.call('SET', KEYS[j + 1], '1', 'EX', ARGV[1])
    out[j] = 1
  end
end
return out
""")


class EventQueue:
    def __init__(self, redis: Redis, keys: IntakeKeys) -> None:
        self.redis = redis
        self.keys = keys
        self.replicated = Replicated(redis)
        self.batcher = ShardBatcher(self.replicated, ACCEPT, lambda shard: ([keys.stream(shard)], [DEDUPE_TTL_SECONDS]),
                                    stored=self._stored)  # fmt: skip
        # Workers in this process, woken at once instead of at their next poll (the embedded store
        # cannot block on XREADGROUP).
        self.listeners: list[Callable[[int], None]] = []

    def _stored(self, shard: int) -> None:
        for wake in self.listeners:
            wake(shard)

    async def accept(self, user: UserKey, dedupe_id: str, event: dict[str, Any] | str) -> bool:
        """Queue the event (a dict, or the JSON text it was parsed from: the webhook stores the body
        it received rather than serialising it again); True when it was not seen before (a
        redelivery is answered "duplicate" and not appended again). The check, the append and the
        mark are one script call with the other accepts of the same shard and loop turn, in one
        pipeline with the other shards' (`bot.intake.batch`)."""
        event_json = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        return bool(await self.batcher.run(*self._part(user, dedupe_id, event_json)))

    def submit(self, user: UserKey, dedupe_id: str, event_json: str, done: Done) -> None:
        """`accept` for a caller that does not await: `done(1 or 0, None)` (1: not seen before) or
        `done(None, exc)` is called from the batch's task once the event is stored or is not."""
        self.batcher.submit(*self._part(user, dedupe_id, event_json), done)

    def _part(self, user: UserKey, dedupe_id: str, event_json: str) -> tuple[int, list[str], list[str]]:
        """The event's shard, and its keys and arguments in that shard's ACCEPT call."""
        shard = self.keys.shard_of(user)
        return shard, [self.keys.seen(shard, dedupe_id)], [user.oa_id, user.user_id, dedupe_id, event_json]

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
