"""Concurrent webhook requests' accepts go to Redis together: each request adds its event and
waits; the first to find the batch empty starts the task that sends it, whose first step runs in
the loop's next turn, by which time every request that was ready in this turn has added its own.
The batch's events are then grouped by shard, and each shard's events become one script call (its
keys and arguments side by side: one command to pack and run instead of one per event); all the
calls go in one write (one round trip; on a cluster one pipeline per primary, each with its WAIT).

A shard's call runs atomically and appends its events in their order of arrival; it answers one
result per event. Each request gets its own answer, or the error its shard's call met: one refused
call fails only the requests of its shard; the store away fails them all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from bot.lua import Lua
from bot.replicated import Replicated

# (keys, args) of one event, and the head a shard's call starts with
Part = tuple[Sequence[str], Sequence[Any]]


class ShardBatcher:
    def __init__(self, replicated: Replicated, script: Lua, head: Callable[[int], Part], max_batch: int = 256) -> None:
        """`head(shard)`: the keys and arguments a shard's call starts with, before its events' own."""
        self.replicated = replicated
        self.script = script
        self.head = head
        self.max_batch = max_batch
        self._parts: list[tuple[int, Part, asyncio.Future[Any]]] = []
        self._flushes: set[asyncio.Task] = set()

    async def run(self, shard: int, keys: Sequence[str], args: Sequence[Any]) -> Any:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self._parts.append((shard, (keys, args), waiter))
        if len(self._parts) == 1:
            # The task's first step runs in the loop's next turn, once this turn's requests are in.
            task = loop.create_task(self._send())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await waiter

    async def _send(self) -> None:
        parts, self._parts = self._parts[: self.max_batch], self._parts[self.max_batch :]
        if self._parts:  # more than one batch's worth: the rest go in the next
            task = asyncio.get_running_loop().create_task(self._send())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        by_shard: dict[int, list[tuple[Part, asyncio.Future[Any]]]] = {}
        for shard, part, waiter in parts:
            by_shard.setdefault(shard, []).append((part, waiter))
        calls = []
        for shard, members in by_shard.items():
            keys, args = self.head(shard)
            keys, args = list(keys), list(args)
            for (part_keys, part_args), _ in members:
                keys += part_keys
                args += part_args
            calls.append((keys, args))
        try:
            answers = await self.replicated.run_many(self.script, calls)
        except BaseException as exc:  # the store away: every request of the batch hears it
            for _, _, waiter in parts:
                if not waiter.done():
                    waiter.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for members, answer in zip(by_shard.values(), answers, strict=True):
            if not isinstance(answer, BaseException) and len(answer) != len(members):
                answer = RuntimeError(f"the script answered {len(answer)} results for {len(members)} events")
            for i, (_, waiter) in enumerate(members):
                if waiter.done():  # its request was cancelled (the client went away)
                    continue
                if isinstance(answer, BaseException):
                    waiter.set_exception(answer)
                else:
                    waiter.set_result(answer[i])
