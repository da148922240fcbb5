"""A whole deployment on loopback for load and fault runs: its own Redis server (AOF with fsync on
every write, in a temporary folder, so that a restart keeps what was acknowledged; never the shared
server) or its own Redis Cluster (`redis_cluster=True`: 3 primaries + 3 replicas,
bench.redis_cluster), the Zalo emulator, N web and M worker processes, each a real `python -m bot`
process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.redis_cluster import LocalRedisCluster

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback URL we built
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@dataclass
class Cluster:
    webs: int = 2
    workers: int = 2
    lease_ms: int = 3000
    # The emulated Zalo has no quota; the shared budget would otherwise be what the run measures.
    oa_calls_per_second: str = "1000"
    env_extra: dict[str, str] = field(default_factory=dict)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tracuu-load-")))
    redis_port: int = field(default_factory=free_port)
    emulator_port: int = field(default_factory=free_port)
    web_ports: list[int] = field(default_factory=list)
    worker_ports: list[int] = field(default_factory=list)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    redis_cluster: bool = False
    nodes: LocalRedisCluster | None = None

    @property
    def redis_url(self) -> str:
        if self.nodes is not None:
            return self.nodes.url
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def emulator(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def start(self) -> None:
        self.web_ports = [free_port() for _ in range(self.webs)]
        self.worker_ports = [free_port() for _ in range(self.workers)]
        if self.redis_cluster:
            # Durability on a cluster is a replica's copy (WAIT, bot.replicated): AOF once a second.
            self.nodes = LocalRedisCluster(folder=self.folder / "redis-cluster")
            self.nodes.start()
        else:
            self.start_redis()
        # The demo dossiers are stored while the other processes start (each takes seconds to import
        # and build its search index), not before them; the run begins once all are done.
        seed = self._spawn("seed", [sys.executable, "-m", "bot", "seed", "--count", "0"])
        webhooks = ",".join(f"http://127.0.0.1:{p}/webhook/zalo" for p in self.web_ports)
        self._spawn("emulator", [sys.executable, "-m", "bot", "emulator", "--port", str(self.emulator_port),
                                 "--webhook", webhooks])  # fmt: skip
        for i, port in enumerate(self.web_ports):
            self._spawn(f"web{i}", [sys.executable, "-m", "bot", "serve", "--no-worker", "--port", str(port)])
        for i in range(self.workers):
            self.start_worker(i)
        if seed.wait(timeout=120) != 0:
            raise RuntimeError(f"python -m bot seed failed: see {self.folder / 'seed.log'}")
        wait_http(f"{self.emulator}/healthz")
        for port in self.web_ports + self.worker_ports:
            wait_http(f"http://127.0.0.1:{port}/readyz")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "ZALO_", "EMULATOR_"))}
        env.update({
            "PYTHONPATH": str(ROOT), "REDIS_URL": self.redis_url, "REDIS_KEY_PREFIX": "load",
            "ZALO_EMULATOR_URL": self.emulator, "LOG_FORMAT": "json", "INTAKE_LEASE_MS": str(self.lease_ms),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.web_ports[0]}", "EMULATOR_QUIET_SECONDS": "0.05",
            "RUN_WORKER": "false", "OA_CALLS_PER_SECOND": self.oa_calls_per_second,
        })  # fmt: skip
        env.update(self.env_extra)
        return env

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        with (self.folder / f"{name}.log").open("ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen(argv, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def start_redis(self) -> None:
        argv = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", "redis.log"]  # fmt: skip
        self.procs["redis"] = subprocess.Popen(argv, cwd=self.folder, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill_redis(self) -> None:
        """SIGKILL: no clean shutdown; only what the AOF holds survives."""
        proc = self.procs.pop("redis")
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def start_worker(self, i: int) -> None:
        self._spawn(f"worker{i}", [sys.executable, "-m", "bot", "worker", "--port", str(self.worker_ports[i])])

    def kill_worker(self, i: int) -> None:
        proc = self.procs.pop(f"worker{i}")
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def signal_workers(self, signum: int) -> None:
        """SIGSTOP / SIGCONT every live worker process (the capacity phase measures the web alone)."""
        for name, proc in self.procs.items():
            if name.startswith("worker") and proc.poll() is None:
                proc.send_signal(signum)

    def stop(self, keep_logs: bool = False) -> None:
        for name, proc in list(self.procs.items()):
            if name != "redis" and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in list(self.procs.items()):
            if name != "redis":
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if "redis" in self.procs:
            self.procs["redis"].kill()
            self.procs["redis"].wait()
        if self.nodes is not None:
            self.nodes.stop()
        self.procs.clear()
        if not keep_logs:
            shutil.rmtree(self.folder, ignore_errors=True)
