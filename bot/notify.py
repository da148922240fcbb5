"""Telling followers: when staff move a dossier or the gateway settles a payment, the web process
composes the notice and queues it as an internal event in each follower's intake shard. A worker
delivers it like any turn: in the citizen's order, once (the event key is the change), within
Zalo's interaction window or held until the citizen next writes (`Conversation._notice`)."""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.conv_keys import UserKey
from bot.following import Following
from bot.intake.queue import EventQueue
from bot.replies import Button, Text
from handlers.notices import payment_notice, status_notice
from lookup.dossier import Dossier, Payment
from lookup.province import Province

log = logging.getLogger(__name__)
NOTICE_EVENT = "tracuu_notice"  # not a Zalo event name: Zalo never sends it, the signature check keeps it ours


def notice_body(text: Text) -> dict[str, Any]:
    return {"text": text.text, "buttons": [[b.title, b.payload, b.kind] for b in text.buttons]}


def notice_reply(body: dict[str, Any]) -> Text:
    return Text(body["text"], tuple(Button(title, payload, kind) for title, payload, kind in body.get("buttons", [])))


class Notifier:
    def __init__(self, queue: EventQueue, following: Following, province: Province, base_url: str) -> None:
        self.queue = queue
        self.following = following
        self.province = province
        self.base_url = base_url

    async def dossier_moved(self, dossier: Dossier, skip: UserKey | None = None) -> int:
        """Queue the new status for every follower; returns how many were queued."""
        body = notice_body(status_notice(dossier, self.province))
        key = f"notice:status:{dossier.code}:{len(dossier.timeline)}"
        followers = [u for u in await self.following.followers(dossier.code) if u != skip]
        for user in followers:
            await self._queue(user, key, body)
        return len(followers)

    async def payment_settled(self, dossier: Dossier, payment: Payment, status_changed: bool) -> None:
        """The payer (who opened the payment in the chat) hears the outcome with the receipt link;
        other followers hear about the dossier's new status, if it moved."""
        payer = await self.following.payer_of(payment.id)
        if payer is not None:
            body = notice_body(payment_notice(dossier, payment, self.base_url))
            await self._queue(payer, f"notice:payment:{payment.id}:{payment.state.name}", body)
        if status_changed:
            await self.dossier_moved(dossier, skip=payer)

    async def _queue(self, user: UserKey, key: str, body: dict[str, Any]) -> None:
        event = {"event_name": NOTICE_EVENT, "sender": {"id": user.user_id}, "recipient": {"id": user.oa_id},
                 "timestamp": str(int(time.time() * 1000)), "notice": body}  # fmt: skip
        await self.queue.accept(user, key, event)
