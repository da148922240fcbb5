"""One Redis client for the process: the real server when REDIS_URL is set, else the embedded
fakeredis store so that a new user runs everything with no server.

The real server's connection pool is sized for the process's concurrency (a worker runs up to
WORKER_MAX_IN_FLIGHT turns at once, each holding at most one connection at a time, plus a blocking
read per shard and the web's requests) and it blocks: past its size a command waits up to
REDIS_POOL_TIMEOUT_SECONDS for a free connection instead of failing at once (redis-py's default,
100 connections and MaxConnectionsError, gave hundreds of 503s under a burst of citizens)."""

from __future__ import annotations

import logging

from redis.asyncio import BlockingConnectionPool, Redis

log = logging.getLogger(__name__)
DEFAULT_MAX_CONNECTIONS = 128


def connect(redis_url: str | None, max_connections: int = DEFAULT_MAX_CONNECTIONS,
            pool_timeout: float = 5.0) -> Redis:  # fmt: skip
    if redis_url:
        # Timeouts: a read on a connection a restarted server never answers must fail, not hang the
        # worker (longer than the workers' 1 s XREADGROUP BLOCK).
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
