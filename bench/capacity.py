"""Webhook capacity with wrk (Debian's `wrk`, C, a few % of a core) instead of an aiohttp client in
the harness's own process, which on 2 cores took as much CPU as the server it measured. The events
are signed beforehand (each once: distinct users and message ids) into a file that
bench/webhook_wrk.lua posts; one wrk process per web process, each with its share of the
connections, their counts summed (p99 is the largest of theirs: an upper bound)."""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def wrk_blast(urls: list[str], senders: int, seconds: float, tag: str, sign: Sign,
              started: Callable[[], None] | None = None) -> dict[str, float]:  # fmt: skip
    """`started()` is called once every wrk is running (the bodies are signed first: seconds)."""
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
        if started is not None:
            started()
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


# -- alone: `python -m bench.capacity`, the capacity phase of bench.load without the citizens ------


def _profiled_web(cluster: Any, port: int, out: Path) -> subprocess.Popen:
    """One more web process of the same deployment, under cProfile (written when it stops)."""
    code = ("import cProfile, sys; from bot.__main__ import main; "
            f"sys.argv = ['bot', 'serve', '--no-worker', '--port', '{port}']; "
            f"cProfile.run('main()', {str(out)!r})")  # fmt: skip
    return cluster._spawn("web-profiled", [sys.executable, "-c", code])


