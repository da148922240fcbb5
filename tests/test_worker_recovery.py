"""A worker's error and timing paths, as an operator meets them: how long a reader waits while its
Redis fails, what it does when Redis refuses a command or comes back empty, how many failed tries
send an event to the dead letters, how often it scans for its own failed events, and how a shard is
handed to another worker. The waits are the worker's own: its sleeps are recorded and cut to a
millisecond (the worker module's `asyncio.sleep` only), so a 5 s backoff costs nothing to check."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

import bot.intake.worker as worker_module
from bot.conv_keys import UserKey
from bot.intake.keys import GROUP, IntakeKeys
from bot.intake.queue import EventQueue
from bot.intake.worker import Worker

OA = "oa-recovery"


class QuickSleeps:
    """The worker module's asyncio, with every sleep it asks for recorded and cut to 1 ms."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        self.slept.append(round(delay, 3))
        await asyncio.sleep(0.001)
        return result


class SleptClock:
    """The worker module's time, whose monotonic clock has moved by the sleeps cut short too: the
    worker's deadlines see its waits as having passed."""

    def __init__(self, sleeps: QuickSleeps) -> None:
        self.sleeps = sleeps

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def monotonic(self) -> float:
        return time.monotonic() + sum(self.sleeps.slept)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> QuickSleeps:
    quick = QuickSleeps()
    monkeypatch.setattr(worker_module, "asyncio", quick)
    monkeypatch.setattr(worker_module, "time", SleptClock(quick))
    return quick


@contextlib.asynccontextmanager
async def running(*workers: Worker) -> AsyncIterator[None]:
    """The workers' run loops, stopped however the test ends."""
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield
    finally:
        for worker in workers:
            worker.stop()
        await asyncio.wait(tasks, timeout=10)
        for task in tasks:
            task.cancel()


async def until(condition, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def event(user: str, text: str) -> dict[str, Any]:
    return {"event_name": "user_send_text", "sender": {"id": user}, "message": {"text": text}}


def failing(redis, name: str, errors: list[BaseException]) -> list[BaseException]:
    """Make the client's command `name` raise the listed errors, one a call, then work again; the
    list is live: the test may add more errors later."""
    original = getattr(redis, name)

    async def command(*args: Any, **kwargs: Any) -> Any:
        if errors:
            raise errors.pop(0)
        return await original(*args, **kwargs)

    setattr(redis, name, command)
    return errors


def sample(name: str) -> float:
    """A value of the process's /metrics registry (0 before its first observation)."""
    return REGISTRY.get_sample_value(name) or 0.0


def one_shard(backend) -> IntakeKeys:
    return IntakeKeys(backend.prefix, shards=1)


async def test_a_reader_whose_redis_keeps_failing_waits_doubling_up_to_5_s_and_starts_again_at_0_2(
    backend, redis_client, sleeps
):
    """Connection errors, and the AttributeError redis-py's cluster client raises mid-failover, both
    make the reader wait 0.2, 0.4, 0.8, 1.6, 3.2 s and then 5 s between tries (not +2 s each, nor
    a wait that never grows); once Redis answers again the next outage starts from 0.2 s."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    handled: list[str] = []

    async def handle(raw: dict, key: str) -> None:
        handled.append(raw["message"]["text"])

    def lost() -> Exception:
        return RedisConnectionError("Connection refused")

    def broken() -> Exception:
        return AttributeError("'NoneType' object has no attribute 'writelines'")

    errors = failing(redis_client, "xreadgroup", [lost(), broken(), lost(), broken(), lost(), broken(), lost()])
    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50)
    async with running(worker):
        assert await queue.accept(UserKey(OA, "u1"), "e1", event("u1", "one"))
        await until(lambda: handled == ["one"])
        assert sleeps.slept == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
        sleeps.slept.clear()
        errors += [lost(), lost()]  # a second outage, after Redis answered again
        await until(lambda: not errors and len(sleeps.slept) == 2)
        assert await queue.accept(UserKey(OA, "u1"), "e2", event("u1", "two"))
        await until(lambda: handled == ["one", "two"])
        assert sleeps.slept == [0.2, 0.4]


async def test_a_command_redis_refuses_is_logged_as_an_error_and_retried_with_growing_waits(
    backend, redis_client, sleeps, caplog
):
    """A refusal (OOM, READONLY, WRONGTYPE) is not an outage: the log says 'Redis refused a command'
    at ERROR with Redis's own words, and the reader waits 0.2, 0.4, ... 5 s between tries, as for an
    outage, instead of hammering a refusing Redis (and the log) every 0.2 s."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    handled: list[str] = []

    async def handle(raw: dict, key: str) -> None:
        handled.append(key)

    refused = [ResponseError("OOM command not allowed when used memory > 'maxmemory'") for _ in range(7)]
    failing(redis_client, "xreadgroup", refused)
    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50)
    with caplog.at_level(logging.WARNING, logger="bot.intake.worker"):
        async with running(worker):
            assert await queue.accept(UserKey(OA, "u2"), "e1", event("u2", "x"))
            await until(lambda: handled == ["e1"])
    assert sleeps.slept == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.intake.worker"]
    refusals = [line for line in lines if "Redis refused a command (OOM command not allowed" in line[1]]
    assert len(refusals) == 7 and {level for level, _ in refusals} == {logging.ERROR}, lines
    assert not any("unavailable" in message for _, message in lines), lines


