"""The cluster backend: a local Redis Cluster of 3 primaries and 3 replicas from Debian's
`redis-server` (bench.redis_cluster), started once per session on free loopback ports with its data
in a temporary folder and torn down at the end, however the session ends. A test module that imports
`backend` from here runs its store tests on that cluster instead of the embedded store and the
single Redis (tests/test_cluster_suites.py). Where `redis-server` is missing the tests are skipped,
with a warning in the summary."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from bench.redis_cluster import LocalRedisCluster, available
from bot.redis_conn import cluster_nodes, connect
from tests.conftest import Backend


@dataclass
class ClusterBackend(Backend):
    def client(self):  # the app's own cluster client, as `python -m bot` builds it
        return connect(self.redis_url)


def started_cluster() -> Iterator[LocalRedisCluster]:
    """A fresh local 3 + 3 cluster, stopped however the test or session ends; skipped without
    `redis-server`. For a fixture to yield from."""
    if not available():
        pytest.skip("REDIS CLUSTER TESTS SKIPPED: Debian's redis-server is not installed")
    cluster = LocalRedisCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalRedisCluster]:
    if not available():
        warnings.warn("redis-server / redis-cli not installed: Redis Cluster tests SKIPPED", pytest.PytestWarning,
                      stacklevel=1)  # fmt: skip
    yield from started_cluster()


def sync_client(url: str) -> redis.RedisCluster:
    nodes, _, _ = cluster_nodes(url)
    return redis.RedisCluster(startup_nodes=[redis.cluster.ClusterNode(h, p) for h, p in nodes])


@pytest.fixture(params=["cluster"])
def backend(request: pytest.FixtureRequest, redis_cluster: LocalRedisCluster) -> Iterator[Backend]:
    """As conftest's `backend`, on the cluster: own key prefix, and what the test wrote is deleted
    from every primary afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield ClusterBackend("cluster", redis_cluster.url, prefix)
    client = sync_client(redis_cluster.url)
    try:
        for key in list(client.scan_iter(match=f"{prefix}:*", count=1000)):
            client.delete(key)
    finally:
        client.close()
