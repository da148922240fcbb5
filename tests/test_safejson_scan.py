"""`safejson.scan`, the webhook's one-pass read of the timestamp and the depth before the mac check,
gives what the token-by-token `top_level_field` and `depth` give: the depth for any bytes at all
(it guards the parser), the field for any valid JSON (the mac is checked with it, and the parsed
body's own timestamp must then be the same)."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import safejson

KEYS = st.sampled_from(["timestamp", "time", "timestampx", "a", "event_name", 'time"stamp', "tìmestamp"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**16), 10**16), st.floats(allow_nan=False),
    st.text(max_size=8), st.sampled_from(["1796140660057", "12a", "{", "[]", '"', "\\", "timestamp"]),
)  # fmt: skip
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.lists(st.tuples(KEYS, inner), max_size=5),
    max_leaves=12,
)


def render(doc: object, rng: st.DataObject) -> str:
    """JSON text with the members in order, duplicates kept, random spacing and escapes."""
    space = rng.draw(st.sampled_from(["", " ", "\n\t "]))
    if isinstance(doc, tuple | list) and doc and all(isinstance(m, tuple) for m in doc):
        members = []
        for key, value in doc:
            ascii_only = rng.draw(st.booleans())
            members.append(json.dumps(key, ensure_ascii=ascii_only) + space + ":" + space + render(value, rng))
        return "{" + space + ("," + space).join(members) + space + "}"
    if isinstance(doc, list):
        return "[" + ",".join(render(x, rng) for x in doc) + "]"
    return json.dumps(doc, ensure_ascii=rng.draw(st.booleans()))


@settings(max_examples=600, deadline=None)
@given(st.data(), st.lists(st.tuples(KEYS, DOCS), max_size=6))
def test_the_scan_agrees_with_the_token_reading_on_valid_json(data: st.DataObject, members: list) -> None:
    raw = render(members, data).encode()
    json.loads(raw)  # valid
    assert safejson.scan(raw, "timestamp") == (safejson.top_level_field(raw, "timestamp"), safejson.depth(raw))


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=200) | st.text(alphabet='{}[]":, \\tamps0123x', max_size=80).map(str.encode))
@example(b'{"timestamp": "123}')
@example(b'{"a":"x\\"timestamp","timestamp":5}')
@example(b'{"time\\u0073tamp":"7"}')
@example(b"[" * 40 + b"]" * 40)
def test_the_scan_agrees_on_any_bytes_about_depth_and_on_json_about_the_field(raw: bytes) -> None:
    found, deepest = safejson.scan(raw, "timestamp")
    assert deepest == safejson.depth(raw)
    try:
        json.loads(raw)
    except ValueError:
        return
    assert found == safejson.top_level_field(raw, "timestamp")


def test_a_webhook_event_is_read_without_the_token_by_token_path() -> None:
    raw = b'{"sender":{"id":"u"},"message":{"text":"a\\nb \\"timestamp\\": 9"},"timestamp":"1796140660057"}'
    assert safejson.scan(raw, "timestamp") == ("1796140660057", 2)
