"""JSON responses with Vietnamese kept readable (no \\u escapes) for people reading curl output."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, **kwargs: Any) -> web.Response:
    return web.json_response(data, dumps=_dumps, **kwargs)
