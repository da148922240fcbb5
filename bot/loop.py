"""The event loop of `python -m bot` processes: asyncio's own by default; uvloop (libuv) with
TRACUU_EVENT_LOOP=uvloop, which makes the webhook's sockets cheaper (1.5k -> 2.7k events/s on the
bench's 2 web processes) but is off by default: when a Redis node dies, redis-py writing to the
closed connection gets a RuntimeError from uvloop (asyncio's loop raises an OSError there, which
redis-py turns into a ConnectionError and retries), so turns failed as handler errors and replies
were lost in `bench.load --cluster`'s failover."""

from __future__ import annotations

import asyncio
import os


def install_fast_loop() -> str:
    """Use uvloop for loops created from now on when asked; returns the name of the loop in use."""
    if os.environ.get("TRACUU_EVENT_LOOP", "asyncio") != "uvloop":
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


def loop_name() -> str:
    policy = type(asyncio.get_event_loop_policy()).__module__
    return "uvloop" if policy.startswith("uvloop") else "asyncio"
