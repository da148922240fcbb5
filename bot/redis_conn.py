"""One Redis client for the process: a Redis Cluster when REDIS_URL names one
(`redis+cluster://host:port,host:port,...`, any reachable nodes: the client learns the rest), the
real server when REDIS_URL is a `redis://` URL, else the embedded fakeredis store so that a new user
runs everything with no server.

The real server's connection pool is sized for the process's concurrency (a worker runs up to
WORKER_MAX_IN_FLIGHT turns at once, each holding at most one connection at a time, plus a blocking
read per shard and the web's requests) and it blocks: past its size a command waits up to
REDIS_POOL_TIMEOUT_SECONDS for a free connection instead of failing at once (redis-py's default,
100 connections and MaxConnectionsError, gave hundreds of 503s under a burst of citizens).

The cluster client is redis-py's own `RedisCluster` (the project's client already, maintained with
the server, and it runs single-slot WATCH/MULTI transactions, EVALSHA and MOVED/ASK redirections and
refreshes its slot map after a failover). It keeps a pool per node of the same size; it cannot
block on a full pool, so the size is the whole process's concurrency on each node. Three faults of
its asyncio cluster client (8.1, unchanged on upstream master) are worked around below
(`StoreCluster`): they made a worker's turns fail for minutes after a primary's failover."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import AbstractStrategy, ClusterNode, ClusterPipeline, NodesManager, RedisCluster
from redis.asyncio.cluster import TransactionStrategy as _RedisPyTransactionStrategy
from redis.exceptions import RedisClusterException, RedisError

log = logging.getLogger(__name__)
DEFAULT_MAX_CONNECTIONS = 128
CLUSTER_SCHEME = "redis+cluster"
# What a command may raise while the store is away or a cluster is switching primaries: callers
# answer 503 (the webhook) or retry (workers). RedisClusterException is not a RedisError: redis-py
# raises it when no node answers for the slot map.
STORE_ERRORS: tuple[type[BaseException], ...] = (RedisError, RedisClusterException, OSError)


def is_store_failure(exc: BaseException) -> bool:
    """A store error, or any exception raised inside redis-py's own code: mid-failover its async
    cluster client (8.1) raises AttributeError ("'NoneType' object has no attribute 'writelines'":
    a connection the dead primary closed) or RuntimeError where ConnectionError is meant. Either
    way the store is away, not the handler broken: the turn is tried again, never answered "sorry"
    (that lost 3 replies and sent 3 wrong ones in the cluster's failover run)."""
    if isinstance(exc, STORE_ERRORS):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and _REDIS_PACKAGE in Path(tb.tb_frame.f_code.co_filename).parents


_REDIS_PACKAGE = Path(redis.__file__).parent


def is_cluster_url(redis_url: str | None) -> bool:
    return bool(redis_url) and redis_url.split("://", 1)[0] == CLUSTER_SCHEME


def cluster_nodes(redis_url: str) -> tuple[list[tuple[str, int]], str | None, str | None]:
    """(startup nodes, username, password) of `redis+cluster://[user:password@]host:port,host:port`."""
    parts = urlsplit(redis_url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    nodes = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"a cluster node must be host:port, not {item!r}")
        nodes.append((host.strip("[]"), int(port)))
    return nodes, unquote(username) or None, unquote(password) or None


class _ClusterNode(ClusterNode):
    """A node whose connections are never closed under a task that holds one.

    redis-py "reinitializes" its cluster client by `aclose()`: on CLUSTERDOWN or a slot not served
    (every command during a failover), on every 5th MOVED, on each retried error of a cluster
    pipeline. Its `ClusterNode.disconnect()` then closes every connection of every node, those other
    tasks are writing or reading on included: they fail with AttributeError ("'NoneType' object has
    no attribute 'writelines'") or RuntimeError, which nobody retries, and each such failure brought
    the next refresh. Its `disconnect_free_connections()` leaves the connections in the free queue
    while it awaits their closing, so another task may take one and write on it meanwhile.

    Here a connection in use is only marked for reconnect (redis-py closes it when it is released,
    before anyone else can take it), and a free one is taken out of the free queue before it is
    closed, then put back (it reconnects on its next use). A client closed at shutdown has none in
    use, so every connection is closed then, as before."""

    __slots__ = ()

    async def disconnect(self) -> None:
        self.update_active_connections_for_reconnect()
        await self.disconnect_free_connections()

    async def disconnect_free_connections(self) -> None:
        free = list(self._free)
        self._free.clear()
        try:
            await asyncio.gather(*(conn.disconnect() for conn in free), return_exceptions=True)
        finally:
            self._free.extend(free)


class _NodesManager(NodesManager):
    """Every node the client learns (slot map reloads, MOVED to a new node) is a `_ClusterNode`."""

    __slots__ = ()

    def set_nodes(self, old: dict[str, ClusterNode], new: dict[str, ClusterNode], remove_old: bool = False) -> None:
        for node in new.values():
            node.__class__ = _ClusterNode
        super().set_nodes(old, new, remove_old)


class _TransactionStrategy(_RedisPyTransactionStrategy):
    """A cluster transaction (WATCH ... MULTI ... EXEC) whose commands run on the caller's event loop.

    redis-py's async `TransactionStrategy.execute_command` runs each command's preparation
    (`initialize()` of the slot map when it is due, the key's slot) in a new thread under
    `asyncio.run`, i.e. on another event loop: once a failover set the client to reload its slot map,
    that reload ran there, failing on the client's lock ("bound to a different event loop", a
    RuntimeError) or opening node connections on a loop that is closed right after, which the
    process's own tasks then took from the pool and failed on. It also starts a thread and an event
    loop for every command queued. Here a WATCHed command is a coroutine on the caller's loop (as
    redis-py's is, once prepared), and a queued command's slot is read from its keys at once
    (redis-py's own `_determine_slot`, which answers without I/O for any command whose keys have
    fixed positions); one it could only learn from the server is resolved when the transaction
    executes."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        if (self._watching or args[0] in self.IMMEDIATE_EXECUTE_COMMANDS) and not self._explicit_transaction:
            return self._now(*args, **kwargs)
        slot = _without_io(self._pipe.cluster_client._determine_slot(*args))
        if slot is _NEEDS_IO:
            self._slots_later = [*getattr(self, "_slots_later", ()), args]
        elif slot is not None:
            self._pipeline_slots.add(slot)
        return AbstractStrategy.execute_command(self, *args, **kwargs)

    async def _now(self, *args: Any, **kwargs: Any) -> Any:
        prepared = await self._execute_command(*args, **kwargs)  # redis-py's: returns the coroutine
        return await prepared

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        client = self._pipe.cluster_client
        if client._initialize:
            await client.initialize()
        for args in getattr(self, "_slots_later", ()):
            self._pipeline_slots.add(await client._determine_slot(*args))
        self._slots_later = []
        return await super().execute(raise_on_error, allow_redirections)

    async def reset(self) -> None:
        self._slots_later = []
        await super().reset()


_NEEDS_IO = object()


def _without_io(coro: Any) -> Any:
    """The coroutine's result if it finishes without awaiting anything, else _NEEDS_IO (closed)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    return _NEEDS_IO


class StoreCluster(RedisCluster):
    """redis-py's RedisCluster with the workarounds above (`_ClusterNode`, `_TransactionStrategy`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes_manager.__class__ = _NodesManager
        for node in self.nodes_manager.startup_nodes.values():
            node.__class__ = _ClusterNode

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> ClusterPipeline:
        pipe = super().pipeline(transaction, shard_hint)
        if transaction:
            pipe._execution_strategy.__class__ = _TransactionStrategy
        return pipe


def connect(redis_url: str | None, max_connections: int = DEFAULT_MAX_CONNECTIONS,
            pool_timeout: float = 5.0) -> Redis | RedisCluster:  # fmt: skip
    # Timeouts: a read on a connection a restarted server never answers must fail, not hang the
    # worker (longer than the workers' 1 s XREADGROUP BLOCK).
    if is_cluster_url(redis_url):
        nodes, username, password = cluster_nodes(redis_url)
        return StoreCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in nodes], username=username, password=password,
            decode_responses=True, max_connections=max_connections, socket_timeout=10, socket_connect_timeout=2,
            health_check_interval=30,
        )  # fmt: skip
    if redis_url:
        pool = BlockingConnectionPool.from_url(
            redis_url, max_connections=max_connections, timeout=pool_timeout, decode_responses=True,
            health_check_interval=30, socket_timeout=10, socket_connect_timeout=2,
        )  # fmt: skip
        return Redis.from_pool(pool)
    import fakeredis

    log.warning(
        "REDIS_URL is not set: using the EMBEDDED STORE (fakeredis), not for production; "
        "data lives in this process only and several processes cannot share it"
    )
    return fakeredis.FakeAsyncRedis(decode_responses=True)
