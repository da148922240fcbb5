"""Waiting for the citizen lock: a second turn of the same citizen waits for the first to end, then
runs; a caller that will not wait (the notification sweep) is told at once that it is taken."""

from __future__ import annotations

import asyncio
import time

from bot.redis_lock import RedisLock


async def test_a_turn_waiting_for_the_lock_gets_it_once_the_first_turn_ends(backend, redis_client):
    key = f"{backend.prefix}:lock-wait"
    first, second = RedisLock(redis_client, key, ttl_ms=6_000), RedisLock(redis_client, key, ttl_ms=6_000)
    assert await first.acquire()

    released_at: list[float] = []

    async def first_turn_ends() -> None:
        await asyncio.sleep(0.2)
        assert await first.release()
        released_at.append(time.monotonic())

    ending = asyncio.create_task(first_turn_ends())
    async with second.held(wait=3) as got:
        assert got  # waited for the release instead of giving up at once
        assert time.monotonic() - released_at[0] < 0.5  # and took it soon after: the citizen waits no longer
    await ending


async def test_a_caller_that_will_not_wait_is_told_at_once_the_lock_is_taken(backend, redis_client):
    key = f"{backend.prefix}:lock-nowait"
    holder, sweep = RedisLock(redis_client, key, ttl_ms=6_000), RedisLock(redis_client, key, ttl_ms=6_000)
    assert await holder.acquire()
    started = time.monotonic()
    assert not await sweep.acquire()
    assert time.monotonic() - started < 0.5
    assert await holder.release()
