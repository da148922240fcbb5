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
block on a full pool, so the size is the whole process's concurrency on each node."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import redis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
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


def connect(redis_url: str | None, max_connections: int = DEFAULT_MAX_CONNECTIONS,
            pool_timeout: float = 5.0) -> Redis | RedisCluster:  # fmt: skip
    # Timeouts: a read on a connection a restarted server never answers must fail, not hang the
    # worker (longer than the workers' 1 s XREADGROUP BLOCK).
    if is_cluster_url(redis_url):
        nodes, username, password = cluster_nodes(redis_url)
        return RedisCluster(
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
