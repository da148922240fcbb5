"""The emulator's chat page: a person plays the citizen in a browser. Plain HTML and JS served from
this package (nothing fetched from the internet); it talks only to the emulator's JSON API."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from aiohttp import web

from bot.emulator.jsonresp import json_response
from bot.emulator.keys import EMU_SETTINGS

routes = web.RouteTableDef()
PAGE = Path(__file__).resolve().parent / "static" / "chat.html"
PROVINCES = Path(__file__).resolve().parents[2] / "fixtures" / "provinces"


@routes.get("/emulator/")
async def chat(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={"Content-Type": "text/html; charset=utf-8"})


@routes.get("/emulator")
async def chat_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/emulator/")


@cache
def _oa_name(province: str) -> str:
    # The configured province file, read as Zalo would show the OA's profile name (a settings value,
    # like the menu file: the emulator reads data, never the bot's code).
    path = Path(province) if Path(province).suffix else PROVINCES / f"{province}.json"
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("oa_name", ""))
    except (OSError, ValueError):
        return ""


@routes.get("/emulator/oa")
async def oa_profile(request: web.Request) -> web.Response:
    """The OA's name for the chat page's header (Zalo shows the OA's profile there)."""
    return json_response({"name": _oa_name(request.app[EMU_SETTINGS].province) or "Official Account"})
