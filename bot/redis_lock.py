"""A Redis lock shared by every process: SET NX PX with a random token, prolonged and released only
by its holder, each a script (`bot.lua`: one round trip, the same on the embedded store, one Redis
and a cluster). The TTL frees the lock when a holder dies."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from bot.lua import DELETE_IF_HOLDER, PEXPIRE_IF_HOLDER
from bot.redis_conn import STORE_ERRORS


class RedisLock:
    def __init__(self, redis: Redis, key: str, ttl_ms: int = 30_000) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = ttl_ms
        self.token: str | None = None

    async def acquire(self, wait: float = 0.0, poll: float = 0.02) -> bool:
        """Try to take the lock, waiting up to `wait` seconds; False if someone else holds it."""
        token = secrets.token_hex(16)
        deadline = time.monotonic() + wait
        while True:
            if await self.redis.set(self.key, token, nx=True, px=self.ttl_ms):
                self.token = token
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(poll)

    async def extend(self) -> bool:
        """Push the expiry back while we still hold the lock; False if it is no longer ours."""
        if self.token is None:
            return False
        return bool(await PEXPIRE_IF_HOLDER(self.redis, [self.key], [self.token, self.ttl_ms]))

    @contextlib.asynccontextmanager
    async def held(self, wait: float) -> AsyncIterator[bool]:
        """Hold the lock for the block, extending it every third of its TTL, so that a short TTL
        frees it soon after a holder dies without a long turn losing it. Yields False (and holds
        nothing) when it could not be taken within `wait` seconds."""
        if not await self.acquire(wait=wait):
            yield False
            return

        async def keep() -> None:
            while True:
                await asyncio.sleep(self.ttl_ms / 3000)
                with contextlib.suppress(*STORE_ERRORS):
                    await self.extend()

        keeper = asyncio.create_task(keep())
        try:
            yield True
        finally:
            keeper.cancel()
            with contextlib.suppress(*STORE_ERRORS):
                await self.release()

    async def release(self) -> bool:
        """Delete the lock if it is still ours (it may have expired and been taken meanwhile)."""
        if self.token is None:
            return False
        token, self.token = self.token, None
        return bool(await DELETE_IF_HOLDER(self.redis, [self.key], [token]))
