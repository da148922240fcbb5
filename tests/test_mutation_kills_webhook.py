"""The webhook's nesting limit, at its edge: a signed event nested exactly `safejson.MAX_DEPTH`
levels deep (Zalo's own nest 4) is accepted, one level more is refused as malformed before it is
parsed. The limit is what the refusal message says: "nested deeper than 32 levels"."""

from __future__ import annotations

import json

from bot import safejson
from tests.test_webhook import signed, text_event


def nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


async def test_an_event_nested_exactly_to_the_limit_is_accepted_and_one_level_more_refused(api):
    at_limit = {**text_event("nest-ok", "#hotro", "m-nest-ok"), "extra": nested(safejson.MAX_DEPTH - 1)}
    raw, headers = signed(at_limit)
    assert safejson.depth(raw) == safejson.MAX_DEPTH
    answer = await api.post("/webhook/zalo", data=raw, headers=headers)
    assert (answer.status, (await answer.json())["status"]) == (200, "accepted"), await answer.text()
    deeper = {**text_event("nest-deep", "#hotro", "m-nest-deep"), "extra": nested(safejson.MAX_DEPTH)}
    raw, headers = signed(deeper)
    assert safejson.depth(raw) == safejson.MAX_DEPTH + 1 and json.loads(raw)  # valid JSON, only too deep
    answer = await api.post("/webhook/zalo", data=raw, headers=headers)
    assert (answer.status, (await answer.json())["error"]["code"]) == (400, "malformed_json"), await answer.text()
