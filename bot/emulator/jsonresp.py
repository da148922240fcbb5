"""The emulator's JSON answers in plain UTF-8: people read them in a terminal (`curl .../messages`),
where "Ch\\u00e0o m\\u1eebng" is unreadable. Its own copy, not the bot's helper: the emulator plays
the outside world and shares nothing of the bot's code."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, **kwargs: Any) -> web.Response:
    return web.json_response(data, dumps=_dumps, **kwargs)
