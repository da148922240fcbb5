"""bench/qr.py's short mode: the benchmark runs, reads no wrong code, and the ladder reads at
least what plain pyzbar reads. Speed figures are the benchmark's business, not asserted here."""

import io

from bench.qr import run


def test_quick_benchmark_runs_with_no_false_decodes():
    out = io.StringIO()
    results = run(per_bucket=1, seed=7, frame=(1200, 1600), out=out)
    ladder, plain = results["ladder"]["ALL"], results["pyzbar"]["ALL"]
    assert ladder.false == 0
    assert ladder.read >= plain.read
    assert "hard buckets: ladder/plain decode-rate ratio" in out.getvalue()
