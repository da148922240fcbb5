"""The event loop of `python -m bot` processes: uvloop (libuv) where installed, asyncio's own
otherwise or with TRACUU_EVENT_LOOP=asyncio. The service is the same on both; uvloop makes the
sockets' and timers' work cheaper, which is most of a webhook delivery's cost past the handler."""

from __future__ import annotations

import asyncio
import os


def install_fast_loop() -> str:
    """Use uvloop for loops created from now on; returns the name of the loop in use."""
    if os.environ.get("TRACUU_EVENT_LOOP", "uvloop") == "asyncio":
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
