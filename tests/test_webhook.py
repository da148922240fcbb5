"""The webhook over real HTTP: refusals, echoes, duplicates, per-user order, and the inbox."""

import asyncio
import hashlib
import json
import time

from bot.appkeys import TRANSCRIPT
from bot.conv_keys import UserKey
from bot.settings import Settings
from tests.conftest import OA_SECRET

OA = Settings().zalo_oa_id


def signed(body: dict, secret: str = OA_SECRET, app_id: str = "1234567890123456789") -> tuple[bytes, dict]:
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    mac = hashlib.sha256(app_id.encode() + raw + str(body["timestamp"]).encode() + secret.encode()).hexdigest()
    return raw, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}


def text_event(user: str, text: str, msg_id: str) -> dict:
    return {
        "app_id": "1234567890123456789",
        "sender": {"id": user},
        "recipient": {"id": OA},
        "event_name": "user_send_text",
        "message": {"text": text, "msg_id": msg_id},
        "timestamp": str(int(time.time() * 1000)),
    }


async def transcript(live, user: str) -> list[dict]:
    return await live.app[TRANSCRIPT].entries(UserKey(OA, user))


async def settled_transcript(live, user: str, expected_entries: int, limit: float = 10.0) -> list[dict]:
    """The transcript once it holds `expected_entries` (polling: a loaded machine may be slow),
    then a short extra wait so that an unexpected further entry would be seen too."""
    deadline = time.monotonic() + limit
    # Polling: the transcript lives in Redis, which offers the test no event to wait on.
    while len(await transcript(live, user)) < expected_entries and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    return await transcript(live, user)


async def post(live, raw: bytes, headers: dict):
    async with live.http.post(f"{live.base}/webhook/zalo", data=raw, headers=headers) as r:
        return r.status, await r.json()


async def test_bad_or_missing_signature_is_401_and_nothing_is_processed(live):
    raw, headers = signed(text_event("intruder", "#hotro", "m-bad"), secret="WRONG")
    assert (await post(live, raw, headers))[0] == 401
    assert (await post(live, raw, {"Content-Type": "application/json"}))[0] == 401
    replies = await live.act("intruder2", "text", "#hotro", bad_signature="1", wait="0.5")
    assert replies == []
    await asyncio.sleep(0.2)
    assert await transcript(live, "intruder") == [] and await transcript(live, "intruder2") == []


def now_ms() -> str:
    return str(int(time.time() * 1000))


def signed_raw(raw: bytes, timestamp: str, secret: str = OA_SECRET) -> dict:
    mac = hashlib.sha256(b"1234567890123456789" + raw + timestamp.encode() + secret.encode()).hexdigest()
    return {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}


async def test_malformed_and_oversize_bodies_are_refused(live):
    status, body = await post(live, b"{not json", {"Content-Type": "application/json"})
    assert status == 401  # nothing unsigned is parsed
    stamp = now_ms()
    raw = b'{"timestamp":"' + stamp.encode() + b'","message":'  # signed, then cut short
    status, body = await post(live, raw, signed_raw(raw, stamp))
    assert status == 400 and body["error"]["code"] == "malformed_json"
    raw, headers = signed({"timestamp": now_ms(), "event_name": "user_send_text"})  # signed, but names no user
    status, body = await post(live, raw, headers)
    assert status == 400 and body["error"]["code"] == "malformed_event"
    big = text_event("u-big", "x" * 70_000, "m-big")
    raw, headers = signed(big)
    assert (await post(live, raw, headers))[0] == 413


async def test_oa_echoes_and_receipts_are_ignored(live):
    echo = {
        "app_id": "1234567890123456789",
        "sender": {"id": OA},
        "recipient": {"id": "u-echo"},
        "event_name": "oa_send_text",
        "message": {"text": "hi", "msg_id": "e1"},
        "timestamp": now_ms(),
    }
    status, body = await post(live, *signed(echo))
    assert status == 200 and body["status"] == "ignored"
    await asyncio.sleep(0.2)
    assert await transcript(live, "u-echo") == []


async def test_redelivered_event_is_answered_once(live):
    # Zalo resends identical bytes when it did not see a 200 in time; both copies reach us here.
    raw, headers = signed(text_event("u-dup", "#hotro", "m-dup-1"))
    first, second = await asyncio.gather(post(live, raw, headers), post(live, raw, headers))
    assert sorted([first[1]["status"], second[1]["status"]]) == ["accepted", "duplicate"]
    third = await post(live, raw, headers)
    assert third[1]["status"] == "duplicate"
    outbound = [e for e in await settled_transcript(live, "u-dup", 2) if e["direction"] == "out"]
    assert len(outbound) == 1 and "Hỗ trợ" in outbound[0]["text"]


async def test_emulator_duplicate_delivery_gets_one_answer(live):
    replies = await live.act("u-dup2", "text", "#hotro", duplicate="1")
    assert len(replies) == 1


