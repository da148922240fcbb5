"""Load and fault run through the emulator's signed webhook deliveries, on a whole deployment on
loopback (bench.cluster: own Redis with AOF, emulator, N web + M worker processes).

Phases, all in one run:
1. Webhook capacity: C concurrent senders post signed events straight at (a) a bare aiohttp
   handler that only answers 200 and (b) our web processes; events/s and ack latency, and their
   ratio, which says how close to the bare limit intake is.
2. Reference: one citizen per journey, no faults: the replies each journey must bring.
3. Load: U citizens on mixed journeys (follow, menu, code lookup, search, QR photo), some
   deliveries duplicated by the emulator, while the faults fire: one worker SIGKILLed, Redis
   SIGKILLed and restarted, the OA API answering 5xx and then -32 for a while.
4. Check: each citizen's replies against the reference: lost and duplicated replies (must be 0),
   end-to-end latency (message sent -> its last reply), webhook ack latency as Zalo saw it.

    PYTHONPATH=. .venv/bin/python -m bench.load                 # 2 web, 2 workers, 300 citizens
    PYTHONPATH=. .venv/bin/python -m bench.load --quick         # what the test runs
    PYTHONPATH=. .venv/bin/python -m bench.load --cluster       # on a 6-node Redis Cluster: a primary
                                                                # is SIGKILLed instead of the Redis
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.capacity import available as wrk_available
from bench.capacity import wrk_blast
from bench.cluster import ROOT, Cluster, free_port, wait_http
from bot.loop import install_fast_loop, loop_name

CODE = "000.25.23.H34-261102-0001"
QR_PHOTO = ROOT / "fixtures" / "conversations" / "receipt-qr.png"
JOURNEYS: dict[str, list[tuple[str, str | None]]] = {
    "lookup": [("follow", None), ("text", "#tracuuhoso"), ("text", CODE)],
    "search": [("text", "cap lai cccd"), ("text", "gplx"), ("text", "lam so do")],
    "menu": [("follow", None), ("text", "#huongdan"), ("text", "#hotro")],
    "photo": [("text", "#tracuuhoso"), ("image", None)],
}
WEIGHTS = {"lookup": 3, "search": 3, "menu": 2, "photo": 1}
APP_ID, OA_ID, OA_SECRET = "1234567890123456789", "3886132808798806450", "TEST_OA_SECRET_KEY"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def canonical(message: dict[str, Any]) -> str:
    """A reply as compared across citizens: the uploaded image's id differs per upload."""
    text = json.dumps(message, ensure_ascii=False, sort_keys=True)
    payload = (message.get("attachment") or {}).get("payload") or {}
    for element in payload.get("elements") or []:
        if "attachment_id" in element:
            text = text.replace(element["attachment_id"], "<attachment>")
    return text


# -- phase 1: webhook capacity -------------------------------------------------------------------

