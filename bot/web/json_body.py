"""Request bodies as JSON, with the nesting depth limited before parsing (`bot.safejson`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import safejson


async def read_json(request: web.Request) -> Any:
    """The body, parsed; JSONDecodeError (answered 400) when it is not JSON or nests too deep."""
    return safejson.loads(await request.read())
