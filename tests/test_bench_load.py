"""The load and fault harness in its short mode, as the suite runs it: 2 web and 2 worker
processes on their own Redis (AOF), citizens on mixed journeys through the emulator, while a worker
is SIGKILLed, Redis is SIGKILLed and restarted, and the OA API answers 5xx and then -32."""

import shutil

import pytest

from bench.load import cli


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs Debian's redis-server")
def test_under_load_and_faults_no_reply_is_lost_or_doubled():
    report = cli(["--quick"])
    load = report["load"]
    assert len(load["faults"]) == 5, load["faults"]  # every fault fired
    assert load["lost"] == 0 and load["duplicated"] == 0, report.get("unhappy_citizens")
    assert load["out_of_order_citizens"] == 0
    assert report["metrics"]["web0_received"], "the web process counted its deliveries"
    assert report["capacity"]["ours"]["non_200"] == 0
