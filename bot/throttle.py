"""Fixed-window counters in Redis, shared by every worker (per user, per purpose)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey


class Throttle:
    def __init__(self, redis: Redis, keys: ConversationKeys, clock: Callable[[], datetime]) -> None:
        """`clock` is the app's clock: windows follow the time the rest of the service sees (a test's
        clock included), not the wall clock."""
        self.redis = redis
        self.keys = keys
        self.clock = clock

    def _key(self, user: UserKey, name: str, window: int) -> str:
        return self.keys.throttle(user, name, int(self.clock().timestamp() // window))

    async def count(self, user: UserKey, name: str, window: int) -> int:
        return int(await self.redis.get(self._key(user, name, window)) or 0)

    async def hit(self, user: UserKey, name: str, window: int) -> int:
        """Count one more in the current window; returns the new count."""
        key = self._key(user, name, window)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window * 2)
            count, _ = await pipe.execute()
        return int(count)
