"""Concurrent webhook accepts share one pipeline (bot/intake/batch.py): each request still gets its
own answer, a redelivery among them is still told apart, and the store going away fails every
request of the batch (503 to Zalo) instead of answering any of them as stored."""

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.conv_keys import UserKey
from bot.intake.keys import IntakeKeys
from bot.intake.queue import EventQueue
from bot.redis_conn import connect
from tests.test_webhook import OA, text_event


async def test_a_burst_of_accepts_each_get_their_own_answer(backend, redis_client):
    keys = IntakeKeys(backend.prefix, shards=4)
    queue = EventQueue(redis_client, keys)
    users = [f"u{i}" for i in range(40)]
    first = await asyncio.gather(*(queue.accept(UserKey(OA, u), f"{u}-1", text_event(u, "xin chào", f"{u}-1"))
                                   for u in users))  # fmt: skip
    assert first == [True] * 40
    # The same 40 again, mixed with 40 new ones, all in one loop turn.
    again = await asyncio.gather(*(queue.accept(UserKey(OA, u), f"{u}-{n}", text_event(u, "hi", f"{u}-{n}"))
                                   for u in users for n in (1, 2)))  # fmt: skip
    assert again == [False, True] * 40
    stored = sum([await redis_client.xlen(keys.stream(s)) for s in range(4)])
    assert stored == 80, "a redelivery is not appended again"


async def test_a_store_that_is_away_fails_every_request_of_the_batch(backend):
    if backend.name == "embedded":
        pytest.skip("the embedded store cannot go away")
    redis = connect("redis://127.0.0.1:1/0", pool_timeout=1)  # nothing listens there
    queue = EventQueue(redis, IntakeKeys(backend.prefix, shards=4))
    try:
        results = await asyncio.gather(*(queue.accept(UserKey(OA, f"u{i}"), f"e{i}", text_event(f"u{i}", "a", f"e{i}"))
                                         for i in range(10)), return_exceptions=True)  # fmt: skip
    finally:
        await redis.aclose()
    assert all(isinstance(r, RedisConnectionError | OSError) for r in results), results