async def test_a_redis_back_without_its_data_gets_its_group_again_at_once(backend, redis_client, sleeps, caplog):
    """NOGROUP (Redis restarted empty): the reader creates the consumer group again and reads on at
    once, with no wait and nothing logged as an outage or a refusal."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    handled: list[str] = []

    async def handle(raw: dict, key: str) -> None:
        handled.append(key)

    gone = [ResponseError("NOGROUP No such key 'x' or consumer group 'workers' in XREADGROUP") for _ in range(3)]
    failing(redis_client, "xreadgroup", gone)
    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50)
    with caplog.at_level(logging.WARNING, logger="bot.intake.worker"):
        async with running(worker):
            assert await queue.accept(UserKey(OA, "u3"), "e1", event("u3", "x"))
            await until(lambda: handled == ["e1"])
    assert sleeps.slept == [] and not gone
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.intake.worker" and r.levelno >= logging.WARNING]
    assert logged == []


def failing_worker(redis_client, keys: IntakeKeys, calls: list[str], **options: Any) -> Worker:
    async def handle(raw: dict, key: str) -> None:
        calls.append(key)
        raise RuntimeError("a bug on this event")

    # No retry in place (retry_seconds=0): each try is one call. Own failed events are taken again
    # after 100 ms idle (checked every 50 ms).
    return Worker(redis_client, keys, handle, lease_ms=600, block_ms=50, retry_seconds=0, reclaim_idle_ms=100,
                  **options)  # fmt: skip


async def dead_letters(redis_client, keys: IntakeKeys) -> list[dict[str, str]]:
    return [fields for _, fields in await redis_client.xrange(keys.dead(0))]


async def test_an_event_failing_every_time_goes_to_the_dead_letters_after_exactly_five_tries(backend, redis_client):
    """The default max_attempts, 5: the event is tried 5 times, not 6, then set aside with what it
    was; nothing of it is left in the shard (no pending entry, no retry count)."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    calls: list[str] = []
    worker = failing_worker(redis_client, keys, calls)
    names = ("tracuu_events_failed_total", "tracuu_events_reclaimed_total", "tracuu_events_dead_lettered_total",
             "tracuu_events_processed_total")  # fmt: skip
    before = {name: sample(name) for name in names}
    async with running(worker):
        assert await queue.accept(UserKey(OA, "u4"), "poison", event("u4", "#poison"))
        deadline = time.monotonic() + 5
        while not await redis_client.xlen(keys.dead(0)):
            assert time.monotonic() < deadline, f"not dead-lettered after {len(calls)} tries"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # three more reclaim checks: a sixth try would show now
    assert calls == ["poison"] * 5
    # /metrics: 5 failed tries, 4 of them taken over again, 1 set aside, none processed.
    assert {name: sample(name) - before[name] for name in names} == dict(zip(names, (5, 4, 1, 0), strict=True))
    [dead] = await dead_letters(redis_client, keys)
    assert dead["key"] == "poison" and json.loads(dead["event"])["message"]["text"] == "#poison"
    assert await redis_client.xlen(keys.stream(0)) == 0
    assert await redis_client.hlen(keys.attempts(0)) == 0
    assert (await redis_client.xpending(keys.stream(0), GROUP))["pending"] == 0


