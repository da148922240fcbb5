"""A Redis Cluster on loopback from Debian's `redis-server`: 3 primaries and 3 replicas (by default),
each its own process with `cluster-enabled yes` in a temporary folder, joined by `redis-cli
--cluster create ... --cluster-replicas 1 --cluster-yes`. The tests' cluster backend and
`bench.load --cluster` start one; the bench SIGKILLs a primary and waits for its replica to take over.

Ports are free ones picked at start; the cluster bus of each node gets its own free port
(`cluster-port`), since the default port + 10000 may not exist for a high ephemeral port."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Debian's binaries, found on PATH once (the tests skip loudly when they are missing).
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def available() -> bool:
    return bool(shutil.which("redis-server") and shutil.which("redis-cli"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(port: int, *args: str, timeout: float = 1.0) -> str:
    """One command through redis-cli (what an operator would type); '' when the node does not answer."""
    try:
        done = subprocess.run(
            [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return ""
    return done.stdout if done.returncode == 0 else ""


def _info_fields(text: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in text.replace("\r", "").splitlines() if ":" in line)


JOIN_NODE_TIMEOUT_MS = 5000  # while the cluster forms; node_timeout_ms once it has


@dataclass
class LocalRedisCluster:
    primaries: int = 3
    replicas_per_primary: int = 1
    # How long a silent primary stays a primary: its replica is promoted soon after this.
    node_timeout_ms: int = 1000
    appendfsync: str = "everysec"
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tracuu-rcluster-")))
    ports: list[int] = field(default_factory=list)
    bus_ports: dict[int, int] = field(default_factory=dict)
    procs: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The setting that names this cluster: every node is a startup node."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self, timeout: float = 30.0, attempts: int = 2) -> None:
        """Start the nodes and create the cluster. A creation that does not finish (redis-cli's "Waiting
        for the cluster to join" went on past 30 s once, on a machine running the whole suite on both
        cores) is given up and tried again on fresh ports and a fresh folder, once."""
        for attempt in range(1, attempts + 1):
            try:
                self._start_once(timeout)
                return
            except (subprocess.TimeoutExpired, RuntimeError):
                self.stop()
                if attempt == attempts:
                    raise
                self.folder = Path(tempfile.mkdtemp(prefix="tracuu-rcluster-"))

    def _start_once(self, timeout: float) -> None:
        count = self.primaries * (1 + self.replicas_per_primary)
        used: set[int] = set()
        while len(used) < 2 * count:
            used.add(_free_port())
        ordered = sorted(used)
        self.ports, buses = ordered[:count], ordered[count:]
        self.bus_ports = dict(zip(self.ports, buses, strict=True))
        try:
            for port in self.ports:
                self._spawn(port)
            for port in self.ports:
                self._wait_ping(port)
            subprocess.run(
                [REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                 "--cluster-replicas", str(self.replicas_per_primary), "--cluster-yes"],
                check=True, capture_output=True, timeout=timeout,
            )  # fmt: skip
            self.wait_healthy(timeout)
            # Joined with a patient node timeout (nodes that miss a few heartbeats on a loaded machine
            # are not marked failing while the cluster forms), then the short one that failovers use.
            for port in self.ports:
                _command(port, "CONFIG", "SET", "cluster-node-timeout", str(self.node_timeout_ms))
        except BaseException:
            self.stop()
            raise

    def _spawn(self, port: int, node_timeout_ms: int = JOIN_NODE_TIMEOUT_MS) -> None:
        node_dir = self.folder / str(port)
        node_dir.mkdir(parents=True, exist_ok=True)
        argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node_dir),
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-port", str(self.bus_ports[port]), "--cluster-node-timeout", str(node_timeout_ms),
                # A replica is promoted however long ago it last heard from its primary (the default
                # refuses one that lost touch for 10 node timeouts), and syncs at once on joining.
                "--cluster-replica-validity-factor", "0", "--repl-diskless-sync-delay", "0",
                "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "",
                "--logfile", "redis.log"]  # fmt: skip
        self.procs[port] = subprocess.Popen(argv, cwd=node_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_ping(self, port: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _command(port, "PING").strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {port} did not start")

    def roles(self) -> dict[int, str]:
        """Port -> 'master' / 'slave' for every node that answers."""
        out: dict[int, str] = {}
        for port in self.procs:
            info = _info_fields(_command(port, "INFO", "replication"))
            if "role" in info:
                out[port] = info["role"]
        return out

    def primary_ports(self) -> list[int]:
        return sorted(p for p, role in self.roles().items() if role == "master")

    def replica_of(self, primary: int) -> list[int]:
        out = []
        for port in self.procs:
            info = _info_fields(_command(port, "INFO", "replication"))
            # Only a replica that has synced counts: one still loading could not take over.
            if (info.get("role") == "slave" and info.get("master_port") == str(primary)
                    and info.get("master_link_status") == "up"):  # fmt: skip
                out.append(port)
        return out

    def serving(self) -> bool:
        """Every live node says the cluster is ok with all 16384 slots served."""
        for port in self.procs:
            info = _info_fields(_command(port, "CLUSTER", "INFO"))
            if info.get("cluster_state") != "ok" or info.get("cluster_slots_ok") != "16384":
                return False
        return True

    def healthy(self) -> bool:
        """Serving, with its primaries each followed by their replicas."""
        if not self.serving():
            return False
        masters = self.primary_ports()
        return len(masters) == self.primaries and all(
            len(self.replica_of(m)) >= self.replicas_per_primary for m in masters
        )

    def wait_healthy(self, timeout: float = 30.0) -> float:
        """Seconds until healthy(); raises if it never is."""
        return self._wait(self.healthy, timeout)

    def wait_promoted(self, candidates: list[int], timeout: float = 30.0) -> float:
        """Seconds until one of `candidates` (a lost primary's replicas) is a primary and every slot
        is served again."""
        return self._wait(lambda: self.serving() and any(self.roles().get(p) == "master" for p in candidates),
                          timeout)  # fmt: skip

    def _wait(self, ready: Callable[[], bool], timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if ready():
                return time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError(f"the Redis cluster in {self.folder} was not ready within {timeout} s")

    def kill(self, port: int) -> None:
        """SIGKILL one node: no clean shutdown, no goodbye to the others."""
        proc = self.procs.pop(port)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def restart(self, port: int) -> None:
        """Start a killed node again from its folder: it rejoins (a former primary as a replica)."""
        self._spawn(port, self.node_timeout_ms)
        self._wait_ping(port)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs.values():
            proc.wait()
        self.procs.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
