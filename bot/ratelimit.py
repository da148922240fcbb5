"""Per-client request limits in Redis, shared by every web process: fixed windows counted with one
INCR each (the key carries the window number and expires after it). Over the limit the caller gets
RateLimited with the seconds until the window ends, which the web layer answers as 429 with
Retry-After. In the chat, the per-citizen throttle (`bot.throttle`) does this job."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis


class RateLimited(Exception):
    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(f"too many {what} from this address; try again in {retry_after} s")
        self.retry_after = retry_after
        self.what = what


@dataclass(frozen=True)
class Limit:
    name: str  # key part, and what the 429 says there were too many of
    count: int
    seconds: int


@dataclass(frozen=True)
class Limits:
    """The web's per-client limits, from the settings (README "Running in production")."""

    lookups: Limit
    lookup_misses: Limit
    security_checks: Limit
    payments: Limit
    logins: Limit

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(
            Limit("dossier lookups", settings.lookups_per_minute, 60),
            Limit("lookups of codes that do not exist", settings.lookup_misses_per_15_minutes, 15 * 60),
            Limit("security code checks", settings.security_checks_per_minute, 60),
            Limit("payment requests", settings.payment_requests_per_minute, 60),
            Limit("staff logins", settings.staff_logins_per_minute, 60),
        )


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limits = limits
        self.clock = clock

    def _key(self, limit: Limit, client: str) -> tuple[str, int]:
        now = self.clock()
        window = int(now // limit.seconds)
        left = max(1, math.ceil((window + 1) * limit.seconds - now))
        return f"{self.prefix}:{{rate:{client}}}:{limit.name.replace(' ', '-')}:{window}", left

    async def hit(self, limit: Limit, client: str) -> None:
        """Count one request; RateLimited once the window holds more than the limit."""
        count, left = await self._incr(limit, client)
        if count > limit.count:
            raise RateLimited(left, limit.name)

    async def check(self, limit: Limit, client: str) -> None:
        """RateLimited when the window already holds the limit (for counters of failures, which are
        counted only after the outcome is known)."""
        key, left = self._key(limit, client)
        if int(await self.redis.get(key) or 0) >= limit.count:
            raise RateLimited(left, limit.name)

    async def add(self, limit: Limit, client: str) -> int:
        return (await self._incr(limit, client))[0]

    async def _incr(self, limit: Limit, client: str) -> tuple[int, int]:
        key, left = self._key(limit, client)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, limit.seconds + 1)
            count, _ = await pipe.execute()
        return int(count), left


LIMITER = web.AppKey("rate_limiter", RateLimiter)