async def test_an_event_already_counted_past_a_lowered_limit_still_goes_to_the_dead_letters(backend, redis_client):
    """An operator lowers max_attempts from 5 to 2 while an event has been tried 4 times: its next
    count (5) is past the new limit, and it is set aside at once rather than tried for ever."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    assert await queue.accept(UserKey(OA, "u5"), "old-poison", event("u5", "x"))
    stream = keys.stream(0)
    await redis_client.xgroup_create(stream, GROUP, id="0")
    [[_, [(entry_id, _)]]] = await redis_client.xreadgroup(GROUP, "dead-worker", {stream: ">"})
    await redis_client.hset(keys.attempts(0), entry_id, 4)  # tried 4 times under the old limit
    calls: list[str] = []
    worker = failing_worker(redis_client, keys, calls, max_attempts=2)
    async with running(worker):
        deadline = time.monotonic() + 5
        while not await redis_client.xlen(keys.dead(0)):
            assert time.monotonic() < deadline, f"not dead-lettered after {len(calls)} more tries"
            await asyncio.sleep(0.02)
    assert calls == []


async def test_a_failing_authorization_check_does_not_stop_failed_events_being_counted(backend, redis_client):
    """The check 'may anything be sent now?' reads the store; when that read fails, a taken-over
    event is counted as tried as usual (unknown is not 'held'): a poisoned event still reaches the
    dead letters, and the reader does not stall on the failing check."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    calls: list[str] = []

    async def may_send() -> bool:
        raise RedisConnectionError("the authorization's store is away")

    worker = failing_worker(redis_client, keys, calls, max_attempts=2, may_send=may_send)
    async with running(worker):
        assert await queue.accept(UserKey(OA, "u6"), "poison2", event("u6", "x"))
        deadline = time.monotonic() + 5
        while not await redis_client.xlen(keys.dead(0)):
            assert time.monotonic() < deadline, f"not dead-lettered after {len(calls)} tries"
            await asyncio.sleep(0.02)
    assert calls == ["poison2"] * 2


async def test_the_scan_for_failed_events_runs_every_half_idle_time_not_on_every_read(backend, redis_client):
    """With a 600 ms idle time, the reader looks for its own failed events every 300 ms, while it
    reads every 50 ms: about 3 scans in a second, not one per read (each scans the pending list),
    and about 20 reads, not a busy loop."""
    keys = one_shard(backend)
    scans: list[int] = []
    original = redis_client.xautoclaim

    async def xautoclaim(*args: Any, **kwargs: Any) -> Any:
        scans.append(kwargs.get("min_idle_time", 0))
        return await original(*args, **kwargs)

    redis_client.xautoclaim = xautoclaim
    reads = {"n": 0}
    original_read = redis_client.xreadgroup

    async def xreadgroup(*args: Any, **kwargs: Any) -> Any:
        reads["n"] += 1
        return await original_read(*args, **kwargs)

    redis_client.xreadgroup = xreadgroup

    async def handle(raw: dict, key: str) -> None:
        pass

    worker = Worker(redis_client, keys, handle, lease_ms=600, block_ms=50, reclaim_idle_ms=600)
    async with running(worker):
        await until(lambda: reads["n"] >= 1)
        started, before = time.monotonic(), reads["n"]
        await asyncio.sleep(1.0)
        elapsed, read = time.monotonic() - started, reads["n"] - before
    idle_scans = [s for s in scans if s == 600]
    assert scans[0] == 0  # taking the shard over: whatever its last reader left, at once
    # The reads went on meanwhile, about one per 50 ms block: an idle reader does not spin (the
    # embedded store answers at once, so the reader waits out the block itself).
    assert 8 <= read <= elapsed / 0.05 + 5, read
    assert 1 <= len(idle_scans) <= elapsed / 0.3 + 1, (len(idle_scans), read, elapsed)


