"""Operator mistakes found before anything starts or prints a banner: an unknown PROVINCE, a Redis
that does not answer, a port already taken. Each is one line saying what to do; the command exits
with status 2 (they were a 24-line FileNotFoundError, a 90-line ConnectionError, and a banner and
demo table followed by `OSError: [Errno 98]`)."""

from __future__ import annotations

import errno
import socket
import sys
from urllib.parse import urlsplit, urlunsplit

import redis
from pydantic import ValidationError
from redis.cluster import ClusterNode

from bot.redis_conn import cluster_nodes, is_cluster_url
from bot.settings import Settings
from lookup.province import PROVINCES_DIR, load_province


def shipped_provinces() -> list[str]:
    return sorted(path.stem for path in PROVINCES_DIR.glob("*.json"))


def province_problem(name: str) -> str | None:
    try:
        load_province(name)
    except FileNotFoundError:
        return (f"PROVINCE={name}: no such province; use one of {', '.join(shipped_provinces())}, or the path of a "
                "province JSON file of the same shape")  # fmt: skip
    except (ValidationError, ValueError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        return f"PROVINCE={name}: the province file is not valid ({reason})"
    return None


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def redis_problem(url: str | None, timeout: float = 3.0) -> str | None:
    """Whether the configured Redis answers a PING (unset: the embedded store, nothing to reach)."""
    if not url:
        return None
    try:
        if is_cluster_url(url):
            nodes, username, password = cluster_nodes(url)
            client = redis.RedisCluster(
                startup_nodes=[ClusterNode(host, port) for host, port in nodes], username=username,
                password=password, socket_connect_timeout=timeout, socket_timeout=timeout,
            )  # fmt: skip
        else:
            client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, redis.exceptions.RedisClusterException, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return (f"cannot reach Redis at REDIS_URL={_without_password(url)}: {reason} (start it, fix REDIS_URL, or "
                "unset it for the embedded store)")  # fmt: skip
    return None


def port_problem(host: str, port: int) -> str | None:
    """Whether `host:port` can be listened on: bound and closed again at once, as aiohttp will bind it
    (SO_REUSEADDR), so only a port someone listens on is refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is already in use (another tracuu running?): stop it, or choose "
                        "another with PORT=... or --port")  # fmt: skip
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def refuse_unready(settings: Settings, port: int | None = None) -> None:
    """Print each problem on one line of stderr and exit 2, before banners and before any work."""
    problems = [
        problem
        for problem in (
            province_problem(settings.province),
            port_problem(settings.host, port if port is not None else settings.port),
            redis_problem(settings.redis_url),
        )
        if problem
    ]
    if problems:
        for line in problems:
            print(f"refusing to start: {line}", file=sys.stderr)
        sys.exit(2)
