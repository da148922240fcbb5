"""JSON from strangers without recursion: a flat token scan (no parsing) finds how deep a document
nests and reads one top-level field, so that a webhook's mac can be checked on the raw bytes before
anything is parsed, and a document nested deeper than MAX_DEPTH is refused instead of exhausting
the parser's recursion (30,000 nested arrays were a 500)."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # Zalo's events nest 4 deep; our API bodies 3
# Strings (escapes included), brackets, colons and commas, and bare literals (numbers, true/false/null).
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]|[^\s\[\]{}:,"]+')


class TooDeep(json.JSONDecodeError):
    """Nested deeper than allowed: a JSONDecodeError, so it is answered as malformed JSON (400)."""


def depth(raw: bytes) -> int:
    """How deep the brackets nest, strings skipped."""
    level = deepest = 0
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            level += 1
            deepest = max(deepest, level)
        elif token in (b"]", b"}"):
            level -= 1
    return deepest


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, refusing documents nested deeper than `max_depth` before parsing them."""
    data = raw.encode() if isinstance(raw, str) else raw
    if depth(data) > max_depth:
        raise TooDeep(f"nested deeper than {max_depth} levels", data.decode("utf-8", "replace")[:64], 0)
    return json.loads(data)


def top_level_field(raw: bytes, name: str) -> str | None:
    """The raw text of a top-level member's value, as `str(value)` would give it for a string or an
    integer (the last one when repeated, as json.loads keeps); None when there is none, it is of
    another kind, or the bytes are not an object."""
    level, found, expect_key, pending = 0, None, False, None
    wanted = name.encode()
    tokens = _TOKEN.finditer(raw)
    for match in tokens:
        token = match.group()
        if token in (b"[", b"{"):
            level += 1
            expect_key = token == b"{" and level == 1
            continue
        if token in (b"]", b"}"):
            level -= 1
            continue
        if level != 1:
            continue
        if token == b",":
            expect_key = True
            continue
        if expect_key and token.startswith(b'"'):
            expect_key = False
            pending = token
            continue
        if token == b":" and pending is not None:
            key, pending = pending, None
            if b"\\" not in key:
                # No escape: the key is its bytes, so comparing them is what decoding would decide
                # (a webhook's seven keys were seven json.loads per delivery).
                if key[1:-1] != wanted:
                    continue
            else:
                try:
                    if json.loads(key) != name:
                        continue
                except ValueError:
                    continue
            value = next(tokens, None)
            found = _scalar(value.group()) if value else None
            continue
        pending = None
    return found


def _scalar(token: bytes) -> str | None:
    if token.startswith(b'"'):
        try:
            value = json.loads(token)
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    if re.fullmatch(rb"-?(?:0|[1-9]\d*)", token):
        return token.decode()
    return None
