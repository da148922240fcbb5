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
        calls = []
        for shard, members in by_shard.items():
            keys, args = self.head(shard)
            keys, args = list(keys), list(args)
            for (part_keys, part_args), _ in members:
                keys += part_keys
                args += part_args
            calls.append((keys, args))
        items = list(by_shard.items())
        try:
            groups = await self.replicated.by_node([keys[0] for keys, _ in calls])
        except BaseException as exc:  # the store away: every request of the batch hears it
            self._fail(items, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if len(groups) == 1:
            await self._run(items, calls)
        else:
            # On a cluster, each primary's calls are answered as soon as that primary (and its WAIT)
            # has answered: a slow or failing node holds up only the requests of its own shards.
            await asyncio.gather(*(self._run([items[i] for i in group], [calls[i] for i in group])
                                   for group in groups))  # fmt: skip

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
