"""bench/qr.py's short mode: the benchmark runs, our decoder returns no wrong text, the same answer
on both runs of every photo, refuses every broken file cleanly, and reads at least what zxing-cpp
alone reads. Rates and speed are the benchmark's business, not asserted here."""

import io

from bench.qr import run


def test_quick_benchmark_runs_with_no_wrong_text_and_the_same_answer_twice():
    out = io.StringIO()
    # Five conditions, one small photo each, and a photo without a QR: the suite's share; the
    # twenty conditions at 12 MP are the bench's.
    buckets = ("clean", "multi", "formats", "blur", "moire")
    results = run(per_bucket=1, seed=7, frame=(1200, 1600), out=out, buckets=buckets)
    ours, alone = results["ours"]["ALL"], results["zxing"]["ALL"]
    assert ours.wrong == 0
    assert ours.flips == 0
    assert ours.read >= alone.read
    assert results["ours"]["broken"].read == results["ours"]["broken"].photos
    assert "photos with a QR read" in out.getvalue()
