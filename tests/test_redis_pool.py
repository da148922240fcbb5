"""The Redis pool is sized from the process's concurrency and blocks when it is exhausted (issue
15, item 9): a burst of concurrent commands waits for a connection instead of failing."""

import asyncio

import pytest
from redis.asyncio import BlockingConnectionPool

from bot.app import create_app
from bot.appkeys import REDIS
from bot.redis_conn import connect


# The embedded store has no connection pool.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_the_pool_blocks_instead_of_failing(backend):
    redis = connect(backend.redis_url, max_connections=3, pool_timeout=10)
    try:
        assert isinstance(redis.connection_pool, BlockingConnectionPool)
        key = f"{backend.prefix}:pool"
        # 200 commands at once over 3 connections, each held a little: all of them get through.
        results = await asyncio.gather(*(redis.eval("redis.call('INCR', KEYS[1]) return 1", 1, key)
                                         for _ in range(200)))  # fmt: skip
        assert results == [1] * 200 and int(await redis.get(key)) == 200
    finally:
        await redis.aclose()


# The embedded store has no connection pool.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_the_apps_pool_is_sized_from_the_workers_concurrency(backend, aiohttp_client, make_settings, clock,
                                                                   catalog):  # fmt: skip
    client = await aiohttp_client(create_app(make_settings(worker_max_in_flight=300), clock=clock, catalog=catalog))
    pool = client.app[REDIS].connection_pool
    assert isinstance(pool, BlockingConnectionPool) and pool.max_connections >= 300 + 16
    sized = await aiohttp_client(create_app(make_settings(redis_max_connections=40), clock=clock, catalog=catalog))
    assert sized.app[REDIS].connection_pool.max_connections == 40
