"""The citizen lock during a turn longer than its TTL (a slow answer, a slow OA API): it is kept for
the whole turn, renewed every third of the TTL, so a second turn of the same citizen cannot start in
the middle of it and interleave its replies; and it is freed as soon as the turn ends."""

from __future__ import annotations

import asyncio

from bot.redis_lock import RedisLock


async def test_a_turn_longer_than_the_lock_ttl_keeps_the_lock_until_it_ends(backend, redis_client):
    key = f"{backend.prefix}:lock-long-turn"
    turn, second = RedisLock(redis_client, key, ttl_ms=300), RedisLock(redis_client, key, ttl_ms=300)
    async with turn.held(wait=0) as got:
        assert got
        # The turn runs for more than twice the TTL (the turn's own work, not a wait for the lock).
        await asyncio.sleep(0.7)
        assert await redis_client.get(key) == turn.token  # renewed, not expired
        assert not await second.acquire()  # the citizen's next message waits for this turn
    assert await second.acquire()  # freed at once when the turn ends, not at its TTL
    assert await second.release()
