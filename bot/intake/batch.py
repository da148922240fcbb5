"""Concurrent webhook requests' accepts go to Redis together: each request adds its call and waits;
the first to find the batch empty schedules its flush for the loop's next turn, by which time every
request that was ready in this turn has added its own. One pipeline then carries them all (one
round trip, one connection taken from the pool, one write; on a cluster one per primary, each with
its WAIT), instead of one of each per request. Each call's script still runs atomically on its own,
and each request gets its own answer or error: one refused call fails only its request."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bot.lua import Lua
from bot.replicated import Replicated

Call = tuple[Sequence[str], Sequence[Any]]


class ScriptBatcher:
    def __init__(self, replicated: Replicated, script: Lua, max_batch: int = 256) -> None:
        self.replicated = replicated
        self.script = script
        self.max_batch = max_batch
        self._calls: list[Call] = []
        self._waiters: list[asyncio.Future[Any]] = []
        self._flushes: set[asyncio.Task] = set()

    async def run(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self._calls.append((keys, args))
        self._waiters.append(waiter)
        if len(self._calls) == 1:
            loop.call_soon(self._flush)
        elif len(self._calls) >= self.max_batch:
            self._flush()
        return await waiter

    def _flush(self) -> None:
        if not self._calls:
            return  # already sent when it grew to max_batch
        calls, waiters = self._calls, self._waiters
        self._calls, self._waiters = [], []
        task = asyncio.get_running_loop().create_task(self._send(calls, waiters))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _send(self, calls: list[Call], waiters: list[asyncio.Future[Any]]) -> None:
        try:
            answers = await self.replicated.run_many(self.script, calls)
        except BaseException as exc:  # the store away: every request of the batch hears it
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for waiter, answer in zip(waiters, answers, strict=True):
            if waiter.done():  # its request was cancelled (the client went away)
                continue
            if isinstance(answer, BaseException):
                waiter.set_exception(answer)
            else:
                waiter.set_result(answer)
