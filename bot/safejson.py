"""JSON from strangers without recursion: a flat token scan (no parsing) finds how deep a document
nests and reads one top-level field, so that a webhook's mac can be checked on the raw bytes before
anything is parsed, and a document nested deeper than MAX_DEPTH is refused instead of exhausting
the parser's recursion (30,000 nested arrays were a 500)."""

from __future__ import annotations

import functools
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


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BARE = re.compile(rb'[^\s\[\]{}:,"]+')
# A key with an escape in it (its last backslash, the rest of it, its closing quote, a colon): such a
# key may decode to the name sought while its bytes differ, so `scan` leaves such bodies to the
# token-by-token reading. Conservative: anything else this finds is not valid JSON anyway.
_ESCAPED_KEY = re.compile(rb'\\[^"]*"\s*:')


def scan(raw: bytes, name: str) -> tuple[str | None, int]:
    """`(top_level_field(raw, name), depth(raw))`, the same answers, in a few C calls instead of a
    Python step per token (~50 for a webhook event): what the webhook runs on every delivery before
    its mac check. One regex split cuts the bytes at their strings, each occurrence of the key
    (with what follows it up to its value) told apart; the text between strings holds the brackets to
    count; the member is the last occurrence at the top level, after a `{` or a `,`, before a `:`."""
    if b"\\" in raw and _ESCAPED_KEY.search(raw):
        return top_level_field(raw, name), depth(raw)
    parts = _splitter(name).split(raw)  # between, key, after-key, between, key, after-key, ...
    between = parts[0::3]
    deepest = _deepest(b"".join(between).translate(None, _NOT_BRACKETS))
    for i in range(len(parts) - 3, 0, -3):
        if parts[i] is None:
            continue
        before = b"".join(between[: i // 3 + 1])
        after = parts[i + 1]
        if after and _level(before) == 1 and before.rstrip().endswith((b"{", b",")):
            value = after.lstrip()[1:].lstrip()
            return (_scalar(value) if value else None), deepest
    return None, deepest


@functools.cache
def _splitter(name: str) -> re.Pattern[bytes]:
    key = re.escape(json.dumps(name).encode())
    return re.compile(
        rb"(" + key + rb")(\s*:\s*(?:" + _STRING.pattern + rb"|" + _BARE.pattern + rb")?)?|" + _STRING.pattern
    )


def _deepest(brackets: bytes) -> int:
    level = deepest = 0
    for c in brackets:
        if c in b"[{":
            level += 1
            if level > deepest:
                deepest = level
        else:
            level -= 1
    return deepest


def _level(text: bytes) -> int:
    return text.count(b"{") + text.count(b"[") - text.count(b"}") - text.count(b"]")


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
            if value is not None and value.group() in (b"[", b"{", b"]", b"}"):
                # An array or object as the value: its brackets count like all others (skipping this
                # one missed a later top-level member: `{"timestamp":[],"timestamp":0}` gave None).
                level += 1 if value.group() in (b"[", b"{") else -1
            continue
        pending = None
    return found


def _scalar(token: bytes) -> str | None:
    if token.startswith(b'"') and token[1:-1].isdigit():
        return token[1:-1].decode()  # ASCII digits: what decoding would give, without json.loads
    if token.startswith(b'"'):
        try:
            value = json.loads(token)
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    if re.fullmatch(rb"-?(?:0|[1-9]\d*)", token):
        return token.decode()
    return None
