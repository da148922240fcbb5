"""Telling followers: when staff move a dossier or the gateway settles a payment, the web process
composes the notice and queues it as an internal event in each follower's intake shard. A worker
delivers it like any turn: in the citizen's order, once (the event key is the change), within
Zalo's interaction window or held until the citizen next writes (`Conversation._notice`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError

from bot.conv_keys import UserKey
from bot.following import Following
from bot.intake.queue import EventQueue
from bot.redis_lock import RedisLock
from bot.replies import Button, Text
from handlers.notices import payment_notice, status_notice
from lookup.dossier import Dossier, Payment, PaymentState
from lookup.dossier_store import DossierNotFound
from lookup.dossiers import DossierService
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
        self.redis = following.redis
        self.pending_key = following.keys.announcements_pending()

    @contextlib.asynccontextmanager
    async def announcing(self, code: str) -> AsyncIterator[None]:
        """Around a change and its announcement. The dossier (its slot) and the followers' intake
        (theirs) cannot share a transaction, so the code is noted as owed first and cleared after;
        a process that dies in between leaves it noted, and `sweep` announces it later."""
        await self.redis.zadd(self.pending_key, {code: time.time()})
        try:
            yield
        finally:  # announced, or the change was refused: nothing is owed either way
            await self.redis.zrem(self.pending_key, code)

    async def sweep(self, dossiers: DossierService, older_than: float = 30.0) -> int:
        """Announce what a dead process owed: the dossier's current status to its followers and the
        outcome of its settled payments to their payers. Keys make every notice once-only, so a
        notice that did go out is not sent again."""
        owed = await self.redis.zrangebyscore(self.pending_key, 0, time.time() - older_than)
        for code in owed:
            try:
                dossier = await dossiers.get(code)
            except DossierNotFound:
                dossier = None
            if dossier is not None:
                await self.dossier_moved(dossier)
                for payment in dossier.payments:
                    if payment.state in (PaymentState.DA_THANH_TOAN, PaymentState.HUY_THANH_TOAN):
                        await self.payment_settled(dossier, payment, status_changed=False)
            await self.redis.zrem(self.pending_key, code)
            log.warning("announced a change a stopped process had left unannounced")
        return len(owed)

    async def sweep_forever(self, dossiers: DossierService, every: float = 15.0) -> None:
        """One worker at a time (a lock), every `every` seconds, whatever Redis does meanwhile."""
        lock_key = f"{self.pending_key}:sweeping"
        while True:
            await asyncio.sleep(every)
            try:
                lock = RedisLock(self.redis, lock_key, ttl_ms=int(every * 2000))
                if await lock.acquire():
                    try:
                        await self.sweep(dossiers)
                    finally:
                        await lock.release()
            except (RedisError, OSError) as exc:
                log.warning("announcement sweep failed (%s); trying again later", type(exc).__name__)

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
