"""The emulator's chat page: a person plays the citizen in a browser. Plain HTML and JS served from
this package (nothing fetched from the internet); it talks only to the emulator's JSON API."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

routes = web.RouteTableDef()
PAGE = Path(__file__).resolve().parent / "static" / "chat.html"


@routes.get("/emulator/")
async def chat(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={"Content-Type": "text/html; charset=utf-8"})


@routes.get("/emulator")
async def chat_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/emulator/")
