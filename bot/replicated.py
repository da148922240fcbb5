"""Writes that must survive the loss of a Redis Cluster primary: the webhook's accept (Zalo is told
200 and never sends the event again) and the outbox's marks around each send (lost, a reply would
go out twice). Replication is asynchronous, so a primary SIGKILLed right after answering may take a
write its replica never got. On a cluster such a write is followed, on the same connection and in
the same round trip, by `WAIT 1 <ms>`: it counts as done only once a replica has it. The replication
stream is ordered, so that also covers every earlier write to the same primary (a turn's stored
outbox before its first mark).

No replica confirming in time: if the cluster knows the primary to have none left (it lost one and
its old primary has not come back as a replica yet), the write is all there is and goes through
(counted in `tracuu_writes_unreplicated_total`); otherwise it is NotReplicated (a RedisError: the
webhook answers 503 and Zalo delivers again; a worker retries). On one Redis, or the embedded store,
nothing is waited for: AOF is what keeps it (see README, "Running at scale")."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    NoScriptError,
    RedisError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot import metrics
from bot.lua import Lua

REPLICA_WAIT_MS = 200  # a replica on the same network acknowledges within a few ms
TOPOLOGY_REFRESH_SECONDS = 1.0
MAX_KEPT_CONNECTIONS = 8  # batches in flight at once on one Redis (more are given back to the pool)


class NotReplicated(RedisError):
    """The primary has the write but no replica confirmed it: not yet safe to acknowledge."""


class Replicated:
    def __init__(self, redis: Any, wait_ms: int = REPLICA_WAIT_MS) -> None:
        self.redis = redis
        self.cluster = isinstance(redis, RedisCluster)
        # A real server's plain client (not the cluster's, not the embedded store's): its calls are
        # packed here and written on one of its pool's connections (`_send_direct`).
        self.direct = type(redis) is Redis
        self._kept: list[Any] = []  # its connections between batches (`_take`)
        self._read_timeout: float | None = None
        self.wait_ms = wait_ms
        self._refreshed_at = 0.0
        self._refresh_lock = asyncio.Lock()
        self._refreshing: asyncio.Task | None = None

    async def run(self, script: Lua, keys: Sequence[str], args: Sequence[Any] = ()) -> Any:
        """The script's answer once it is on the primary and (on a cluster) on a replica."""
        if not self.cluster:
            return await script(self.redis, keys, args)
        (result,) = await self.run_many(script, [(keys, args)])
        if isinstance(result, BaseException):
            raise result
        return result

    async def by_node(self, first_keys: Sequence[str]) -> list[tuple[str, list[int]]]:
        """The calls (named by their first keys) grouped by the primary that holds them, in order,
        with its name: one group named "" on one Redis, or "?" when the slot map cannot tell (mid-
        failover: `run_many` then meets the error)."""
        if not self.cluster:
            return [("", list(range(len(first_keys))))]
        await self.redis.initialize()
        groups: dict[str, list[int]] = {}
        try:
            for i, key in enumerate(first_keys):
                groups.setdefault(self.redis.get_node_from_key(key).name, []).append(i)
        except Exception:  # a slot no node serves now (mid-failover)
            return [("?", list(range(len(first_keys))))]
        return list(groups.items())

    async def run_many(self, script: Lua, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> list[Any]:
        """Several independent runs of one script in one pipeline (one round trip per node, each run
        atomic on its own): each call's answer, or the exception that call met, in order."""
        if not self.cluster:
            return await self._pipelined(script, calls, None)
        await self.redis.initialize()  # the slot map, on the first call or after a failover emptied it
        nodes = [self.redis.get_node_from_key(keys[0]) for keys, _ in calls]
        wait_on = {node.name: node for node in nodes}
        answers = await self._pipelined(script, calls, wait_on)
        results, waits = answers[: len(calls)], dict(zip(wait_on, answers[len(calls) :], strict=True))
        out: list[Any] = []
        for (keys, _), node, result in zip(calls, nodes, results, strict=True):
            replicas = waits[node.name]
            if isinstance(result, BaseException):
                out.append(result)
            elif self.redis.get_node_from_key(keys[0]).name != node.name:
                # The slot moved during the call: the WAIT went to the old primary and proves nothing.
                out.append(NotReplicated(f"slot of {keys[0]!r} moved during the write"))
            elif not isinstance(replicas, BaseException) and int(replicas) >= 1:
                out.append(result)
            elif await self._has_no_replica(keys[0]):
                metrics.WRITES_UNREPLICATED.inc()
                out.append(result)
            else:
                out.append(NotReplicated(f"no replica confirmed the write within {self.wait_ms} ms"))
        return out

    async def _pipelined(self, script: Lua, calls: Sequence[tuple[Sequence[str], Sequence[Any]]],
                         wait_on: dict[str, Any] | None) -> list[Any]:  # fmt: skip
        """EVALSHA per call (EVAL for the calls a node did not know the script for), then, on a
        cluster, WAIT on each primary named in `wait_on`: the pipeline sends a node's commands on
        one connection in order, so its WAIT counts that connection's writes, in the same round trip."""
        answers = await self._send(script, calls, wait_on)
        unknown = [i for i, answer in enumerate(answers[: len(calls)]) if isinstance(answer, NoScriptError)]
        if unknown:
            # A fresh or just promoted primary: load the script (on a cluster, on every primary) and
            # run again only the calls that did not run, so none runs twice.
            await self.redis.script_load(script.source)
            again = await self._send(script, [calls[i] for i in unknown], wait_on)
            for i, answer in zip(unknown, again, strict=False):
                answers[i] = answer
            if wait_on:
                # A node's later WAIT counts its retried writes and, the replication stream being
                # ordered, its earlier ones; a node with nothing retried keeps its first WAIT (its
                # new connection wrote nothing: that WAIT would answer at once, proving nothing).
                retried = {self.redis.get_node_from_key(calls[i][0][0]).name for i in unknown}
                for j, name in enumerate(wait_on):
                    if name in retried:
                        answers[len(calls) + j] = again[len(unknown) + j]
        return answers

    async def _send(self, script: Lua, calls: Sequence[tuple[Sequence[str], Sequence[Any]]],
                    wait_on: dict[str, Any] | None) -> list[Any]:  # fmt: skip
        if self.direct and not wait_on:
            return await self._send_direct(script, calls)
        if self.cluster and wait_on is not None:
            return await self._send_nodes(script, calls, wait_on)
        async with self.redis.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                # (.evalsha() is refused on a cluster pipeline; the command is routed by its key.)
                pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            for node in (wait_on or {}).values():
                pipe.execute_command("WAIT", 1, self.wait_ms, target_nodes=node)
            return list(await pipe.execute(raise_on_error=False))

    async def _send_direct(self, script: Lua, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]) -> list[Any]:
        """The calls packed here (RESP, in one buffer: redis-py's pipeline packed and encoded them
        argument by argument, ~40 us a webhook delivery) and written in one write on a connection
        of the pool kept for this; each call's answer, or its error (NoScriptError included), in
        order. A connection that broke is dropped and the calls sent once more on another: a script
        that did run then finds its marks and answers 0 for those events, which were stored (as
        redis-py's own retry of a pipeline does)."""
        packed = b"".join(_pack(b"EVALSHA", script.sha, len(keys), *keys, *args) for keys, args in calls)
        for attempt in (1, 2):
            conn = await self._take()
            try:
                async with asyncio.timeout(self._read_timeout):  # the whole exchange, one timer
                    await conn.send_packed_command(packed)
                    answers = await read_replies(conn, len(calls))
            except RedisConnectionError:
                await self._drop(conn)
                if attempt == 2:
                    raise
                continue
            except TimeoutError as exc:
                await self._drop(conn)
                raise RedisTimeoutError(f"no answer within {self._read_timeout} s") from exc
            except BaseException:
                await self._drop(conn)  # cancelled halfway: its answers would be read by the next user
                raise
            await self._keep(conn)
            return answers
        raise AssertionError("unreachable")

    async def _send_nodes(self, script: Lua, calls: Sequence[tuple[Sequence[str], Sequence[Any]]],
                          wait_on: dict[str, Any]) -> list[Any]:  # fmt: skip
        """On a cluster: each primary's calls packed here with its WAIT after them, written in one
        write on one of that node's connections, the nodes side by side; the answers in the order
        `_pipelined` reads (the calls', then each WAIT's). redis-py's cluster pipeline spent ~30 us
        a command routing and packing. A node that fails (gone, MOVED, a connection dropped
        mid-failover) fails only its own calls, and the slot map is read again in the background."""
        nodes = dict(wait_on)
        groups: dict[str, list[int]] = {}
        for i, (keys, _) in enumerate(calls):
            node = self.redis.get_node_from_key(keys[0])
            nodes.setdefault(node.name, node)
            groups.setdefault(node.name, []).append(i)

        async def one(name: str) -> list[Any]:
            mine = groups.get(name, [])
            packed = [_pack(b"EVALSHA", script.sha, len(calls[i][0]), *calls[i][0], *calls[i][1]) for i in mine]
            if name in wait_on:
                packed.append(_pack(b"WAIT", 1, self.wait_ms))
            return await _exchange(nodes[name], b"".join(packed), len(packed))

        names = list(nodes)
        if len(names) == 1:  # the batcher's calls for one primary (`by_node`): no gather's tasks
            try:
                results: list[Any] = [await one(names[0])]
            except Exception as exc:
                results = [exc]
        else:
            results = await asyncio.gather(*(one(name) for name in names), return_exceptions=True)
        answers: list[Any] = [None] * len(calls)
        waits: dict[str, Any] = {}
        stale = False
        for name, result in zip(names, results, strict=True):
            mine = groups.get(name, [])
            if isinstance(result, BaseException):
                stale = True
                for i in mine:
                    answers[i] = result
                waits[name] = result
                continue
            for i, answer in zip(mine, result, strict=False):
                answers[i] = answer
                stale = stale or isinstance(answer, MovedError | AskError | ClusterDownError | TryAgainError)
            if name in wait_on:
                waits[name] = result[-1]
        if stale:
            self._refresh_soon()
        return answers + [waits[name] for name in wait_on]

    def _refresh_soon(self) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh_topology())

    async def _refresh_topology(self) -> None:
        async with self._refresh_lock:
            if time.monotonic() - self._refreshed_at > TOPOLOGY_REFRESH_SECONDS:
                self._refreshed_at = time.monotonic()
                with contextlib.suppress(Exception):  # the next batch tries again
                    await self.redis.nodes_manager.initialize()

    async def _take(self) -> Any:
        """A connection of the client's pool held here between batches (the pool closes it with the
        client), its socket_timeout off (redis-py sends with asyncio.wait_for under one: a task and two
        turns of the loop before the bytes leave): one asyncio.timeout covers the whole exchange."""
        while self._kept:
            conn = self._kept.pop()
            if conn.is_connected:
                return conn
            await self._drop(conn)
        conn = await self.redis.connection_pool.get_connection()
        self._read_timeout = self._read_timeout or conn.socket_timeout
        conn.socket_timeout = None
        return conn

    async def _keep(self, conn: Any) -> None:
        if len(self._kept) < MAX_KEPT_CONNECTIONS:
            self._kept.append(conn)
        else:
            await self._give_back(conn)

    async def _drop(self, conn: Any) -> None:
        await conn.disconnect()
        await self._give_back(conn)

    async def _give_back(self, conn: Any) -> None:
        conn.socket_timeout = self._read_timeout
        with contextlib.suppress(KeyError):  # the pool was reset meanwhile and no longer knows it
            await self.redis.connection_pool.release(conn)

    async def _has_no_replica(self, key: str) -> bool:
        """Whether the slot's primary has no replica, by a slot map at most a second old (a replica
        that died drops out of it once the cluster marks it failed)."""
        await self._refresh_topology()
        slot = self.redis.keyslot(key)
        return len(self.redis.nodes_manager.slots_cache.get(slot, [])) <= 1