async def test_a_shard_given_back_waits_for_its_event_in_progress_then_is_free_at_once(backend, redis_client):
    """A worker handing a shard to a newcomer keeps its lease while the shard's event is still being
    handled (the newcomer would otherwise start the citizen's next event beside it), frees it within
    0.2 s of the event finishing, and never holds it longer than one lease for a stuck event."""
    keys = one_shard(backend)
    lease = keys.lease(0)

    async def handle(raw: dict, key: str) -> None:
        pass

    worker = Worker(redis_client, keys, handle, lease_ms=5_000)
    assert await worker.leases.take(lease)
    worker.in_flight[(0, "1-0")] = 0
    giving = asyncio.create_task(worker._give_back(0))
    try:
        await asyncio.sleep(0.3)
        assert not giving.done() and await redis_client.get(lease) == worker.worker_id
        del worker.in_flight[(0, "1-0")]
        finished = time.monotonic()
        await asyncio.wait_for(giving, 2)
        assert time.monotonic() - finished < 0.2 + 0.3  # 0.05 s polls, with room for a busy machine
        assert await redis_client.get(lease) is None
    finally:
        giving.cancel()

    stuck = Worker(redis_client, keys, handle, lease_ms=400)
    assert await stuck.leases.take(lease)
    stuck.in_flight[(0, "2-0")] = 0  # never finishes
    started = time.monotonic()
    giving = asyncio.create_task(stuck._give_back(0))
    try:
        await asyncio.wait_for(giving, 3)
    finally:
        giving.cancel()
    assert 0.35 <= time.monotonic() - started < 2.0
    assert await redis_client.get(lease) is None


class Hold(Exception):
    """Nothing may be sent now (the OA's authorization is lost)."""


def scripted(outcomes: list[BaseException | None], calls: list[str]):
    """A handler failing with the listed exceptions, one a call (None: it succeeds), then the last
    one for ever."""

    async def handle(raw: dict, key: str) -> None:
        calls.append(key)
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if outcome is not None:
            raise outcome

    return handle


async def gave_up(caplog, limit: float = 5.0) -> None:
    await until(lambda: any("stays queued for another attempt" in r.getMessage() for r in caplog.records), limit)


def zalo_away() -> Exception:
    return ConnectionResetError("Zalo closed the connection")


async def test_a_reply_failing_to_go_out_is_retried_in_place_doubling_up_to_5_s(backend, redis_client, sleeps):
    """Zalo away for a moment: the event is tried again where it stands (the citizen's later events
    wait behind it) after 0.2, 0.4, 0.8, 1.6, 3.2, then 5 s, and once it goes out it is acknowledged."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    calls: list[str] = []
    failed_before = sample("tracuu_events_failed_total")
    handle = scripted([zalo_away() for _ in range(7)] + [None], calls)
    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50)
    async with running(worker):
        assert await queue.accept(UserKey(OA, "u7"), "e1", event("u7", "x"))
        await until(lambda: len(calls) == 8)
        await until(lambda: worker.in_flight == {})
    assert sleeps.slept == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert sample("tracuu_events_failed_total") - failed_before == 7
    assert await redis_client.xlen(keys.stream(0)) == 0  # acknowledged and dropped


async def test_retries_in_place_stop_after_retry_seconds_and_leave_the_event_for_later(
    backend, redis_client, sleeps, caplog
):
    """retry_seconds=1: tries at 0, 0.2 and 0.6 s; the next wait (0.8 s) would pass the second, so
    the worker stops there, logs it, and leaves the event pending for a later attempt."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    calls: list[str] = []
    worker = Worker(redis_client, keys, scripted([zalo_away()], calls), queue=queue, lease_ms=600, block_ms=50,
                    retry_seconds=1.0)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="bot.intake.worker"):
        async with running(worker):
            assert await queue.accept(UserKey(OA, "u8"), "e1", event("u8", "x"))
            await gave_up(caplog)
            assert len(calls) == 3 and sleeps.slept == [0.2, 0.4]
            assert (await redis_client.xpending(keys.stream(0), GROUP))["pending"] == 1


