"""What a turn's outbox keeps, as the worker that takes over a half-done turn reads it: how long the
turn is remembered, when a send began and which OA message came last before it."""

from __future__ import annotations

import time

from bot.conv_keys import ConversationKeys, UserKey
from bot.intake.queue import DEDUPE_TTL_SECONDS
from bot.outbox import Outbox, TurnOutbox

SEVEN_DAYS = 7 * 24 * 3600


async def test_a_turn_is_remembered_seven_days_as_long_as_the_intake_remembers_its_event(backend, redis_client):
    """A redelivery of the event within the week finds the turn and repeats nothing; the outbox must
    not be forgotten before the dedupe mark (then a redelivery would be answered again)."""
    keys = ConversationKeys(backend.prefix)
    user = UserKey("oa-marks", "citizen")
    outbox = Outbox(redis_client, keys)
    turn = TurnOutbox(items=[{"message": {"text": "Chào anh"}}], handler="greet", inbound={"msg_id": "m1"})
    stored = await outbox.commit(user, "event-1", turn, lambda pipe: None)
    assert stored is turn
    ttl = await redis_client.ttl(keys.outbox(user, "event-1"))
    assert DEDUPE_TTL_SECONDS == SEVEN_DAYS and SEVEN_DAYS - 10 <= ttl <= SEVEN_DAYS
    loaded = await outbox.load(user, "event-1")
    assert loaded is not None and loaded.items == turn.items and loaded.inbound == turn.inbound


async def test_an_attempt_records_when_the_send_began_and_the_oa_message_before_it(backend, redis_client):
    """A send's attempt mark says when it began (ms since 1970, to compare with the times in Zalo's
    recent conversation) and the id of the OA's last message to the citizen then: '' before the
    first, the id Zalo gave the previous reply after it; a reply Zalo gave no id leaves it as it was.
    The landmark is kept as long as the turns."""
    keys = ConversationKeys(backend.prefix)
    user = UserKey("oa-marks", "citizen2")
    outbox = Outbox(redis_client, keys)
    turn = TurnOutbox(items=[{"message": {"text": "một"}}] * 3, handler="h", inbound={})
    await outbox.commit(user, "event-2", turn, lambda pipe: None)

    began = time.time() * 1000
    await outbox.mark_attempt(user, "event-2", 0)
    first = (await outbox.load(user, "event-2")).attempt(0)
    assert first is not None and first[1] == ""
    assert abs(first[0] - began) < 5_000, (first, began)

    await outbox.mark_sent(user, "event-2", 0, "zalo-msg-1", "zalo-msg-1")
    await outbox.mark_attempt(user, "event-2", 1)
    turn_now = await outbox.load(user, "event-2")
    assert turn_now.sent(0) == "zalo-msg-1" and turn_now.attempt(1)[1] == "zalo-msg-1"
    landmark_ttl = await redis_client.ttl(keys.last_sent(user))
    assert SEVEN_DAYS - 10 <= landmark_ttl <= SEVEN_DAYS

    await outbox.mark_sent(user, "event-2", 1, "undelivered:-230", None)  # no message id from Zalo
    await outbox.mark_attempt(user, "event-2", 2)
    assert (await outbox.load(user, "event-2")).attempt(2)[1] == "zalo-msg-1"
