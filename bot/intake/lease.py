"""Shard leases: at most one live worker reads a shard, so a citizen's events are handled in order.
SET NX PX to take, compare-then-PEXPIRE to renew, compare-then-DEL to give back (WATCH/MULTI, no
Lua, so the embedded store behaves like a real Redis). A worker that dies simply stops renewing."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import WatchError


class Leases:
    def __init__(self, redis: Redis, owner: str, ttl_ms: int) -> None:
        self.redis = redis
        self.owner = owner
        self.ttl_ms = ttl_ms

    async def take(self, key: str) -> bool:
        return bool(await self.redis.set(key, self.owner, nx=True, px=self.ttl_ms))

    async def renew(self, key: str) -> bool:
        """Extend the lease if it is still ours; take it again if it vanished (a Redis restarted
        without its data). False when another worker holds it now."""
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                holder = await pipe.get(key)
                if holder is None:
                    await pipe.unwatch()
                    return await self.take(key)
                if holder != self.owner:
                    return False
                pipe.multi()
                pipe.pexpire(key, self.ttl_ms)
                await pipe.execute()
                return True
            except WatchError:
                return False

    async def give_back(self, key: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                if await pipe.get(key) != self.owner:
                    return
                pipe.multi()
                pipe.delete(key)
                await pipe.execute()
            except WatchError:
                return
