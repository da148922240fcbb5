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


def test_an_attachments_payload_is_kept_whole_but_cannot_change_its_type() -> None:
    """What the transcript keeps of a photo or a shared location, and the staff page shows (the
    photo's thumbnail, the place's coordinates and name): every field of the payload, whatever its
    name sorts as; only a 'type' inside the payload is not taken over the attachment's own."""
    from bot.zalo.events import parse_event

    body = text_event("attach", "", "m-attach")
    body["message"]["attachments"] = [
        {"type": "image", "payload": {"url": "https://x.example/p.jpg", "thumbnail": "https://x.example/t.jpg",
                                      "type": "sticker"}},
        {"type": "location", "payload": {"coordinates": {"latitude": "14.35", "longitude": "108.0"},
                                         "description": "UBND phường Kon Tum", "zoom": "15"}},
    ]  # fmt: skip
    photo, place = (a.model_dump(exclude_none=True) for a in parse_event(body).attachments)
    assert photo == {"type": "image", "url": "https://x.example/p.jpg", "thumbnail": "https://x.example/t.jpg"}
    assert place == {"type": "location", "coordinates": {"latitude": "14.35", "longitude": "108.0"},
                     "description": "UBND phường Kon Tum", "zoom": "15"}  # fmt: skip
