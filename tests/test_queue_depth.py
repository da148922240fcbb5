"""What /metrics says of the intake queue: events waiting, and events a worker took and has not
acknowledged (a worker that died holding them shows there), also before any worker started."""

from __future__ import annotations

from bot.conv_keys import UserKey
from bot.intake.keys import GROUP, IntakeKeys
from bot.intake.queue import EventQueue, ensure_group
from tests.test_webhook import OA, text_event


async def test_the_queue_counts_waiting_events_and_those_a_worker_took_without_acknowledging(backend, redis_client):
    keys = IntakeKeys(backend.prefix, shards=4)
    queue = EventQueue(redis_client, keys)
    users = [UserKey(OA, f"depth-{n}") for n in range(3)]
    for n, user in enumerate(users):
        assert await queue.accept(user, f"msg:depth-{n}", text_event(user.user_id, "#hotro", f"depth-{n}"))
    # No worker yet, so no consumer group on any shard: the queue still answers.
    assert await queue.depth() == (3, 0)
    shard = keys.shard_of(users[0])
    await ensure_group(redis_client, keys.stream(shard))
    taken = await redis_client.xreadgroup(GROUP, "worker-that-died", {keys.stream(shard): ">"})
    held = len(taken[0][1])
    assert held >= 1
    assert await queue.depth() == (3, held)  # taken, never acknowledged: pending
