"""The app's Redis Cluster client (bot.redis_conn.StoreCluster) through a primary's failover: what
a worker's turns meet is the store being away for a few seconds (a RedisError, retried), never an
error from inside redis-py's client, and every task works again once the replica serves. With
redis-py 8.1's own client the same run raised RuntimeError ("... bound to a different event loop":
a cluster transaction's slot-map reload run in a thread on another loop) and AttributeError
("'NoneType' object has no attribute 'writelines'": connections closed under the tasks writing on
them), and kept raising them for tens of seconds after the promotion."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from bench.redis_cluster import LocalRedisCluster
from bot.redis_conn import STORE_ERRORS, StoreCluster, connect
from tests.cluster_fixture import redis_cluster, started_cluster  # noqa: F401 - the session's cluster


@pytest.fixture
def own_cluster() -> Iterator[LocalRedisCluster]:
    """A cluster of its own: the test kills one of its primaries (the session's stays whole)."""
    yield from started_cluster()


async def _transaction(client, key: str, value: int) -> None:
    async with client.pipeline(transaction=True) as pipe:
        await pipe.watch(key)
        await pipe.get(key)
        pipe.multi()
        pipe.set(key, value)
        await pipe.execute()


async def test_a_cluster_transaction_runs_on_the_callers_loop_even_when_the_slot_map_is_due(redis_cluster):  # noqa: F811
    client = connect(redis_cluster.url)
    assert isinstance(client, StoreCluster)
    started: list[str] = []
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        started.append(thread.name)
        real_start(thread)

    try:
        await client.initialize()
        threading.Thread.start = start  # type: ignore[method-assign]
        client._initialize = True  # what a failover's CLUSTERDOWN or lost connection leaves behind
        # Many at once, so that the client's reload lock is contended (redis-py ran that reload on
        # another event loop and failed there: "... is bound to a different event loop").
        await asyncio.gather(*(_transaction(client, f"{{failover-t{i}}}:k", i) for i in range(20)))
        assert [await client.get(f"{{failover-t{i}}}:k") for i in range(20)] == [str(i) for i in range(20)]
    finally:
        threading.Thread.start = real_start  # type: ignore[method-assign]
        await client.delete(*(f"{{failover-t{i}}}:k" for i in range(20)))
        await client.aclose()
    assert started == [], "a transaction's commands started threads (and event loops of their own)"


async def test_reinitializing_the_client_does_not_close_a_connection_another_task_is_using(redis_cluster):  # noqa: F811
    client = connect(redis_cluster.url)
    try:
        await client.set("{failover-c}:k", "v")
        node = client.get_node_from_key("{failover-c}:k")
        busy = node.acquire_connection()  # in use by "another task"
        other = node.acquire_connection()
        for conn in (busy, other):
            conn.reset_should_reconnect()  # (a fresh client's first slot-map load marked them)
            if not conn.is_connected:
                await conn.connect()
        node.release(other)
        assert other.is_connected and other in node._free
        # redis-py's own reaction to CLUSTERDOWN, a slot not served or a retried pipeline error:
        await client.aclose()
        assert busy.is_connected, "the connection in use was closed under its task"
        await busy.send_packed_command(busy.pack_command("GET", "{failover-c}:k"))
        assert await busy.read_response() == "v"
        assert not other.is_connected, "a free connection is closed (it reconnects on its next use)"
        node.release(busy)
        assert await client.get("{failover-c}:k") == "v"
    finally:
        await client.delete("{failover-c}:k")
        await client.aclose()


@pytest.mark.timeout(60)
async def test_concurrent_tasks_through_a_primarys_failover_meet_only_store_errors(own_cluster):
    cluster = own_cluster
    client = connect(cluster.url)
    await client.initialize()
    foreign: list[BaseException] = []  # anything but the store being away
    last_ok: dict[int, float] = {}
    stop, recovered = asyncio.Event(), asyncio.Event()
    served_at = float("inf")

    async def task(i: int) -> None:
        key, n = f"{{failover-{i}}}:k", 0
        while not stop.is_set():
            n += 1
            try:
                if n % 3 == 0:
                    await _transaction(client, key, n)
                elif n % 3 == 1:
                    async with client.pipeline(transaction=False) as pipe:
                        pipe.get(key)
                        pipe.incr(f"{{failover-{i}}}:n")
                        await pipe.execute()
                else:
                    await client.eval("return redis.call('INCR', KEYS[1])", 1, f"{{failover-{i}}}:n")
                last_ok[i] = time.monotonic()
                if len(last_ok) == 40 and min(last_ok.values()) > served_at + 0.5:
                    recovered.set()
            except STORE_ERRORS:
                await asyncio.sleep(0.05)
            except Exception as exc:  # what the test looks for
                foreign.append(exc)
                await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(task(i)) for i in range(40)]
    try:
        await asyncio.sleep(1.0)
        victim = cluster.primary_ports()[0]
        replicas = cluster.replica_of(victim)
        cluster.kill(victim)
        await asyncio.to_thread(cluster.wait_promoted, replicas, 30.0)
        served_at = time.monotonic()
        # Every task works again soon after the replica serves (redis-py's client kept failing
        # for tens of seconds); generous for a busy machine.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(recovered.wait(), 20.0)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await client.aclose()
    assert foreign == [], f"{len(foreign)} errors from inside the client, e.g. {foreign[:3]!r}"
    assert len(last_ok) == 40 and min(last_ok.values()) > served_at + 0.5, "some task did not work again"
