"""Checks behind the first line. Each test here was written for a plausible bug the rest of the suite
let through when it was planted in a copy of the code (issue 23): a racing second worker, a signed
callback with another amount, a dedupe mark that forgets after minutes, the staff API token on a
console page, an event for another OA, a +84 number left readable. Each is named after the failure
a citizen or an officer would notice."""

from __future__ import annotations

import json
from datetime import datetime

from bot.appkeys import CONVERSATION, REDIS, SETTINGS, TRANSCRIPT
from bot.conv_keys import UserKey
from bot.intake.keys import IntakeKeys
from bot.intake.lease import Leases
from bot.intake.queue import EventQueue
from bot.redis_lock import RedisLock
from bot.web.gateway_emulator import signed_callback
from bot.zalo.events import parse_event
from lookup.masking import redact
from tests.conftest import GATEWAY_SECRET, STAFF
from tests.test_api_dossiers import receive
from tests.test_payments import dossier_awaiting_fees, open_payment
from tests.test_staff import console, csrf_of, login  # noqa: F401 - console is a fixture used here
from tests.test_webhook import OA, post, signed, text_event

PAID_AT = datetime.fromisoformat("2026-11-16T10:00:00+07:00")


async def test_a_second_worker_racing_on_the_same_event_sends_nothing_again(live):
    """During a lease handover two workers can handle one event: both find no turn stored yet, both
    run it. Only the first stored turn counts (its replies are the ones the citizen may have seen);
    the second worker must find it when it stores its own, and send nothing again."""
    await live.act("racer", "follow")
    before = len(await live.oa_messages("racer"))
    event = text_event("racer", "#hotro", "m-racer")
    assert (await post(live, *signed(event)))[1]["status"] == "accepted"
    first = await live.settle("racer", before + 1)
    assert len(first) == before + 1
    conversation = live.app[CONVERSATION]
    original = conversation.outbox.load
    reads = {"n": 0}

    async def read_before_the_first_worker_stored_its_turn(user, key):
        reads["n"] += 1
        return None

    conversation.outbox.load = read_before_the_first_worker_stored_its_turn
    try:
        # The second worker, on the same stream entry (same event, same dedupe key).
        await conversation.handle(json.loads(json.dumps(event)), parse_event(event).dedupe_id)
    finally:
        conversation.outbox.load = original
    assert reads["n"] == 1
    assert await live.settle("racer", len(first) + 1, limit=1.0) == first  # nothing sent twice
    entries = await live.app[TRANSCRIPT].entries(UserKey(OA, "racer"))
    assert sum(e["direction"] == "out" for e in entries) == len(first)  # nor recorded twice
    assert sum(e["direction"] == "in" for e in entries) == 2  # the follow and the message


async def test_a_locked_security_code_says_when_the_lock_ends_and_it_is_within_15_minutes(api):
    """The lock after five wrong codes must end: its counter expires. Without the expiry the lock
    lasts for ever while Retry-After, read from a key with no TTL, says 1 second."""
    created = await receive(api)
    url = f"/api/dossiers/{created['code']}"
    for _ in range(5):
        assert (await api.get(url, headers={"X-Security-Code": "AAAAAAAA"})).status == 403
    locked = await api.get(url, headers={"X-Security-Code": created["security_code"]})
    assert locked.status == 429
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60


async def test_a_signed_callback_with_another_amount_or_dossier_is_refused_and_changes_nothing(api):
    """The platform's signature proves who sent a callback, not that it matches the request: a
    signed callback for less than the fees, or naming another dossier, must not mark them paid."""
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    other = await dossier_awaiting_fees(api)
    url = f"/api/payments/{payment['payment_id']}/callback"

    def body(code: str, amount: int) -> dict:
        return signed_callback(payment["payment_id"], code, amount, "VCB", "00", PAID_AT, GATEWAY_SECRET, "VCB0001")

    less = await api.post(url, json=body(created["code"], payment["amount_vnd"] - 1000))
    assert less.status == 400, await less.text()
    elsewhere = await api.post(url, json=body(other["code"], payment["amount_vnd"]))
    assert elsewhere.status == 400, await elsewhere.text()
    for code in (created["code"], other["code"]):
        view = await (await api.get(f"/api/dossiers/{code}")).json()
        assert view["fees"]["payment_state"] == "Chưa thanh toán" and view["status"]["code"] == 6
    # The matching callback still settles it: the refusals left nothing behind.
    assert (await api.post(url, json=body(created["code"], payment["amount_vnd"]))).status == 200


async def test_an_event_is_known_as_seen_for_a_week_so_a_late_redelivery_is_a_duplicate(backend, redis_client):
    """Zalo redelivers an event it did not see acknowledged, sometimes much later: the mark that
    makes the repeat a duplicate is kept 7 days (a mark kept 10 minutes answered repeats again)."""
    keys = IntakeKeys(backend.prefix, shards=8)
    queue = EventQueue(redis_client, keys)
    user = UserKey(OA, "weekly")
    event = text_event("weekly", "#hotro", "m-weekly")
    assert await queue.accept(user, "msg:m-weekly", event)
    assert not await queue.accept(user, "msg:m-weekly", event)
    remembered = await redis_client.ttl(keys.seen(keys.shard_of(user), "msg:m-weekly"))
    assert 7 * 24 * 3600 - 5 <= remembered <= 7 * 24 * 3600  # the whole week, not a day less


