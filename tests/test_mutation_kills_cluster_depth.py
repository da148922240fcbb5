"""What /metrics says of the intake queue, on a Redis Cluster (tests/cluster_fixture.py): the shards'
streams sit in different slots, so the depth must be read without MULTI (a transaction over several
slots is refused with CROSSSLOT, and the metrics page would answer 500 exactly where the service runs
at scale). The test is the one of tests/test_queue_depth.py, collected here with the cluster's
`backend` fixture; the embedded store and one Redis cannot tell a MULTI from a plain pipeline."""

from tests.cluster_fixture import backend, redis_cluster  # noqa: F401 - the cluster's fixtures
from tests.test_queue_depth import *  # noqa: F403 - the depth test, on the cluster
