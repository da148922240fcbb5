"""What the webhook takes and refuses at its edges: the size limit to the byte (declared or chunked),
and events that name no event or give an id that is not one."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.test_webhook import signed, text_event

LIMIT = 64 * 1024  # the documented limit: "webhook bodies are limited to 65536 bytes"
OTHER_OA = "1111111111111111111"


def padded(size: int) -> tuple[bytes, dict]:
    """A signed event of exactly `size` bytes, for another OA: acknowledged and dropped once read,
    so its answer says whether the body got past the size check."""
    event = text_event("big-body", "xin chào", f"m-big-{size}")
    event["recipient"] = {"id": OTHER_OA}
    event["padding"] = ""
    event["padding"] = "x" * (size - len(signed(event)[0]))
    raw, headers = signed(event)
    assert len(raw) == size
    return raw, headers


async def in_chunks(raw: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


async def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(api):
    """Zalo's events are small; the limit keeps a stranger from making us buffer megabytes. A body
    at the limit is still an event, whether it says its length or comes chunked without one."""
    for size, expected in ((LIMIT, 200), (LIMIT + 1, 413)):
        raw, headers = padded(size)
        declared = await api.post("/webhook/zalo", data=raw, headers=headers)
        chunked = await api.post("/webhook/zalo", data=in_chunks(raw), headers=headers)
        assert chunked.request_info.headers.get("Transfer-Encoding") == "chunked"
        for answer in (declared, chunked):
            assert answer.status == expected, (size, answer.status, await answer.text())
            if expected == 200:
                assert (await answer.json())["reason"] == "other OA"


async def test_an_event_that_names_no_event_or_gives_an_id_of_another_kind_is_refused(api):
    """A signed body must still be an event: an empty or numeric event name, or a sender id that
    is a list, an object or true, is a 400, never queued as a user called '[1, 2]' or 'True'.
    Zalo's numeric ids (a number instead of a string) are ids."""
    cases: list[tuple[str, object, int]] = [
        ("event_name", "", 400), ("event_name", 42, 400),
        ("sender", {"id": [1, 2]}, 400), ("sender", {"id": {"id": "u1"}}, 400), ("sender", {"id": True}, 400),
        ("sender", {"id": 8123456789}, 200),
    ]  # fmt: skip
    for n, (field, value, expected) in enumerate(cases):
        event = text_event("odd-fields", "xin chào", f"m-odd-{n}")
        event[field] = value
        answer = await api.post("/webhook/zalo", data=signed(event)[0], headers=signed(event)[1])
        body = await answer.json()
        assert answer.status == expected, (field, value, body)
        if expected == 400:
            assert body["error"]["code"] == "malformed_event"
        else:
            assert body == {"status": "accepted"}