async def _exchange(node: Any, packed: bytes, count: int) -> list[Any]:
    """Write `packed` on one of a cluster node's connections and read `count` answers (an error
    answer in its place), its socket_timeout off meanwhile (see `Replicated._take`)."""
    conn = node.acquire_connection()
    timeout = conn.socket_timeout
    conn.socket_timeout = None
    try:
        async with asyncio.timeout(timeout):
            await conn.send_packed_command(packed)
            return await read_replies(conn, count)
    except TimeoutError as exc:
        await conn.disconnect()
        raise RedisTimeoutError(f"no answer from {node.name} within {timeout} s") from exc
    except BaseException:
        await conn.disconnect()  # broken or cancelled halfway: its answers would be read by the next user
        raise
    finally:
        conn.socket_timeout = timeout
        node.release(conn)


async def read_replies(conn: Any, count: int) -> list[Any]:
    """The next `count` replies on a redis-py connection, read from its stream here: each one an
    integer, an array of them (what the intake's and the outbox's scripts answer), a simple or bulk
    string, nil, or an error answer in its place (the exception redis-py's parser would give: NoScript,
    MOVED, ASK, CLUSTERDOWN...). redis-py's parser awaited the stream once per line, ~3 us a
    webhook delivery's answer. The replies are parsed from whole chunks; a connection closed or
    broken midway is a ConnectionError (as redis-py raises), and so is an answer of another shape
    (the connection is then not reusable: callers drop it)."""
    reader = conn._reader
    if reader is None:
        raise RedisConnectionError("the connection was closed")
    out: list[Any] = []
    buffer, pos = b"", 0
    while len(out) < count:
        try:
            parsed = _reply(buffer, pos, conn) if pos < len(buffer) else None
        except ValueError as exc:  # not a number where RESP has one
            raise RedisConnectionError(f"a malformed answer: {exc}") from exc
        if parsed is None:
            try:
                data = await reader.read(65536)
            except (OSError, RuntimeError) as exc:
                raise RedisConnectionError(f"error while reading the answers: {exc!r}") from exc
            if not data:
                raise RedisConnectionError("connection closed by the server")
            buffer, pos = buffer[pos:] + data, 0
            continue
        value, pos = parsed
        if isinstance(value, RedisConnectionError):
            raise value  # e.g. LOADING: redis-py raises it at once as well
        out.append(value)
    if pos != len(buffer):
        raise RedisConnectionError(f"{len(buffer) - pos} bytes after the {count} answers expected")
    if conn.health_check_interval:  # as redis-py's read_response: the connection just answered
        conn.next_health_check = asyncio.get_running_loop().time() + conn.health_check_interval
    return out


