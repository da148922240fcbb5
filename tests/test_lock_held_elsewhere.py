"""A turn that cannot get the citizen's lock in time: told so, holding nothing, and the holder's
lock left as it was (the conversation then answers "busy" instead of running two turns at once)."""

from __future__ import annotations

from bot.redis_lock import RedisLock


async def test_a_turn_that_cannot_get_the_lock_in_time_is_told_so_and_holds_nothing(backend, redis_client):
    key = f"{backend.prefix}:lock-busy"
    holder, late = RedisLock(redis_client, key, ttl_ms=6_000), RedisLock(redis_client, key, ttl_ms=6_000)
    assert await holder.acquire()
    async with late.held(wait=0.1) as got:
        assert got is False
        assert late.token is None
    assert await redis_client.get(key) == holder.token  # still the holder's, not released by the late one
    assert 0 < await redis_client.pttl(key) <= 6_000
    assert await holder.release()