async def test_after_a_hold_for_authorization_the_retries_start_afresh(backend, redis_client, sleeps, caplog):
    """Two failed tries (waits 0.2, 0.4), then a hold until sending is allowed again: the failures
    after it wait 0.2 s again and get a full retry_seconds of their own (0.2 then 0.4 s), as a new
    send would, rather than inheriting the time and waits used up before the hold."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    calls: list[str] = []
    handle = scripted([zalo_away(), zalo_away(), Hold(), zalo_away()], calls)

    async def may_send() -> bool:
        return True  # authorized again at the first look

    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50, retry_seconds=1.0,
                    hold_on=(Hold,), may_send=may_send)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="bot.intake.worker"):
        async with running(worker):
            assert await queue.accept(UserKey(OA, "u9"), "e1", event("u9", "x"))
            await gave_up(caplog)
    assert sleeps.slept == [0.2, 0.4, 0.2, 0.4] and len(calls) == 6


async def test_a_worker_that_lost_the_shard_stops_retrying_at_once(backend, redis_client, sleeps):
    """The shard went to another worker while its event failed: this one stops trying (the new
    owner takes the event over), instead of sending beside it for up to retry_seconds."""
    keys = one_shard(backend)
    calls: list[str] = []
    worker = Worker(redis_client, keys, scripted([zalo_away()], calls), lease_ms=600)
    fields = {"oa": OA, "user": "u10", "key": "e1", "event": json.dumps(event("u10", "x"))}
    assert await worker._handle_with_retries(0, fields) is False  # no reader for shard 0: not ours
    assert calls == ["e1"] and sleeps.slept == []


async def test_events_another_process_accepts_are_read_at_once_after_an_empty_read_and_after_a_batch(
    backend, redis_client
):
    """The webhook usually runs in another process than the worker (`python -m bot serve` and
    `python -m bot worker`), so nothing in the worker's process wakes its reader: the reader must go
    straight back to its blocking read, both after a read that found nothing and after one that
    brought events. An event accepted at either moment is handled well within the 1 s block."""
    keys = one_shard(backend)
    webhook = EventQueue(redis_client, keys)  # the other process's queue: it wakes no reader here
    accepted: dict[str, float] = {}
    handled: dict[str, float] = {}
    original = redis_client.xreadgroup

    async def xreadgroup(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        if not accepted and not result:  # right after a read that found nothing
            accepted["e1"] = time.monotonic()
            assert await webhook.accept(UserKey(OA, "p1"), "e1", event("p1", "one"))
        elif "e1" in accepted and "e2" not in accepted and result:  # right after the read that brought e1
            accepted["e2"] = time.monotonic()
            assert await webhook.accept(UserKey(OA, "p2"), "e2", event("p2", "two"))
        return result

    redis_client.xreadgroup = xreadgroup

    async def handle(raw: dict, key: str) -> None:
        handled[key] = time.monotonic()

    worker = Worker(redis_client, keys, handle, lease_ms=600, block_ms=1_000)
    count, total = sample("tracuu_event_latency_seconds_count"), sample("tracuu_event_latency_seconds_sum")
    async with running(worker):
        await until(lambda: len(handled) == 2, 5)
        await until(lambda: sample("tracuu_event_latency_seconds_count") - count == 2)
        assert sample("tracuu_worker_shards") == 1
    assert handled["e1"] - accepted["e1"] < 0.5 and handled["e2"] - accepted["e2"] < 0.5, (accepted, handled)
    # /metrics: two events, their latency (webhook to done) more than nothing and well under a second
    # each (the entry id's milliseconds are when Redis accepted the event); no shards once stopped.
    assert 0 < sample("tracuu_event_latency_seconds_sum") - total < 1.0
    assert sample("tracuu_worker_shards") == 0


async def test_a_heartbeat_failing_is_a_warning_for_a_store_error_and_the_worker_goes_on_either_way(
    backend, redis_client, caplog
):
    """The worker's tick (heartbeat, leases) meets a connection error, then an AttributeError from
    inside the client: the first is one WARNING naming it (Redis away is expected, not a bug), the
    second an ERROR with its traceback, and the worker keeps going: it takes the shard and answers."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    handled: list[str] = []

    async def handle(raw: dict, key: str) -> None:
        handled.append(key)

    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=300, block_ms=50)
    original = worker.leases.take
    errors = [RedisConnectionError("Connection refused"), AttributeError("'NoneType' object has no attribute 'x'")]

    async def take(key: str) -> bool:
        if errors:
            raise errors.pop(0)
        return await original(key)

    worker.leases.take = take
    with caplog.at_level(logging.WARNING, logger="bot.intake.worker"):
        async with running(worker):
            assert await queue.accept(UserKey(OA, "u12"), "e1", event("u12", "x"))
            await until(lambda: handled == ["e1"])
    ticks = [r for r in caplog.records if r.getMessage().startswith("worker tick failed")]
    assert [(r.levelno, r.getMessage(), bool(r.exc_info)) for r in ticks] == [
        (logging.WARNING, "worker tick failed (ConnectionError); retrying", False),
        (logging.ERROR, "worker tick failed; retrying", True),
    ]