async def test_the_staff_api_token_opens_no_console_page_or_form(api):
    """STAFF_API_TOKEN is for /staff/api/ (the replay CLI reads the sandbox with it). On a console
    page it must lead to the login like no credentials at all, never into a page without a session
    (which answered 500)."""
    page = await api.get("/staff/conversations", headers=STAFF, allow_redirects=False)
    assert page.status == 302 and page.headers["Location"].startswith("/staff/login")
    form = await api.post("/staff/conversations/zalo:1:someone/replay", headers=STAFF, allow_redirects=False)
    assert form.status == 401
    readout = await api.get("/staff/api/sandbox/replay-nobody", headers=STAFF)
    assert readout.status == 200


async def test_an_event_for_another_oa_is_ignored_and_answered_by_nobody(live):
    """A webhook signed with our secret but addressed to another OA (a shared app, a misrouted
    delivery) is acknowledged and dropped: our OA must not answer that OA's citizens."""
    await live.act("other-oa-citizen", "follow")
    before = await live.oa_messages("other-oa-citizen")
    event = text_event("other-oa-citizen", "#hotro", "m-other-oa")
    event["recipient"] = {"id": "1111111111111111111"}
    status, body = await post(live, *signed(event))
    assert status == 200 and body == {"status": "ignored", "reason": "other OA"}
    assert await live.settle("other-oa-citizen", len(before) + 1, limit=1.0) == before
    assert await live.app[TRANSCRIPT].entries(UserKey("1111111111111111111", "other-oa-citizen")) == []


async def test_a_phone_number_written_with_84_is_masked_like_one_with_0(live):
    """Citizens write their number in the international form too: +84 905 123 456 must not stay
    readable in what staff see."""
    for written in ("+84905123456", "+84 905 123 456", "84905123456"):
        assert "905123456" not in redact(written).replace(" ", "") and "123 456" not in redact(written)
    await live.say("intl-number", "gọi cho mình số +84 905 123 456 nhé")
    entries = await live.app[TRANSCRIPT].entries(UserKey(OA, "intl-number"))
    said = next(e for e in entries if e["direction"] == "in")
    assert "123 456" not in said["text"] and "+84 9" not in said["text"]


async def test_a_worker_whose_lease_lapsed_cannot_renew_the_new_holders(backend, redis_client):
    """A worker stalled past its shard lease must learn it lost the shard: renewing must fail, or
    two workers read one shard and a citizen's messages are handled out of order."""
    key = f"{backend.prefix}:lease-test"
    stalled, successor = Leases(redis_client, "worker-a", 200), Leases(redis_client, "worker-b", 10_000)
    assert await stalled.take(key)
    await redis_client.delete(key)  # its lease ran out while it stalled...
    assert await successor.take(key)  # ...and another worker took the shard
    assert not await stalled.renew(key)
    await stalled.give_back(key)
    assert await redis_client.get(key) == "worker-b" and not await stalled.take(key)


async def test_a_citizen_lock_that_lapsed_is_not_released_or_extended_by_its_old_holder(backend, redis_client):
    """A turn that outlived its lock (a stalled worker) must not free or prolong the lock another
    turn of the same citizen now holds: two turns at once would interleave the replies."""
    key = f"{backend.prefix}:lock-test"
    old, new, third = (RedisLock(redis_client, key, ttl_ms=10_000) for _ in range(3))
    assert await old.acquire()
    await redis_client.delete(key)  # the old holder's TTL ran out
    assert await new.acquire()
    assert not await old.extend()
    assert not await old.release()
    assert not await third.acquire()  # still held: by the new turn
    assert await new.extend() and await new.release()
    assert not await new.release()  # released once; a second release frees nothing
    assert not await new.extend()  # nor can a released lock be prolonged
    assert await third.acquire()


async def test_a_console_form_may_carry_its_csrf_token_in_the_header(console):  # noqa: F811 - the fixture
    """Scripts of the console send the token as X-CSRF-Token instead of a form field."""
    await login(console, "viewer1")
    token = await csrf_of(console)
    async with console.post("/staff/logout", headers={"X-CSRF-Token": token}, allow_redirects=False) as r:
        assert r.status == 302
    async with console.get("/staff/conversations", allow_redirects=False) as r:
        assert r.status == 302  # logged out


async def test_an_officer_stays_logged_in_through_a_working_day(console):  # noqa: F811 - the fixture
    """A console session ends after 8 idle hours, not one: the officer is not sent back to the
    login page after lunch. (Sessions live in Redis with that expiry, renewed by every request.)"""
    await login(console, "viewer1")
    async with console.get("/staff/conversations") as r:
        assert r.status == 200
    redis, prefix = console.app[REDIS], console.app[SETTINGS].redis_key_prefix
    sessions = [k async for k in redis.scan_iter(match=f"{prefix}:{{staff}}:session:*")]
    ttls = [await redis.ttl(k) for k in sessions]
    # The whole 8 hours, less the test's own few requests: not 8 hours less some seconds or minutes.
    assert ttls and all(8 * 3600 - 5 <= t <= 8 * 3600 for t in ttls)
