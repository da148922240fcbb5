"""A Redis lock shared by every process: SET NX PX with a random token, released only by its holder
through WATCH/MULTI (no Lua, so the embedded store and a real Redis behave the same). The TTL frees
the lock when a holder dies."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError


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
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(self.key)
                if await pipe.get(self.key) != self.token:
                    return False
                pipe.multi()
                pipe.pexpire(self.key, self.ttl_ms)
                await pipe.execute()
                return True
            except WatchError:
                return False

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
                with contextlib.suppress(RedisError, OSError):
                    await self.extend()

        keeper = asyncio.create_task(keep())
        try:
            yield True
        finally:
            keeper.cancel()
            with contextlib.suppress(RedisError, OSError):
                await self.release()

    async def release(self) -> bool:
        """Delete the lock if it is still ours (it may have expired and been taken meanwhile)."""
        if self.token is None:
            return False
        token, self.token = self.token, None
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(self.key)
                if await pipe.get(self.key) != token:
                    return False
                pipe.multi()
                pipe.delete(self.key)
                await pipe.execute()
                return True
            except WatchError:
                return False
