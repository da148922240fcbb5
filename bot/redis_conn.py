"""One Redis client for the process: the real server when REDIS_URL is set, else the embedded
fakeredis store so that a new user runs everything with no server."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

log = logging.getLogger(__name__)


def connect(redis_url: str | None) -> Redis:
    if redis_url:
        # Timeouts: a read on a connection a restarted server never answers must fail, not hang the
        # worker (longer than the workers' 1 s XREADGROUP BLOCK).
        return Redis.from_url(redis_url, decode_responses=True, health_check_interval=30, socket_timeout=10,
                              socket_connect_timeout=2)  # fmt: skip
    import fakeredis

    log.warning(
        "REDIS_URL is not set: using the EMBEDDED STORE (fakeredis), not for production; "
        "data lives in this process only and several processes cannot share it"
    )
    return fakeredis.FakeAsyncRedis(decode_responses=True)