def _py_spy(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    """py-spy (the bench extra) sampling a running web process: only while it holds the GIL, so the
    samples are where its Python time goes, without cProfile's per-call cost."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    argv = [py_spy, "record", "--gil", "-r", "500", "-d", str(seconds), "-f", "raw", "-o", str(out), "-p", str(pid)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarize_samples(path: Path, top: int) -> dict[str, Any]:
    """py-spy's raw samples as shares of own time: by module, then by function."""
    by_module: dict[str, int] = {}
    by_function: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frame = stack.split(";")[-1]  # "function (path/to/file.py:line)"
        function, _, where = frame.partition(" (")
        file = where.rsplit(":", 1)[0]
        module = file if file.startswith("bot/") else file.split("/")[0]
        n = int(count)
        total += n
        by_module[module] = by_module.get(module, 0) + n
        by_function[f"{function} ({file})"] = by_function.get(f"{function} ({file})", 0) + n

    def shares(counts: dict[str, int]) -> dict[str, float]:
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
        return {name: round(100 * n / max(1, total), 1) for name, n in ranked}

    return {"samples": total, "own_time_percent_by_module": shares(by_module),
            "own_time_percent_by_function": shares(by_function)}  # fmt: skip


def _print_profile(path: Path, top: int) -> None:
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(top)


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (Linux /proc; 0 where it cannot be read)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _round(urls: list[str], senders: int, seconds: int, tag: str, pids: dict[str, list[int]]) -> dict[str, Any]:
    from bench.load import signed_event

    before = {k: _cpu_seconds(v) for k, v in pids.items()}
    result: dict[str, Any] = wrk_blast(urls, senders, seconds, tag, signed_event)
    events = result["events_per_s"] * seconds
    for k, v in pids.items():
        result[f"cpu_us_per_event_{k}"] = round((_cpu_seconds(v) - before[k]) / max(1, events) * 1e6, 1)
    return result


def cli(argv: list[str] | None = None) -> dict[str, Any]:
    """The capacity phase alone (bare handler vs ours, same processes, same senders, rounds
    interleaved bare, ours, bare, ours; medians), for fast iteration on the intake path, with the
    CPU each side's processes (and Redis) spent per event. `--profile FILE` then also blasts one
    extra web process running under cProfile and prints its hottest functions by own time;
    `--py-spy FILE` samples web0 itself with py-spy while ours is blasted once more."""
    from bench.cluster import Cluster, free_port, wait_http
    from bench.load import BARE_APP, cluster_env, redis_fsync_latency, signed_event
    from bot.loop import install_fast_loop, loop_name

    parser = argparse.ArgumentParser(description=cli.__doc__)
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--capacity-seconds", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each (bare, ours), interleaved")
    parser.add_argument("--cluster", action="store_true", help="on a 3+3 node Redis Cluster")
    parser.add_argument("--profile", type=Path, help="also profile one web process; its pstats file")
    parser.add_argument("--profile-seconds", type=int, default=5)
    parser.add_argument("--py-spy", type=Path, help="also sample web0 with py-spy under load; its raw samples")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--appendfsync",
        choices=["always", "everysec", "no"],
        help="diagnosis only: set the single Redis's appendfsync (bench.load keeps always)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    install_fast_loop()
    cluster = Cluster(webs=args.webs, workers=0, redis_cluster=args.cluster)
    bare_ports = [free_port() for _ in range(args.webs)]
    bares = [subprocess.Popen([sys.executable, "-c", BARE_APP, str(port)], cwd=ROOT, env=cluster_env())
             for port in bare_ports]  # fmt: skip
    report: dict[str, Any] = {"webs": args.webs, "redis": "cluster" if args.cluster else "single",
                              "senders": args.senders, "event_loop": loop_name()}  # fmt: skip
    try:
        cluster.start()
        for port in bare_ports:
            wait_http(f"http://127.0.0.1:{port}/healthz")
        if args.appendfsync and cluster.nodes is None:
            cli_argv = [shutil.which("redis-cli") or "redis-cli", "-p", str(cluster.redis_port)]
            subprocess.run(
                [*cli_argv, "CONFIG", "SET", "appendfsync", args.appendfsync], check=True, capture_output=True
            )
            report["appendfsync"] = args.appendfsync
        redis_pids = ([p.pid for p in cluster.nodes.procs.values()] if cluster.nodes is not None
                      else [cluster.procs["redis"].pid])  # fmt: skip
        sides = {
            "bare": ([f"http://127.0.0.1:{p}/webhook/zalo" for p in bare_ports], {"web": [p.pid for p in bares]}),
            "ours": ([f"http://127.0.0.1:{p}/webhook/zalo" for p in cluster.web_ports],
                     {"web": [cluster.procs[f"web{i}"].pid for i in range(args.webs)], "redis": redis_pids}),
        }  # fmt: skip
        rounds: dict[str, list[dict[str, Any]]] = {"bare": [], "ours": []}
        fsyncs = redis_fsync_latency(cluster)
        for r in range(args.rounds):
            for name, (urls, pids) in sides.items():
                rounds[name].append(_round(urls, args.senders, args.capacity_seconds, f"{name}{r}", pids))
                print(json.dumps({"round": r, name: rounds[name][-1]}), flush=True)
        for name, results in rounds.items():
            report[name] = {m: statistics.median(x[m] for x in results) for m in results[0]}
        report["ratio"] = report["ours"]["events_per_s"] / report["bare"]["events_per_s"]
        if fsyncs is not None:
            report["redis_fsync_ms_worst_per_second"] = fsyncs()
        print(json.dumps({k: report[k] for k in ("bare", "ours", "ratio", "redis_fsync_ms_worst_per_second")
                          if k in report}), flush=True)  # fmt: skip
        if args.py_spy:
            pid = cluster.procs["web0"].pid
            spies: list[subprocess.Popen] = []
            # Sampling starts once wrk runs: signing the blast's bodies first takes seconds, and a
            # py-spy started before it sampled an idle process (1 sample in session 11's first try).
            wrk_blast(sides["ours"][0], args.senders, args.profile_seconds + 1, "spied", signed_event,
                      started=lambda: spies.append(_py_spy(pid, args.profile_seconds, args.py_spy)))  # fmt: skip
            spies[0].wait(timeout=60)
            report["py_spy"] = summarize_samples(args.py_spy, args.top)
            print(json.dumps({"py_spy": report["py_spy"]}, indent=1), flush=True)
        if args.profile:
            port = free_port()
            proc = _profiled_web(cluster, port, args.profile)
            wait_http(f"http://127.0.0.1:{port}/readyz")
            url = f"http://127.0.0.1:{port}/webhook/zalo"
            report["profiled"] = wrk_blast([url], args.senders, args.profile_seconds, "profiled", signed_event)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            print(json.dumps({"profiled": report["profiled"]}))
            _print_profile(args.profile, args.top)
    finally:
        for proc in bares:
            proc.terminate()
            proc.wait()
        cluster.stop()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    cli()
