"""Shard leases: at most one live worker reads a shard, so a citizen's events are handled in order.
SET NX PX to take, compare-then-PEXPIRE to renew, compare-then-DEL to give back, each one script
(one round trip, atomic on the embedded store, one Redis and a cluster alike). A worker that dies
simply stops renewing."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.lua import DELETE_IF_HOLDER, Lua

# KEYS[1] the lease; ARGV[1] its owner, ARGV[2] the TTL in ms. A lease that vanished (a Redis
# restarted without its data) is taken again; one another worker holds is left alone (0).
RENEW = Lua("""
local holder = redis.call('GET', KEYS[1])
if not holder then
  return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
end
if holder ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
""")


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
        return bool(await RENEW(self.redis, [key], [self.owner, self.ttl_ms]))

    async def give_back(self, key: str) -> None:
        await DELETE_IF_HOLDER(self.redis, [key], [self.owner])
