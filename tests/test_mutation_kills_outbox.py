"""A worker taking over a shard whose last reader died with two events in hand: one had already
failed its last allowed time and goes to the dead letters, and the other citizen's message, behind
it in the same pending batch, is answered at once, not half a minute later at the next scan for
failed events (the worker's `_reclaim` goes on to the next entry after a dead letter)."""

from __future__ import annotations

from bot.conv_keys import UserKey
from bot.intake.keys import GROUP
from bot.intake.queue import EventQueue
from bot.intake.worker import Worker
from tests.test_worker_recovery import OA, event, one_shard, running, until


async def test_a_message_pending_behind_a_dead_lettered_one_is_answered_when_the_shard_is_taken_over(
    backend, redis_client
):
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    assert await queue.accept(UserKey(OA, "poisoned"), "m-poison", event("poisoned", "#poison"))
    assert await queue.accept(UserKey(OA, "waiting"), "m-waiting", event("waiting", "#hotro"))
    stream = keys.stream(0)
    await redis_client.xgroup_create(stream, GROUP, id="0")
    [[_, taken]] = await redis_client.xreadgroup(GROUP, "worker-that-died", {stream: ">"})
    assert [fields["key"] for _, fields in taken] == ["m-poison", "m-waiting"]
    await redis_client.hset(keys.attempts(0), taken[0][0], 4)  # the poison had failed 4 times of 5
    handled: list[str] = []

    async def handle(raw: dict, key: str) -> None:
        handled.append(key)

    # The default idle time (30 s) before failed events are looked for again: only the takeover's
    # own scan of what is pending can answer the waiting message within the test.
    worker = Worker(redis_client, keys, handle, lease_ms=600, block_ms=50)
    async with running(worker):
        await until(lambda: handled == ["m-waiting"], limit=2.0)
    assert [f["key"] for _, f in await redis_client.xrange(keys.dead(0))] == ["m-poison"]
    assert (await redis_client.xpending(stream, GROUP))["pending"] == 0