async def test_messages_of_one_user_sent_concurrently_are_handled_in_order(live):
    # Before the per-user lock, two concurrent turns could read the same state and interleave.
    events = [
        text_event("u-order", text, f"m-order-{i}")
        for i, text in enumerate(
            # A code a digit short is "not a code" only in the state the first message left.
            ["#tracuuhoso", "000.25.23.H34-26110-001", "#huongdan", "#hd nophoso 1", "#hd nophoso 2", "#hotro"]
        )
    ]
    for event in events:  # arrival order is fixed by the sequential POSTs; handling is concurrent
        assert (await post(live, *signed(event)))[0] == 200
    inbound = [e for e in await settled_transcript(live, "u-order", 12) if e["direction"] == "in"]
    assert [e["text"] for e in inbound] == [e["message"]["text"] for e in events]
    handlers = [e["handler"] for e in inbound]
    assert handlers == [
        "lookup.ask_for_code",
        "lookup.not_a_code",
        "guidance.topics",
        "guidance.step",
        "guidance.step",
        "support.hotlines",
    ]


async def test_follow_redelivery_is_deduplicated_by_follower_and_timestamp(live):
    follow = {
        "app_id": "1234567890123456789",
        "oa_id": OA,
        "follower": {"id": "u-f"},
        "event_name": "follow",
        "source": "qr",
        "timestamp": now_ms(),
    }
    raw, headers = signed(follow)
    assert (await post(live, raw, headers))[1]["status"] == "accepted"
    assert (await post(live, raw, headers))[1]["status"] == "duplicate"


async def test_webhook_answers_503_when_the_store_is_unavailable(live):
    # The event is not stored, so it is not acknowledged: Zalo will redeliver it.
    from redis.exceptions import ConnectionError as RedisConnectionError

    from bot.appkeys import QUEUE

    inbox = live.app[QUEUE]
    original = inbox.replicated.run_many

    async def broken(*args, **kwargs):
        raise RedisConnectionError("Redis went away")

    inbox.replicated.run_many = broken
    try:
        # A plain delivery (read by bot.zalo.webhook_http) and a chunked one (the route) alike.
        status, body = await post(live, *signed(text_event("u-503", "#hotro", "m-503")))
        raw, headers = signed(text_event("u-503", "#hotro", "m-503b"))
        async with live.http.post(f"{live.base}/webhook/zalo", data=_chunks(raw), headers=headers) as r:
            chunked_status, chunked_body = r.status, await r.json()
    finally:
        inbox.replicated.run_many = original
    assert status == 503 and body["error"]["code"] == "store_unavailable"
    assert chunked_status == 503 and chunked_body["error"]["code"] == "store_unavailable"
    assert await transcript(live, "u-503") == []


async def _chunks(raw: bytes):
    yield raw[:10]
    yield raw[10:]


async def test_stale_future_and_non_numeric_timestamps_are_refused(live):
    """A captured delivery replayed once its dedupe key has lapsed (7 days) must not be accepted:
    only timestamps within WEBHOOK_MAX_SKEW_SECONDS (15 min) of our clock are."""
    now = int(time.time() * 1000)
    for stamp, code in ((str(now - 365 * 24 * 3600 * 1000), "stale_event"),
                        (str(now + 10 * 365 * 24 * 3600 * 1000), "stale_event"),
                        (str(now - 16 * 60 * 1000), "stale_event"), ("not-a-time", "bad_timestamp"),
                        ("-5", "bad_timestamp"), ("1" * 40, "bad_timestamp")):  # fmt: skip
        event = {**text_event("u-stale", "#hotro", f"m-stale-{stamp[:12]}"), "timestamp": stamp}
        status, body = await post(live, *signed(event))
        assert status == 400 and body["error"]["code"] == code, (stamp, body)
    assert await transcript(live, "u-stale") == []
    fresh = {**text_event("u-stale", "#hotro", "m-fresh"), "timestamp": str(now - 14 * 60 * 1000)}
    assert (await post(live, *signed(fresh)))[1]["status"] == "accepted"


def test_the_freshness_window_is_configurable_and_kept_inside_the_dedupe_ttl():
    import pytest
    from pydantic import ValidationError

    assert Settings().webhook_max_skew_seconds == 15 * 60
    assert Settings(webhook_max_skew_seconds=60).webhook_max_skew_seconds == 60
    with pytest.raises(ValidationError, match="WEBHOOK_MAX_SKEW_SECONDS"):
        Settings(webhook_max_skew_seconds=7 * 24 * 3600)


async def test_deeply_nested_json_is_a_400_and_the_mac_is_checked_first(live):
    stamp = now_ms()
    deep = b'{"timestamp":"' + stamp.encode() + b'","x":' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    status, body = await post(live, deep, signed_raw(deep, stamp))
    assert status == 400 and body["error"]["code"] == "malformed_json"
    status, _ = await post(live, deep, signed_raw(deep, stamp, secret="WRONG"))
    assert status == 401  # unsigned: refused before any parsing
