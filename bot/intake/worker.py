"""A worker: reads the intake shards it leases through the consumer group, handles each citizen's
events one after another (different citizens concurrently, so a slow photo holds up nobody else),
and acknowledges an event only once its replies are sent and recorded.

Ordering: a shard is read by one live worker at a time (its lease), and within the worker a
citizen's events form one chain. When a worker dies, its leases expire; the next owner first takes
over what the dead one left unacknowledged (XAUTOCLAIM, in stream order) and then reads new events.
A turn that is handled twice (a dead worker's half-done turn, or a worker that lost its lease while
still working) repeats nothing a citizen sees: see `bot.outbox`.

Shares: live workers heartbeat into a sorted set; each holds about shards / live workers, taking
free shards when below its share and giving back the extra ones (after their chains finish) above it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot import metrics
from bot.intake.keys import GROUP, IntakeKeys
from bot.intake.lease import Leases
from bot.intake.queue import EventQueue, ensure_group
from bot.logs import event_id_var
from bot.redis_conn import STORE_ERRORS

log = logging.getLogger(__name__)

Handle = Callable[[dict[str, Any], str], Awaitable[None]]  # (raw event, dedupe key)
MaySend = Callable[[], Awaitable[bool]]


async def _always() -> bool:
    return True


Entry = tuple[int, str, dict[str, str]]  # (shard, entry id, fields)


class Worker:
    def __init__(self, redis: Redis, keys: IntakeKeys, handle: Handle, *, queue: EventQueue | None = None,
                 lease_ms: int = 10_000, max_in_flight: int = 256, batch: int = 64, block_ms: int = 1000,
                 reclaim_idle_ms: int = 30_000, max_attempts: int = 5, retry_seconds: float = 30.0,
                 hold_on: tuple[type[BaseException], ...] = (), may_send: MaySend = _always,
                 hold_poll_seconds: float = 1.0) -> None:  # fmt: skip
        self.redis = redis
        self.keys = keys
        self.handle = handle
        self.worker_id = f"{socket.gethostname()}-{secrets.token_hex(4)}"
        self.leases = Leases(redis, self.worker_id, lease_ms)
        self.lease_ms = lease_ms
        self.batch = batch
        self.block_ms = block_ms
        self.reclaim_idle_ms = reclaim_idle_ms
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        # Exceptions that mean "nothing may be sent now" (the OA's authorization is lost), not "this
        # event failed": the event waits in its chain until `may_send()`, and no attempt is counted.
        self.hold_on = hold_on
        self.may_send = may_send
        self.hold_poll_seconds = hold_poll_seconds
        self.held = 0
        self.readers: dict[int, asyncio.Task] = {}
        self.chains: dict[tuple[str, str], deque[Entry]] = {}
        self.chain_tasks: set[asyncio.Task] = set()
        # (shard, entry id) -> shard. An entry id is unique only within its shard's stream: two shards
        # accepting an event in the same millisecond both hand out "<ms>-0".
        self.in_flight: dict[tuple[int, str], int] = {}
        self.slots = asyncio.Semaphore(max_in_flight)
        self.wake = {shard: asyncio.Event() for shard in range(keys.shards)}
        self.stopped = asyncio.Event()
        if queue is not None:
            queue.listeners.append(lambda shard: self.wake[shard].set())

    # -- shares and leases ------------------------------------------------------------------

    async def run(self) -> None:
        """Until `stop()`: heartbeat, keep leases, balance shares. Survives Redis going away."""
        log.info("worker %s started", self.worker_id)
        me = asyncio.current_task()
        try:
            while not self.stopped.is_set():
                if me is not None and me.cancelling():
                    # A cancellation a timeout swallowed (Python 3.11's asyncio.timeout may turn it
                    # into the TimeoutError it raced with, which the loop below survives): still a
                    # cancellation, or a worker cancelled under load would go on taking shards.
                    raise asyncio.CancelledError
                try:
                    await self._tick()
                except STORE_ERRORS as exc:
                    log.warning("worker tick failed (%s); retrying", type(exc).__name__)
                except Exception:
                    # Whatever else a tick meets must not end the loop: a stopped loop renews no
                    # lease and reads no shard while the process still looks alive (it ended, with
                    # no log line, 4 s into a cluster primary's failover under load, while redis-py's
                    # cluster client raised AttributeError on connections other tasks had dropped).
                    log.exception("worker tick failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopped.wait(), self.lease_ms / 3000)
        finally:
            await self._shutdown()

    def stop(self) -> None:
        self.stopped.set()

    async def _tick(self) -> None:
        now = time.time()
        workers = self.keys.workers()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(workers, {self.worker_id: now})
            # Silent for a lease's length = gone: its leases have expired by then too.
            pipe.zremrangebyscore(workers, 0, now - self.lease_ms / 1000)
            pipe.zcard(workers)
            _, _, alive = await pipe.execute()
        share = math.ceil(self.keys.shards / max(1, int(alive)))
        for shard in list(self.readers):
            if not await self.leases.renew(self.keys.lease(shard)):
                log.warning("lease of shard %d lost; another worker reads it now", shard)
                self._stop_reader(shard)
        if len(self.readers) < share:
            # A random start: workers starting together do not all race for shard 0 first.
            start = random.randrange(self.keys.shards)  # noqa: S311 - spreading, not security
            for i in range(self.keys.shards):
                shard = (start + i) % self.keys.shards
                if len(self.readers) >= share:
                    break
                if shard not in self.readers and await self.leases.take(self.keys.lease(shard)):
                    self._start_reader(shard)
        while len(self.readers) > share:
            # In the background: waiting for the shard's chains must not delay renewing the others.
            shard = self._least_busy_shard()
            self._stop_reader(shard)
            task = asyncio.create_task(self._give_back(shard))
            self.chain_tasks.add(task)
            task.add_done_callback(self.chain_tasks.discard)
        metrics.SHARDS_OWNED.set(len(self.readers))

    def _least_busy_shard(self) -> int:
        busy = {shard: 0 for shard in self.readers}
        for shard in self.in_flight.values():
            if shard in busy:
                busy[shard] += 1
        return min(busy, key=lambda s: busy[s])

    def _start_reader(self, shard: int) -> None:
        self.readers[shard] = asyncio.create_task(self._read(shard), name=f"intake-shard-{shard}")

    def _stop_reader(self, shard: int) -> None:
        task = self.readers.pop(shard, None)
        if task:
            task.cancel()

    async def _give_back(self, shard: int) -> None:
        """Once the shard's events in progress are finished, free its lease (reading has stopped)."""
        deadline = time.monotonic() + self.lease_ms / 1000
        # Polling a dict the chains update: an Event per shard would cost more than it saves here.
        while shard in self.in_flight.values() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await self.leases.give_back(self.keys.lease(shard))

    async def _shutdown(self) -> None:
        for shard in list(self.readers):
            self._stop_reader(shard)
        if self.chain_tasks:
            await asyncio.wait(self.chain_tasks, timeout=10)
        with contextlib.suppress(*STORE_ERRORS):
            for shard in range(self.keys.shards):
                await self.leases.give_back(self.keys.lease(shard))
            await self.redis.zrem(self.keys.workers(), self.worker_id)
        metrics.SHARDS_OWNED.set(0)
        log.info("worker %s stopped", self.worker_id)

    # -- reading a shard --------------------------------------------------------------------

    async def _read(self, shard: int) -> None:
        stream = self.keys.stream(shard)
        backoff = 0.2
        me = asyncio.current_task()

        def still_mine() -> bool:
            # A cancellation that lands as a read times out can be swallowed (asyncio.timeout in
            # Python 3.11 may turn it into the TimeoutError it was racing with, which the loop below
            # retries): a reader that is no longer the shard's stops by itself, or it would go on
            # reading a shard whose lease another worker now holds.
            return self.readers.get(shard) is me and not (me is not None and me.cancelling())

        while still_mine():
            try:
                await ensure_group(self.redis, stream)
                # Whatever the shard's previous reader left unacknowledged comes first: it came first.
                await self._reclaim(shard, min_idle_ms=0)
                last_reclaim = time.monotonic()
                while still_mine():
                    if time.monotonic() - last_reclaim > self.reclaim_idle_ms / 2000:
                        # Our own events whose handling failed (left pending): try them again.
                        await self._reclaim(shard, min_idle_ms=self.reclaim_idle_ms)
                        last_reclaim = time.monotonic()
                    self.wake[shard].clear()
                    started = time.monotonic()
                    result = await self.redis.xreadgroup(
                        GROUP, self.worker_id, {stream: ">"}, count=self.batch, block=self.block_ms
                    )
                    entries = result[0][1] if result else []
                    if entries and not still_mine():
                        # Read after the shard went to another worker (a swallowed cancellation, see
                        # still_mine): handling them here could answer a citizen's later event before
                        # the new owner's earlier one. Left pending, the owner's idle reclaim takes
                        # them (not a reclaim of everything pending: ours being acknowledged would
                        # be taken twice).
                        break
                    for entry_id, fields in entries:
                        await self._submit(shard, entry_id, fields)
                    if not entries and time.monotonic() - started < self.block_ms / 2000:
                        # The embedded store does not block: wait for a wake-up from this process.
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self.wake[shard].wait(), self.block_ms / 1000)
                    backoff = 0.2
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    log.error("shard %d: Redis refused a command (%s)", shard, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)  # a refusing Redis (OOM, READONLY) is not hammered
                # NOGROUP: Redis came back without its data; the loop creates the group again.
            except STORE_ERRORS as exc:
                log.warning("shard %d: Redis unavailable (%s); retrying in %.1f s", shard, type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                # As for the tick: a reader that ended here would leave its shard unread under a
                # lease its worker keeps renewing.
                log.exception("shard %d: reading failed; retrying in %.1f s", shard, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _reclaim(self, shard: int, min_idle_ms: int) -> None:
        stream, start = self.keys.stream(shard), "0-0"
        while True:
            reply = await self.redis.xautoclaim(
                stream, GROUP, self.worker_id, min_idle_time=min_idle_ms, start_id=start, count=self.batch
            )
            start, entries = reply[0], reply[1]
            for entry_id, fields in entries:
                if (shard, entry_id) in self.in_flight or not fields:
                    continue
                # While nothing may be sent, a reclaimed event was held, not failed: not counted.
                if await self._may_send():
                    attempts = await self.redis.hincrby(self.keys.attempts(shard), entry_id, 1)
                    if attempts >= self.max_attempts:
                        await self._dead_letter(shard, entry_id, fields)
                        continue
                metrics.EVENTS_RECLAIMED.inc()
                await self._submit(shard, entry_id, fields)
            if start in ("0-0", "0"):
                return

    async def _dead_letter(self, shard: int, entry_id: str, fields: dict[str, str]) -> None:
        log.error("event %s failed %d times; moved to the dead-letter stream", fields.get("key"), self.max_attempts)
        metrics.EVENTS_DEAD.inc()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.keys.dead(shard), {**fields, "entry": entry_id}, maxlen=10_000, approximate=True)
            pipe.xack(self.keys.stream(shard), GROUP, entry_id)
            pipe.xdel(self.keys.stream(shard), entry_id)
            pipe.hdel(self.keys.attempts(shard), entry_id)
            await pipe.execute()

    # -- per-citizen chains -----------------------------------------------------------------

    async def _submit(self, shard: int, entry_id: str, fields: dict[str, str]) -> None:
        await self.slots.acquire()  # back-pressure: stop reading while too much is in progress
        self.in_flight[(shard, entry_id)] = shard
        user = (fields.get("oa", ""), fields.get("user", ""))
        chain = self.chains.get(user)
        if chain is not None:
            chain.append((shard, entry_id, fields))
            return
        self.chains[user] = deque([(shard, entry_id, fields)])
        task = asyncio.create_task(self._run_chain(user))
        self.chain_tasks.add(task)
        task.add_done_callback(self.chain_tasks.discard)

    async def _run_chain(self, user: tuple[str, str]) -> None:
        chain = self.chains[user]
        try:
            while chain:
                await self._process(*chain.popleft())
        finally:
            # No await between the last check and this: a new event cannot slip in unseen.
            del self.chains[user]

    async def _process(self, shard: int, entry_id: str, fields: dict[str, str]) -> None:
        token = event_id_var.set(fields.get("key", entry_id))
        try:
            if await self._handle_with_retries(shard, fields):
                await self._ack(shard, entry_id)
                metrics.EVENTS_PROCESSED.inc()
                # A stream entry's id begins with the ms Redis accepted it: webhook to replies sent.
                metrics.INTAKE_TO_DONE_SECONDS.observe(max(0.0, time.time() - int(entry_id.split("-")[0]) / 1000))
        finally:
            self.in_flight.pop((shard, entry_id), None)
            self.slots.release()
            event_id_var.reset(token)

    async def _handle_with_retries(self, shard: int, fields: dict[str, str]) -> bool:
        """Handle the event, trying again in place while the failure looks passing (Redis or Zalo
        away for a moment: handler bugs never get here, the conversation answers those itself).
        In place keeps the citizen's order: their later events wait in the chain. False leaves the
        event pending, to be reclaimed later and dead-lettered after max_attempts."""
        delay, deadline = 0.2, time.monotonic() + self.retry_seconds
        while True:
            try:
                await self.handle(json.loads(fields["event"]), fields["key"])
                return True
            except asyncio.CancelledError:
                raise
            except self.hold_on:
                if not await self._hold(shard):
                    return False  # shard moved or stopping: pending, for whoever reads it next
                delay, deadline = 0.2, time.monotonic() + self.retry_seconds
            except Exception as exc:
                metrics.EVENTS_FAILED.inc()
                if time.monotonic() + delay > deadline or shard not in self.readers:
                    log.exception("handling an event failed; it stays queued for another attempt")
                    return False
                log.warning("handling an event failed (%s); trying again in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _may_send(self) -> bool:
        try:
            return await self.may_send()
        except STORE_ERRORS:
            return True  # unknown: count as before (the store's own failures are retried anyway)

    async def _hold(self, shard: int) -> bool:
        """Wait, without counting anything against the event, until sending is allowed again (True),
        or the shard is no longer ours or the worker stops (False). The citizen's later events wait
        behind it in the chain, so they still go out in order."""
        self.held += 1
        metrics.EVENTS_HELD.inc()
        try:
            while shard in self.readers and not self.stopped.is_set():
                with contextlib.suppress(*STORE_ERRORS):  # Redis away: not known to be back
                    if await self.may_send():
                        return True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopped.wait(), self.hold_poll_seconds)
            return False
        finally:
            self.held -= 1
            metrics.EVENTS_HELD.dec()

    async def _ack(self, shard: int, entry_id: str) -> None:
        """Acknowledge and drop the entry. If Redis is away, the entry stays pending and is handled
        again later, which repeats nothing (the turn's outbox says it is done)."""
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xack(self.keys.stream(shard), GROUP, entry_id)
                pipe.xdel(self.keys.stream(shard), entry_id)
                pipe.hdel(self.keys.attempts(shard), entry_id)
                await pipe.execute()
        except STORE_ERRORS as exc:
            log.warning("could not acknowledge an event (%s); it will be seen again", type(exc).__name__)