def _reply(buffer: bytes, pos: int, conn: Any) -> tuple[Any, int] | None:
    """(one RESP2/RESP3 reply starting at `pos`, the position after it), or None while incomplete."""
    end = buffer.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, line = buffer[pos], buffer[pos + 1 : end]
    if kind == 0x3A:  # ':' integer
        return int(line), end + 2
    if kind == 0x2A:  # '*' array
        size, items, at = int(line), [], end + 2
        if size < 0:
            return None, at
        for _ in range(size):
            if at >= len(buffer):
                return None
            item = _reply(buffer, at, conn)
            if item is None:
                return None
            items.append(item[0])
            at = item[1]
        return items, at
    if kind == 0x2D:  # '-' error: what redis-py's parser makes of it
        return conn._parser.parse_error(line.decode("utf-8", "replace")), end + 2
    if kind == 0x2B:  # '+' simple string
        return line.decode(), end + 2
    if kind == 0x24:  # '$' bulk string
        size = int(line)
        if size < 0:
            return None, end + 2
        stop = end + 2 + size
        if len(buffer) < stop + 2:
            return None
        return buffer[end + 2 : stop].decode(), stop + 2
    if kind == 0x5F:  # '_' RESP3 null
        return None, end + 2
    raise RedisConnectionError(f"an answer of a kind not expected here: {bytes([kind])!r}")


def _pack(*args: bytes | str | int) -> bytes:
    """One command in RESP: an array of bulk strings (str as UTF-8, int in decimal)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            data = arg.encode()
        elif isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, int) and not isinstance(arg, bool):
            data = b"%d" % arg
        else:
            raise TypeError(f"a command argument is bytes, str or int, not {type(arg).__name__}")
        out += (b"$%d\r\n" % len(data), data, b"\r\n")
    return b"".join(out)
