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


async def test_on_a_cluster_each_primarys_calls_are_answered_without_waiting_for_the_others():
    """A batch spanning two primaries: the requests of the one that answered are answered while the
    other still holds its calls (a slow or failing-over node delays only its own shards)."""
    from bot.intake.batch import ShardBatcher

    release = asyncio.Event()

    class TwoNodes:
        cluster = True

        async def by_node(self, first_keys):
            return [(f"node{parity}", [i for i, k in enumerate(first_keys) if int(k[-1]) % 2 == parity])
                    for parity in (0, 1)]  # fmt: skip

        async def run_many(self, script, calls):
            if int(calls[0][0][0][-1]) % 2 == 0:
                await release.wait()
            return [[1] * (len(keys) - 1) for keys, _ in calls]

    batcher = ShardBatcher(TwoNodes(), None, lambda shard: ([f"stream-{shard}"], []))
    answered: list[tuple[int, object]] = []
    for shard in (0, 1, 2, 3):
        batcher.submit(shard, [f"seen-{shard}"], [], lambda answer, exc, shard=shard: answered.append((shard, answer)))
    for _ in range(5):
        await asyncio.sleep(0)
    assert sorted(answered) == [(1, 1), (3, 1)], "the second primary's shards are answered first"
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert sorted(answered) == [(0, 1), (1, 1), (2, 1), (3, 1)]


async def test_on_a_cluster_what_arrives_while_a_primarys_call_is_out_goes_in_its_next_one():
    """One call per primary in flight: the events for it that arrive meanwhile wait for its answer and
    then go together (one round trip, one WAIT), each shard's in order of arrival."""
    from bot.intake.batch import ShardBatcher

    release = asyncio.Event()
    sent: list[list[list[str]]] = []  # each round trip's calls, as their keys

    class OneNode:
        cluster = True

        async def by_node(self, first_keys):
            return [("node0", list(range(len(first_keys))))]

        async def run_many(self, script, calls):
            sent.append([keys for keys, _ in calls])
            if len(sent) == 1:
                await release.wait()
            return [[1] * (len(keys) - 1) for keys, _ in calls]

    batcher = ShardBatcher(OneNode(), None, lambda shard: ([f"stream-{shard}"], []))
    answered: list[str] = []

    def submit(shard: int, event: str) -> None:
        batcher.submit(shard, [event], [], lambda answer, exc: answered.append(event))

    submit(0, "a")
    for _ in range(3):
        await asyncio.sleep(0)
    assert sent == [[["stream-0", "a"]]]
    submit(0, "b")
    for _ in range(3):
        await asyncio.sleep(0)
    submit(1, "c")
    submit(0, "d")
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(sent) == 1, "nothing more goes to the primary while its call is out"
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert sent[1] == [["stream-0", "b", "d"], ["stream-1", "c"]]
    assert answered == ["a", "b", "d", "c"]
