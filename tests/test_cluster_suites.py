"""The store, intake, outbox and lock suites once more, on a 6-node Redis Cluster (3 primaries, 3
replicas; tests/cluster_fixture.py): every test below is the one of tests/test_intake.py,
tests/test_intake_batch.py or tests/test_store.py, collected here with the `backend` fixture of the
cluster, so the same behaviour is asserted on the embedded store, one Redis and a cluster. The
whole service (webhook, workers, emulator) runs on the cluster client in the `live` tests."""

from tests.cluster_fixture import backend, redis_cluster  # noqa: F401 - the cluster's fixtures
from tests.test_intake import *  # noqa: F403 - the intake, outbox and lock tests
from tests.test_intake_batch import *  # noqa: F403 - concurrent accepts in one pipeline
from tests.test_store import *  # noqa: F403 - the dossier store tests

# Starts and kills its own single redis-server, whatever the backend: nothing to repeat here.
del test_redis_going_away_gives_503_and_the_service_recovers_by_itself  # noqa: F821
