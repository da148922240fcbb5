"""Concurrent webhook requests' accepts go to Redis together: each request adds its event with what
to call once its answer is known; the first to find the batch empty starts the task that sends it,
whose first step runs in the loop's next turn, by which time every request that was ready in this
turn has added its own. The batch's events are then grouped by shard, and each shard's events
become one script call (its keys and arguments side by side: one command to pack and run instead
of one per event); all the calls go in one write (one round trip; on a cluster one pipeline per
primary, each with its WAIT).

A shard's call runs atomically and appends its events in their order of arrival; it answers one
result per event. Each request gets its own answer, or the error its shard's call met: one refused
call fails only the requests of its shard; the store away fails them all.

On a cluster a primary has at most one call of this process's batches in flight: the requests for
it that arrive meanwhile go together in its next call, once it has answered. Each round trip costs
the primary, its replica (the WAIT) and this process a few wake-ups whatever it carries, and those,
not the script's work, were most of the six nodes' CPU: per event 65 us of Redis CPU, of which the
commands themselves ~14 us (INFO commandstats), with ~18 events per primary and round trip. A slow
or failing primary still holds up only the requests of its own shards.

The answer is handed over by the batch task itself (`submit`'s `done`, called in order of
arrival): the webhook's own HTTP reader (`bot.zalo.webhook_http`) writes its response there, with
no task of its own to wake; `run` is the same for a caller that awaits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from bot.lua import Lua
from bot.replicated import Replicated

log = logging.getLogger(__name__)

# (keys, args) of one event, and the head a shard's call starts with
Part = tuple[Sequence[str], Sequence[Any]]
# Called once with the event's answer, or with None and the exception its call met.
Done = Callable[[Any, BaseException | None], None]


class ShardBatcher:
    def __init__(self, replicated: Replicated, script: Lua, head: Callable[[int], Part], max_batch: int = 256,
                 stored: Callable[[int], None] | None = None) -> None:  # fmt: skip
        """`head(shard)`: the keys and arguments a shard's call starts with, before its events' own;
        `stored(shard)`: called once a shard's call of a batch has answered (its events are stored)."""
        self.replicated = replicated
        self.script = script
        self.head = head
        self.max_batch = max_batch
        self.stored = stored
        self._parts: list[tuple[int, Part, Done]] = []
        self._flushes: set[asyncio.Task] = set()
        # On a cluster: primary -> its shards' events waiting for the call in flight to answer.
        self._waiting: dict[str, dict[int, list[tuple[Part, Done]]]] = {}
        self.one_call_per_node = bool(getattr(replicated, "cluster", False))

    def submit(self, shard: int, keys: Sequence[str], args: Sequence[Any], done: Done) -> None:
        """Add one event to the next batch; `done(answer, None)` or `done(None, exc)` is called from
        the batch's task once its shard's call has answered (it must not raise)."""
        self._parts.append((shard, (keys, args), done))
        if len(self._parts) == 1:
            # The task's first step runs in the loop's next turn, once this turn's requests are in.
            task = asyncio.get_running_loop().create_task(self._send())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def run(self, shard: int, keys: Sequence[str], args: Sequence[Any]) -> Any:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def done(answer: Any, exc: BaseException | None) -> None:
            if waiter.done():  # its caller was cancelled (the client went away)
                return
            if exc is not None:
                waiter.set_exception(exc)
            else:
                waiter.set_result(answer)

        self.submit(shard, keys, args, done)
        return await waiter

    async def _send(self) -> None:
        parts, self._parts = self._parts[: self.max_batch], self._parts[self.max_batch :]
        if self._parts:  # more than one batch's worth: the rest go in the next
            task = asyncio.get_running_loop().create_task(self._send())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        by_shard: dict[int, list[tuple[Part, Done]]] = {}
        for shard, part, done in parts:
            by_shard.setdefault(shard, []).append((part, done))
        items = list(by_shard.items())
        calls = [] if self.one_call_per_node else self._calls(items)  # (built per node's call then)
        try:
            groups = await self.replicated.by_node([self.head(shard)[0][0] for shard, _ in items])
        except BaseException as exc:  # the store away: every request of the batch hears it
            self._fail(items, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if self.one_call_per_node:
            await asyncio.gather(*(self._to_node(name, [items[i] for i in group]) for name, group in groups))
        elif len(groups) == 1:
            await self._run(items, calls)
        else:
            # On a cluster, each primary's calls are answered as soon as that primary (and its WAIT)
            # has answered: a slow or failing node holds up only the requests of its own shards.
            await asyncio.gather(*(self._run([items[i] for i in group], [calls[i] for i in group])
                                   for _, group in groups))  # fmt: skip

    def _calls(self, items: list[tuple[int, list[tuple[Part, Done]]]]) -> list[Part]:
        """One script call per shard: its head, then its events' keys and arguments side by side."""
        calls = []
        for shard, members in items:
            keys, args = self.head(shard)
            keys, args = list(keys), list(args)
            for (part_keys, part_args), _ in members:
                keys += part_keys
                args += part_args
            calls.append((keys, args))
        return calls

    async def _to_node(self, name: str, items: list[tuple[int, list[tuple[Part, Done]]]]) -> None:
        """Send the items' calls to the primary `name`, or, while a call to it is in flight, leave
        them for its next one (merged by shard, in order of arrival)."""
        waiting = self._waiting.get(name)
        if waiting is not None:
            for shard, members in items:
                waiting.setdefault(shard, []).extend(members)
            return
        self._waiting[name] = {}
        try:
            while items:
                await self._run(items, self._calls(items))
                items = list(self._waiting[name].items())
                self._waiting[name] = {}
        finally:
            left = list(self._waiting.pop(name).items())
            if left:  # cancelled (shutdown): what waited for this node hears it
                self._fail(left, asyncio.CancelledError())

    async def _run(self, items: list[tuple[int, list[tuple[Part, Done]]]], calls: list[Part]) -> None:
        try:
            answers = await self.replicated.run_many(self.script, calls)
        except BaseException as exc:  # the store away: every request of these calls hears it
            self._fail(items, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for (shard, members), answer in zip(items, answers, strict=True):
            if not isinstance(answer, BaseException) and len(answer) != len(members):
                answer = RuntimeError(f"the script answered {len(answer)} results for {len(members)} events")
            if isinstance(answer, BaseException):
                for _, done in members:
                    _deliver(done, None, answer)
                continue
            if self.stored is not None:
                self.stored(shard)
            for (_, done), result in zip(members, answer, strict=True):
                _deliver(done, result, None)

    @staticmethod
    def _fail(items: list[tuple[int, list[tuple[Part, Done]]]], exc: BaseException) -> None:
        for _, members in items:
            for _, done in members:
                _deliver(done, None, exc)


def _deliver(done: Done, answer: Any, exc: BaseException | None) -> None:
    try:
        done(answer, exc)
    except Exception:  # one request's answer going wrong must not keep the others from theirs
        log.exception("answering an accepted event failed")