BARE_APP = """
import sys
from aiohttp import web
from bot.loop import install_fast_loop
install_fast_loop()  # the same event loop as ours: the ratio compares the handlers, not the loops
async def ok(request):
    await request.read()
    return web.json_response({"status": "accepted"})
app = web.Application()
app.router.add_post("/webhook/zalo", ok)
app.router.add_get("/healthz", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def signed_event(user: str, n: int) -> tuple[bytes, dict[str, str]]:
    event = {"app_id": APP_ID, "sender": {"id": user}, "recipient": {"id": OA_ID}, "event_name": "user_send_text",
             "message": {"text": "#hotro", "msg_id": f"cap-{user}-{n}"},
             "timestamp": str(int(time.time() * 1000))}  # fmt: skip
    raw = json.dumps(event, separators=(",", ":")).encode()
    mac = hashlib.sha256(APP_ID.encode() + raw + event["timestamp"].encode() + OA_SECRET.encode()).hexdigest()
    return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}


async def blast(urls: list[str], senders: int, per_sender: int, tag: str) -> dict[str, float]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def sender(s: int) -> None:
            for n in range(per_sender):
                raw, headers = signed_event(f"{tag}-{s}", n)
                started = time.perf_counter()
                async with http.post(urls[(s + n) % len(urls)], data=raw, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(sender(s) for s in range(senders)))
        elapsed = time.perf_counter() - started
    return {"events_per_s": len(latencies) / elapsed, "p50_ms": pct(latencies, 0.5) * 1000,
            "p95_ms": pct(latencies, 0.95) * 1000, "p99_ms": pct(latencies, 0.99) * 1000,
            "non_200": sum(v for k, v in statuses.items() if k != 200)}  # fmt: skip


# -- phases 2-4: citizens -------------------------------------------------------------------------


@dataclass
class Citizen:
    user_id: str
    journey: str
    latencies: list[float] = field(default_factory=list)
    timed_out: int = 0


@dataclass
class Progress:
    steps_done: int = 0
    steps_total: int = 0
    faults: list[str] = field(default_factory=list)
    failover: dict[str, Any] = field(default_factory=dict)


async def act(http: aiohttp.ClientSession, emulator: str, user: str, action: str, arg: str | None,
              duplicate: bool) -> None:  # fmt: skip
    params = {"wait": "0"} | ({"duplicate": "1"} if duplicate else {})
    url = f"{emulator}/emulator/users/{user}/{action}"
    if action == "image":
        data = QR_PHOTO.read_bytes()
        async with http.post(url, data=data, params=params, headers={"Content-Type": "image/png"}) as r:
            r.raise_for_status()
    else:
        async with http.post(url, json={"text": arg} if arg else None, params=params) as r:
            r.raise_for_status()


async def replies(http: aiohttp.ClientSession, emulator: str, user: str, count: int, timeout: float) -> list[dict]:
    url = f"{emulator}/emulator/users/{user}/replies"
    async with http.get(url, params={"count": str(count), "timeout": str(timeout)},
                        timeout=aiohttp.ClientTimeout(total=timeout + 10)) as r:  # fmt: skip
        return [e["message"] for e in (await r.json())["replies"]]


async def reference(http: aiohttp.ClientSession, emulator: str, tag: str) -> dict[str, list[list[str]]]:
    """Per journey, per step: the replies (canonical) a citizen gets, measured on one quiet citizen
    per journey, the journeys side by side (each step's 1.5 s of silence, one after another, was
    most of a quick run). A step is complete when no further reply came for 1.5 s."""

    async def journey(name: str, steps: list[tuple[str, str | None]]) -> list[list[str]]:
        user, seen, per_step = f"ref-{tag}-{name}", 0, []
        for action, arg in steps:
            await act(http, emulator, user, action, arg, duplicate=False)
            got = await replies(http, emulator, user, seen + 1, 30)
            while True:
                more = await replies(http, emulator, user, len(got) + 1, 1.5)
                if len(more) == len(got):
                    break
                got = more
            per_step.append([canonical(m) for m in got[seen:]])
            seen = len(got)
        return per_step

    done = await asyncio.gather(*(journey(name, steps) for name, steps in JOURNEYS.items()))
    return dict(zip(JOURNEYS, done, strict=True))


async def run_citizen(http: aiohttp.ClientSession, emulator: str, citizen: Citizen, expected: list[list[str]],
                      rng: random.Random, progress: Progress, dup_rate: float) -> None:  # fmt: skip
    total = 0
    for (action, arg), step in zip(JOURNEYS[citizen.journey], expected, strict=True):
        total += len(step)
        started = time.perf_counter()
        await act(http, emulator, citizen.user_id, action, arg, duplicate=rng.random() < dup_rate)
        got = await replies(http, emulator, citizen.user_id, total, 60)
        if len(got) >= total:
            citizen.latencies.append(time.perf_counter() - started)
        else:
            citizen.timed_out += 1
        progress.steps_done += 1
        await asyncio.sleep(rng.uniform(0.2, 1.0))  # a person reads before tapping again


async def faults(cluster: Cluster, http: aiohttp.ClientSession, progress: Progress, plan: list[str]) -> None:
    async def when(fraction: float) -> None:
        while progress.steps_done < fraction * progress.steps_total:  # noqa: ASYNC110 - a counter, not an event
            await asyncio.sleep(0.05)

    async def control(**body: Any) -> None:
        async with http.post(f"{cluster.emulator}/emulator/control", json=body) as r:
            r.raise_for_status()

    if "kill-worker" in plan:
        await when(0.2)
        await asyncio.to_thread(cluster.kill_worker, 0)
        progress.faults.append(f"worker0 SIGKILLed at step {progress.steps_done}/{progress.steps_total}")
    if "restart-redis" in plan:
        await when(0.45)
        await asyncio.to_thread(cluster.kill_redis)
        progress.faults.append(f"Redis SIGKILLed at step {progress.steps_done}/{progress.steps_total}")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(cluster.start_redis)
        progress.faults.append("Redis restarted after 1 s (AOF)")
    if "kill-primary" in plan:
        await when(0.45)
        await kill_primary(cluster, progress)
    if "oa-errors" in plan:
        await when(0.65)
        await control(server_error_seconds=1.5)
        progress.faults.append(f"OA API HTTP 502 for 1.5 s at step {progress.steps_done}")
        await when(0.8)
        await control(rate_limit_seconds=1.5)
        progress.faults.append(f"OA API -32 for 1.5 s at step {progress.steps_done}")


async def kill_primary(cluster: Cluster, progress: Progress) -> None:
    """SIGKILL one primary of the Redis Cluster under load, time its replica's promotion, then start
    the old node again (it rejoins as the new primary's replica)."""
    nodes = cluster.nodes
    if nodes is None:
        raise RuntimeError("kill-primary needs the deployment on a Redis Cluster (--cluster)")
    primary = nodes.primary_ports()[0]
    replicas = nodes.replica_of(primary)
    step = progress.steps_done
    await asyncio.to_thread(nodes.kill, primary)
    promoted_after = await asyncio.to_thread(nodes.wait_promoted, replicas, 60)
    promoted = next(p for p in replicas if nodes.roles().get(p) == "master")
    progress.faults.append(f"Redis primary :{primary} SIGKILLed at step {step}/{progress.steps_total}")
    progress.faults.append(f"its replica :{promoted} serving as primary {promoted_after:.1f} s later")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(nodes.restart, primary)
    rejoined_after = await asyncio.to_thread(nodes.wait_healthy, 60)
    progress.failover = {
        "killed_primary": primary, "signal": "SIGKILL", "at_step": step, "promoted_replica": promoted,
        "seconds_to_promotion": round(promoted_after, 2), "old_primary_rejoined_as": nodes.roles().get(primary),
        "seconds_to_rejoin_after_restart": round(rejoined_after, 2),
    }  # fmt: skip


async def scrape(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    try:
        async with http.get(url) as r:
            text = await r.text()
    except aiohttp.ClientError:
        return {}
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("tracuu_") and not line.startswith("tracuu_handler") and "_bucket" not in line:
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def cluster_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


async def measure_capacity(cluster: Cluster, args: argparse.Namespace, ours: list[str],
                           bare: list[str]) -> dict[str, Any]:  # fmt: skip
    """Rounds interleaved so that both see the same machine: bare, ours, bare, ours. The workers are
    paused (SIGSTOP) meanwhile unless asked otherwise: the webhook is measured, not the workers'
    turns competing for the same two cores (its events are handled once they resume)."""
    rounds: dict[str, list[dict[str, float]]] = {"bare": [], "ours": []}
    fsyncs = redis_fsync_latency(cluster)  # starts Redis's latency monitor on one Redis
    if args.workers_during_capacity == "paused":
        cluster.signal_workers(signal.SIGSTOP)
    try:
        for r in range(2):
            for name, urls in (("bare", bare), ("ours", ours)):
                if args.generator == "wrk":
                    result = await asyncio.to_thread(wrk_blast, urls, args.senders, args.capacity_seconds,
                                                     f"{name}{r}", signed_event)  # fmt: skip
                else:
                    result = await blast(urls, args.senders, args.per_sender, f"{name}{r}")
                rounds[name].append(result)
    finally:
        cluster.signal_workers(signal.SIGCONT)
    capacity: dict[str, Any] = {k: {m: statistics.median(x[m] for x in v) for m in v[0]} for k, v in rounds.items()}
    capacity["ratio"] = {
        "events_per_s": capacity["ours"]["events_per_s"] / capacity["bare"]["events_per_s"],
        "p99_ms": capacity["ours"]["p99_ms"] / capacity["bare"]["p99_ms"],
    }
    if fsyncs is not None:
        # What bounds ours on one Redis: with appendfsync always every batch waits for an fsync.
        capacity["redis_fsync_ms_worst_per_second"] = fsyncs()
    capacity["setup"] = {"generator": args.generator, "senders": args.senders, "processes_each": len(ours),
                         "workers": args.workers_during_capacity, "event_loop": loop_name()}  # fmt: skip
    return capacity


def redis_fsync_latency(cluster: Cluster) -> Any:
    """On one Redis: turn on its latency monitor (events of 1 ms and more) and return a function
    that reads the worst fsync of each second since (LATENCY HISTORY aof-fsync-always, ms)."""
    if cluster.nodes is not None:
        return None
    cli = [shutil.which("redis-cli") or "redis-cli", "-p", str(cluster.redis_port)]
    subprocess.run([*cli, "CONFIG", "SET", "latency-monitor-threshold", "1"], capture_output=True, check=False)
    subprocess.run([*cli, "LATENCY", "RESET"], capture_output=True, check=False)

    def read() -> list[int]:
        out = subprocess.run([*cli, "LATENCY", "HISTORY", "aof-fsync-always"], capture_output=True, text=True,
                             check=False).stdout.split()  # fmt: skip
        return [int(v) for v in out[1::2] if v.isdigit()]

    return read


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    cluster = Cluster(webs=args.webs, workers=args.workers, oa_calls_per_second=args.oa_calls_per_second,
                      redis_cluster=args.cluster)  # fmt: skip
    # As many bare processes as ours: the ratio compares one handler with the other, process for process.
    bare_ports = [free_port() for _ in range(args.webs)]
    bares = [subprocess.Popen([sys.executable, "-c", BARE_APP, str(port)], cwd=ROOT, env=cluster_env())
             for port in bare_ports]  # fmt: skip
    report: dict[str, Any] = {"webs": args.webs, "workers": args.workers, "citizens": args.citizens}
    try:
        await asyncio.to_thread(cluster.start)
        for port in bare_ports:
            await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/healthz")
        ours = [f"http://127.0.0.1:{p}/webhook/zalo" for p in cluster.web_ports]
        bare_urls = [f"http://127.0.0.1:{p}/webhook/zalo" for p in bare_ports]
        capacity = await measure_capacity(cluster, args, ours, bare_urls)
        report["capacity"] = capacity
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            # The capacity events are real events for the workers: let them drain first.
            await drain(http, cluster)
            # Two quiet citizens per journey, side by side as well (the second pass alone was ~5 s).
            expected, check = await asyncio.gather(reference(http, cluster.emulator, "a"),
                                                   reference(http, cluster.emulator, "b"))  # fmt: skip
            if check != expected:
                raise RuntimeError("two quiet citizens on the same journey got different replies: not comparable")
            names = [n for n, w in WEIGHTS.items() for _ in range(w)]
            citizens = [Citizen(f"9{i:08d}", rng.choice(names)) for i in range(args.citizens)]
            progress = Progress(steps_total=sum(len(JOURNEYS[c.journey]) for c in citizens))
            redis_fault = "kill-primary" if args.cluster else "restart-redis"
            plan = [] if args.no_faults else ["kill-worker", redis_fault, "oa-errors"]
            started = time.perf_counter()

            async def staggered(c: Citizen, delay: float) -> None:
                await asyncio.sleep(delay)
                await run_citizen(http, cluster.emulator, c, expected[c.journey], random.Random(c.user_id),
                                  progress, args.duplicates)  # fmt: skip

            fault_task = asyncio.create_task(faults(cluster, http, progress, plan))
            await asyncio.gather(*(staggered(c, rng.uniform(0, args.ramp)) for c in citizens))
            load_seconds = time.perf_counter() - started
            await fault_task
            await asyncio.sleep(2)  # a late duplicate would arrive now
            lost = duplicated = out_of_order = 0
            unhappy: list[dict[str, Any]] = []
            for c in citizens:
                want = [m for step in expected[c.journey] for m in step]
                got = [canonical(m) for m in await replies(http, cluster.emulator, c.user_id, 0, 0)]
                missing, extra = Counter(want) - Counter(got), Counter(got) - Counter(want)
                lost += sum(missing.values())
                duplicated += sum(extra.values())
                out_of_order += got != want and not missing and not extra
                if missing or extra:
                    unhappy.append(await diagnose(http, cluster, c, missing, extra))
            latencies = [x for c in citizens for x in c.latencies]
            by_journey = {name: [x for c in citizens if c.journey == name for x in c.latencies] for name in JOURNEYS}
            async with http.get(f"{cluster.emulator}/emulator/state") as r:
                deliveries = (await r.json())["deliveries"]
            acks = [a["seconds"] for d in deliveries for a in d["attempts"] if a.get("status") == 200]
            refused = Counter(a.get("status") for d in deliveries for a in d["attempts"] if a.get("status") != 200)
            redelivered = sum(1 for d in deliveries if len(d["attempts"]) > 1)
            report["load"] = {
                "steps": progress.steps_total, "seconds": round(load_seconds, 1),
                "steps_per_s": round(progress.steps_total / load_seconds, 1),
                "replies_expected": sum(len(m) for c in citizens for m in expected[c.journey]),
                "lost": lost, "duplicated": duplicated, "out_of_order_citizens": out_of_order,
                "timed_out_steps": sum(c.timed_out for c in citizens),
                "e2e_p50_ms": round(pct(latencies, 0.5) * 1000), "e2e_p95_ms": round(pct(latencies, 0.95) * 1000),
                "e2e_p99_ms": round(pct(latencies, 0.99) * 1000),
                "ack_p50_ms": round(pct(acks, 0.5) * 1000, 1), "ack_p95_ms": round(pct(acks, 0.95) * 1000, 1),
                "ack_p99_ms": round(pct(acks, 0.99) * 1000, 1), "webhook_deliveries": len(deliveries),
                "redelivered_events": redelivered, "faults": progress.faults,
                "webhook_non_200_by_status": {str(k): v for k, v in sorted(refused.items(), key=str)},
                "e2e_p50_p95_ms_by_journey": {
                    name: [round(pct(v, 0.5) * 1000), round(pct(v, 0.95) * 1000)] for name, v in by_journey.items()
                },
            }  # fmt: skip
            if args.cluster:
                report["redis"] = {"mode": "cluster", "primaries": 3, "replicas": 3, "failover": progress.failover}
            else:
                report["redis"] = {"mode": "single", "aof": "appendfsync always"}
            if unhappy:
                report["unhappy_citizens"] = unhappy[:10]
            web = await scrape(http, f"http://127.0.0.1:{cluster.web_ports[0]}/metrics")
            workers = [await scrape(http, f"http://127.0.0.1:{p}/metrics") for p in cluster.worker_ports]
            report["metrics"] = {
                "web0_received": {k: v for k, v in web.items() if k.startswith("tracuu_events_received_total")},
                "surviving_workers_reclaimed": sum(w.get("tracuu_events_reclaimed_total", 0) for w in workers),
                "surviving_workers_already_sent": sum(w.get("tracuu_outbound_already_sent_total", 0) for w in workers),
                "surviving_workers_budget_waits": sum(w.get("tracuu_outbound_budget_waits_total", 0) for w in workers),
            }  # fmt: skip
    finally:
        for bare in bares:
            bare.terminate()
            bare.wait()
        cluster.stop(keep_logs=args.keep_logs)
        if args.keep_logs:
            report["logs"] = str(cluster.folder)
    return report


async def diagnose(http: aiohttp.ClientSession, cluster: Cluster, citizen: Citizen, missing: Counter[str],
                   extra: Counter[str]) -> dict[str, Any]:  # fmt: skip
    """What an operator needs to find a lost or doubled reply in the logs: the citizen's events
    (their ids are what log lines carry) and how their deliveries went."""
    async with http.get(f"{cluster.emulator}/emulator/users/{citizen.user_id}/messages") as r:
        exchange = (await r.json())["messages"]
    ids = [(e["event"].get("message") or {}).get("msg_id") for e in exchange if e["direction"] == "user"]
    async with http.get(f"{cluster.emulator}/emulator/state") as r:
        deliveries = [d for d in (await r.json())["deliveries"] if d.get("msg_id") in ids]
    return {
        "user": citizen.user_id,
        "journey": citizen.journey,
        "missing": [m[:100] for m in missing],
        "extra": [m[:100] for m in extra],
        "events": ids,
        "deliveries": deliveries,
    }


async def drain(http: aiohttp.ClientSession, cluster: Cluster, stalled: float = 120, limit: float = 1800) -> None:
    """Until the queue is empty: the capacity rounds leave their events (~10,000 to 20,000 at
    200 senders) for the workers, which on a cluster take minutes over them. Fails when the depth
    has not gone down for `stalled` seconds, or after `limit` in all."""
    started = last_progress = time.monotonic()
    url = f"http://127.0.0.1:{cluster.web_ports[0]}/metrics"
    lowest = float("inf")
    while time.monotonic() - last_progress < stalled and time.monotonic() - started < limit:
        depth = (await scrape(http, url)).get("tracuu_queue_depth", float("inf"))
        if depth == 0:
            return
        if depth < lowest:
            lowest, last_progress = depth, time.monotonic()
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the queue did not drain (depth {lowest:.0f} after {time.monotonic() - started:.0f} s)")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--ramp", type=float, default=20.0, help="citizens start over this many seconds")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of deliveries Zalo sends twice")
    parser.add_argument("--senders", type=int, default=200, help="concurrent senders in the capacity phase")
    parser.add_argument("--per-sender", type=int, default=60, help="events per sender (--generator python)")
    parser.add_argument(
        "--generator",
        choices=["wrk", "python"],
        default=None,
        help="capacity load from wrk (default where installed) or an aiohttp client in this process",
    )
    parser.add_argument(
        "--capacity-seconds",
        type=int,
        default=1,
        help="length of a capacity round (wrk); its events are real ones the workers handle after",
    )
    parser.add_argument("--workers-during-capacity", choices=["paused", "running"], default="paused")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--oa-calls-per-second", default="1000", help="the shared outbound budget (OA quota)")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--cluster", action="store_true", help="run on a 3+3 node Redis Cluster; kill a primary")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small and short: what the test suite runs")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.quick:
        args.citizens, args.ramp, args.senders, args.per_sender = 24, 4.0, 8, 15
        args.generator = args.generator or "python"
    args.generator = args.generator or ("wrk" if wrk_available() else "python")
    return args


def cli(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    install_fast_loop()
    report = asyncio.run(main(args))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report


if __name__ == "__main__":
    result = cli()
    sys.exit(0 if result["load"]["lost"] == 0 and result["load"]["duplicated"] == 0 else 1)
