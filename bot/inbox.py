"""Durable intake per user: the webhook dedupes and appends each event to the user's inbox in one
transaction before answering 200; a drainer holding the user's lock handles the inbox in arrival
order, moving each event to a `processing` list while it works so that one left by a dead worker
is found and handled by the next drainer."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from bot.conv_keys import ConversationKeys, UserKey
from bot.redis_lock import RedisLock

log = logging.getLogger(__name__)
DEDUPE_TTL_SECONDS = 7 * 24 * 3600  # longer than Zalo keeps redelivering


class Inbox:
    def __init__(self, redis: Redis, keys: ConversationKeys, lock_ttl_ms: int = 30_000) -> None:
        self.redis = redis
        self.keys = keys
        self.lock_ttl_ms = lock_ttl_ms

    async def accept(self, user: UserKey, dedupe_id: str, event: dict[str, Any]) -> bool:
        """Queue the event unless it was seen before; True when it is new. Atomic: a mark without
        the event queued (or the reverse) cannot happen."""
        seen_key, inbox_key = self.keys.seen(user, dedupe_id), self.keys.inbox(user)
        payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(seen_key)
                    if await pipe.exists(seen_key):
                        return False
                    pipe.multi()
                    pipe.set(seen_key, 1, ex=DEDUPE_TTL_SECONDS)
                    pipe.rpush(inbox_key, payload)
                    await pipe.execute()
                    return True
                except WatchError:
                    continue  # a concurrent delivery of the same event: look again

    async def drain(self, user: UserKey, handle: Callable[[dict[str, Any]], Awaitable[None]]) -> int:
        """Handle the user's queued events in order while holding the user's lock. Returns how many
        were handled here; 0 when another worker holds the lock (it will handle them)."""
        handled = 0
        inbox, processing = self.keys.inbox(user), self.keys.processing(user)
        while True:
            lock = RedisLock(self.redis, self.keys.lock(user), self.lock_ttl_ms)
            if not await lock.acquire():
                return handled
            try:
                # Left behind by a worker that died mid-event: it comes first, it came first.
                for raw in await self.redis.lrange(processing, 0, -1):
                    await self._handle_one(raw, handle)
                    await self.redis.lrem(processing, 1, raw)
                    handled += 1
                while (raw := await self.redis.lmove(inbox, processing, "LEFT", "RIGHT")) is not None:
                    await self._handle_one(raw, handle)
                    await self.redis.lrem(processing, 1, raw)
                    handled += 1
            finally:
                await lock.release()
            # An event queued between our last look and the release found the lock taken and left
            # it to us: look once more before leaving.
            if not await self.redis.llen(inbox):
                return handled

    @staticmethod
    async def _handle_one(raw: str, handle: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        try:
            await handle(json.loads(raw))
        except Exception:
            # One broken event must not block the citizen's later messages; it is logged (without
            # its content, which may hold personal data) and recorded by the handler's caller.
            log.exception("handling a queued event failed")