async def test_a_held_event_asks_once_a_second_whether_it_may_go_out(backend, redis_client):
    """The OA's authorization is lost: the event waits, asking 'may anything be sent now?' once a
    second (not in a loop against the store), and goes out at the first ask after it is back."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    allowed, asked, sent = {"now": False}, [], []

    async def handle(raw: dict, key: str) -> None:
        if not allowed["now"]:
            raise Hold()
        sent.append(time.monotonic())

    async def may_send() -> bool:
        asked.append(time.monotonic())
        return allowed["now"]

    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50, hold_on=(Hold,),
                    may_send=may_send)  # fmt: skip
    async with running(worker):
        assert await queue.accept(UserKey(OA, "u13"), "e1", event("u13", "x"))
        await until(lambda: worker.held == 1)
        assert sample("tracuu_events_held") == 1
        held_at = time.monotonic()
        await asyncio.sleep(0.4)
        allowed["now"] = True  # authorized again
        await until(lambda: sent, 4)
    assert worker.held == 0 and sample("tracuu_events_held") == 0  # none held once it went out
    assert len(asked) == 2, asked  # on holding, then a second later
    assert 0.8 <= sent[0] - held_at <= 1.8, sent[0] - held_at


async def test_a_newcomer_gets_an_idle_shard_and_the_one_with_a_turn_in_progress_stays(backend, redis_client):
    """Three shards, one worker reading them all while a citizen's long turn runs on one; a second
    worker starts: the share is 2 each, so the first hands over an idle shard (at once, nothing to
    wait for) and keeps the busy one, whose citizen's turn and next events stay with it; the
    newcomer keeps the one shard it got although it is below its share (nothing else is free)."""
    keys = IntakeKeys(backend.prefix, shards=3)
    queue = EventQueue(redis_client, keys)
    release, started = asyncio.Event(), asyncio.Event()

    async def long_turn(raw: dict, key: str) -> None:
        started.set()
        await release.wait()

    first = Worker(redis_client, keys, long_turn, queue=queue, lease_ms=600, block_ms=50)
    second = Worker(redis_client, keys, long_turn, queue=queue, lease_ms=600, block_ms=50)
    async with running(first):
        await until(lambda: len(first.readers) == 3)
        # The shard the first worker took first: giving back "whichever comes first" would be it.
        busy = next(iter(first.readers))
        user = next(f"u{n}" for n in range(100) if keys.shard_of(UserKey(OA, f"u{n}")) == busy)
        assert await queue.accept(UserKey(OA, user), "long", event(user, "x"))
        await asyncio.wait_for(started.wait(), 5)
        try:
            async with running(second):
                await until(lambda: len(second.readers) == 1)
                for _ in range(5):  # over 5 ticks (0.2 s each): the same shards, no lease handed back and forth
                    assert len(second.readers) == 1 and busy not in second.readers
                    assert len(first.readers) == 2 and busy in first.readers
                    await asyncio.sleep(0.2)
                assert await redis_client.get(keys.lease(busy)) == first.worker_id
        finally:
            release.set()


async def test_a_failed_acknowledgement_leaves_the_event_pending_and_the_citizens_next_event_goes_on(
    backend, redis_client, caplog
):
    """Redis goes away just as the first of a citizen's two events is acknowledged: a WARNING says
    it will be seen again, the event stays pending (the outbox repeats nothing when it is), and the
    citizen's second event is handled at once, not left behind until an idle reclaim."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    for n in (1, 2):  # both queued before the worker starts: one read, one chain
        assert await queue.accept(UserKey(OA, "u14"), f"e{n}", event("u14", str(n)))
    handled: list[str] = []

    async def handle(raw: dict, key: str) -> None:
        handled.append(key)

    original_pipeline = redis_client.pipeline
    fail = {"acks": 1}

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = original_pipeline(*args, **kwargs)
        if kwargs.get("transaction") and fail["acks"]:  # the ack's MULTI (no dead letters here)
            fail["acks"] -= 1

            async def execute(*a: Any, **k: Any) -> Any:
                raise RedisConnectionError("Redis went away during the acknowledgement")

            pipe.execute = execute
        return pipe

    redis_client.pipeline = pipeline
    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50)
    with caplog.at_level(logging.WARNING, logger="bot.intake.worker"):
        async with running(worker):
            await until(lambda: handled == ["e1", "e2"], 3)
            await until(lambda: worker.in_flight == {})
            assert (await redis_client.xpending(keys.stream(0), GROUP))["pending"] == 1  # e1, to be seen again
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "could not acknowledge an event (ConnectionError); it will be seen again" in warnings, warnings


async def test_a_held_event_is_left_for_later_when_the_worker_stops(backend, redis_client):
    """The OA's authorization is lost and the worker is stopped (a deploy): the held event is left
    pending for whichever worker reads the shard next, tried once, not tried again in a loop."""
    keys = one_shard(backend)
    queue = EventQueue(redis_client, keys)
    calls: list[str] = []

    async def handle(raw: dict, key: str) -> None:
        calls.append(key)
        await asyncio.sleep(0)
        raise Hold()

    async def may_send() -> bool:
        return False

    worker = Worker(redis_client, keys, handle, queue=queue, lease_ms=600, block_ms=50, hold_on=(Hold,),
                    may_send=may_send, hold_poll_seconds=0.05)  # fmt: skip
    async with running(worker):
        assert await queue.accept(UserKey(OA, "u15"), "e1", event("u15", "x"))
        await until(lambda: worker.held == 1)
        worker.stop()
        await until(lambda: worker.held == 0)
        await asyncio.sleep(0.1)  # a loop of tries would show now
    assert calls == ["e1"]
    assert (await redis_client.xpending(keys.stream(0), GROUP))["pending"] == 1
