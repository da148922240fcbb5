"""Webhook capacity with wrk (Debian's `wrk`, C, a few % of a core) instead of an aiohttp client in
the harness's own process, which on 2 cores took as much CPU as the server it measured. The events
are signed beforehand (each once: distinct users and message ids) into a file that
bench/webhook_wrk.lua posts; one wrk process per web process, each with its share of the
connections, their counts summed (p99 is the largest of theirs: an upper bound)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.cluster import ROOT

LUA = ROOT / "bench" / "webhook_wrk.lua"
MAX_EVENTS_PER_SECOND = 30_000  # bodies signed per web process and second: more than one takes here

Sign = Callable[[str, int], tuple[bytes, dict[str, str]]]


def available() -> bool:
    return shutil.which("wrk") is not None


def write_bodies(path: Path, tag: str, count: int, sign: Sign) -> None:
    with path.open("w") as out:
        for n in range(count):
            raw, headers = sign(f"{tag}-{n % 1000}", n)
            out.write(headers["X-ZEvent-Signature"].removeprefix("mac=") + "\t" + raw.decode() + "\n")


def wrk_blast(urls: list[str], senders: int, seconds: float, tag: str, sign: Sign) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="tracuu-wrk-"))
    try:
        procs = []
        for i, url in enumerate(urls):
            bodies = folder / f"{i}.txt"
            write_bodies(bodies, f"{tag}-{i}", int(MAX_EVENTS_PER_SECOND * seconds), sign)
            base = url.removesuffix("/webhook/zalo")
            argv = [shutil.which("wrk") or "wrk", "-t1", f"-c{max(1, senders // len(urls))}",
                    f"-d{max(1, round(seconds))}s", "--timeout", "5s", "-s", str(LUA), base,
                    "--", str(bodies), "1"]  # fmt: skip
            procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=seconds + 60)
            lines = [line for line in out.splitlines() if line.startswith("{")]
            if not lines:
                raise RuntimeError(f"wrk measured nothing: {out[-400:]} {err[-400:]}")
            results.append(json.loads(lines[-1]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    total = sum(r["requests"] for r in results)
    if any(r["file_wrapped"] for r in results):
        raise RuntimeError("wrk ran out of signed events (duplicates would be measured): raise MAX_EVENTS_PER_SECOND")
    return {
        "events_per_s": total / max(r["seconds"] for r in results),
        "p50_ms": sum(r["p50_ms"] * r["requests"] for r in results) / total,
        "p95_ms": sum(r["p95_ms"] * r["requests"] for r in results) / total,
        "p99_ms": max(r["p99_ms"] for r in results),
        "non_200": sum(r["non_2xx"] + r["socket_errors"] for r in results),
    }
