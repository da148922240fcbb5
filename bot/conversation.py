"""One turn of a conversation: parse the queued event, load the user's state, dispatch, store the
new state with the replies (the turn's outbox), send them through the OA API, and record both halves
in the transcript. Runs under the user's lock, called by a worker (see `bot.intake.worker`)."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot import metrics
from bot.conv_keys import UserKey
from bot.dispatcher import Context, Dispatcher
from bot.following import FREE_WINDOW_SECONDS, WINDOW_SECONDS, Following
from bot.handoff import Handoffs
from bot.notify import NOTICE_EVENT, notice_reply
from bot.outbox import Outbox, TurnOutbox, image_of, to_items
from bot.redis_conn import is_store_failure
from bot.redis_lock import RedisLock
from bot.replay.sandbox import Sandbox, is_sandbox
from bot.replies import Button, Reply, Text
from bot.state import ConversationState
from bot.throttle import Throttle
from bot.transcript import Transcript
from bot.zalo.events import InboundEvent, parse_event
from bot.zalo.oa_client import RATE_LIMITED, SERVER_ERROR, OAClient, OAError
from bot.zalo.render import render
from handlers.content import Content
from handlers.handoff import OFFER
from lookup.catalog import Catalog
from lookup.dossiers import DossierService
from lookup.masking import mask_secret
from lookup.payments import PaymentService
from lookup.province import Province
from lookup.search import Hit
from lookup.text import fold
from understanding.evidence import NamesProcedure

log = logging.getLogger(__name__)

CLOCK_SKEW_MS = 1000
TOO_FAST = Text(
    "Bạn đang gửi tin nhắn nhanh quá nên hệ thống tạm dừng trả lời trong ít phút. "
    "Bạn vui lòng đợi khoảng 1 phút rồi gửi lại nhé."
)
SORRY = Text(
    "Xin lỗi, hệ thống đang gặp sự cố nên chưa trả lời được. Bạn vui lòng thử lại sau ít phút, "
    'hoặc bấm "Hỗ trợ" để gọi tổng đài.',
    (Button("Hỗ trợ", "#hotro"),),
)


@dataclass(frozen=True)
class Deps:
    """What handlers may use: the domain and a few bot services, never Redis or HTTP directly."""

    dossiers: DossierService
    catalog: Catalog
    province: Province
    throttle: Throttle
    content: Content
    search: Callable[[str, int, int], list[str]]  # (query, limit, offset) -> procedure codes
    read_photo: Callable[[str], Awaitable[list[str]]]
    payments: PaymentService
    following: Following
    handoffs: Handoffs
    base_url: str  # of links sent to citizens (pay pages, receipts)
    # What "mã hồ sơ có dạng …" shows: a demo dossier in demo mode (typing it finds one), else a code
    # in the province's notation. The fixed example used to be a code that did not exist anywhere.
    example_code: str
    # (words, n) -> the best procedures even when none is credible, for "did you mean …?"
    suggest: Callable[[str, int], list[Hit]] | None = None
    # words -> how surely they name one procedure (the catalog overriding a doubtful reading)
    names_procedure: NamesProcedure | None = None


# What a citizen waiting for a person sends to have the bot back: a menu or button tap (a command),
# or words that cancel. Anything else is for the officer, and the bot stays quiet.
_BACK_TO_THE_BOT = frozenset({"menu", "huy", "thoi", "quay lai", "tro lai", "tro ve", "thoat", "gap bot",
                              "huy gap can bo", "khong can nua", "thoi khong can", "quay lai voi bot",
                              "quay lai bot"})  # fmt: skip


def takes_the_bot_back(text: str | None) -> bool:
    typed = (text or "").strip()
    command = re.match(r"#\w+", typed)
    if command:  # a menu or button tap ("# em gửi ảnh" is a message)
        return command.group(0).lower() != "#gapcanbo"
    return " ".join(fold(typed).split()).strip(" .!") in _BACK_TO_THE_BOT


class UserBusy(RuntimeError):
    """Another worker holds this citizen's lock for too long; the event is tried again later."""


class Conversation:
    def __init__(self, dispatcher: Dispatcher, deps: Deps, state: ConversationState, transcript: Transcript,
                 oa: OAClient, clock: Callable[[], datetime], sandbox: Sandbox, outbox: Outbox,
                 lock_for: Callable[[UserKey], RedisLock], messages_per_minute: int = 20) -> None:  # fmt: skip
        self.dispatcher = dispatcher
        self.deps = deps
        self.state = state
        self.transcript = transcript
        self.oa = oa
        self.clock = clock
        self.sandbox = sandbox
        self.outbox = outbox
        self.lock_for = lock_for
        self.messages_per_minute = messages_per_minute
        self.sandbox_deps = sandbox.isolate(deps)  # a replay's sandbox users never touch real data

    def deps_for(self, user: UserKey) -> Deps:
        """The handlers' dependencies for this citizen: security-code checks counted for them (per
        Zalo user, not for everyone), and a sandbox user's kept apart from real data."""
        sandbox = is_sandbox(user)
        deps = self.sandbox_deps if sandbox else self.deps
        client = deps.dossiers.for_client(f"zalo:{user.user_id}", "sandbox" if sandbox else "")
        return replace(deps, dossiers=client)

    async def handle(self, raw: dict[str, Any], event_key: str | None = None) -> None:
        """One queued event, start to end. Safe to call again for the same event: the stored turn
        is resumed, not run again (see `bot.outbox`)."""
        event = parse_event(raw)
        user = UserKey(event.oa_id, event.user_id)
        key = event_key or event.dedupe_id
        started = time.monotonic()
        async with self._citizen(user):
            if event.event_name == NOTICE_EVENT:
                await self._notice(user, key, raw["notice"])
                return
            turn = await self.outbox.load(user, key) or await self._run_turn(user, key, event)
            if not turn.inbound_recorded:
                secret = (turn.inbound.get("meta") or {}).get("secret")
                text = mask_secret(event.text) if secret and event.text else event.text
                await self.transcript.record(user, "in", event.event_name, text=text, handler=turn.handler,
                                             body=turn.inbound)  # fmt: skip
                await self.outbox.mark(user, key, "in_recorded", "1")
            await self._deliver(user, key, turn)
            if event.from_user:
                await self._release_held_notices(user)
        metrics.HANDLER_SECONDS.labels(turn.handler or "none").observe(time.monotonic() - started)

    async def push(self, user: UserKey, replies: list[Reply], handler: str, key: str) -> TurnOutbox:
        """Messages the bot starts (a notice), not a reply to an event: sent at most once per `key`,
        under the citizen's lock so that they never interleave with a turn's replies. The returned
        outbox says what was delivered (`sent:i` marks)."""
        async with self._citizen(user):
            return await self._push_held(user, replies, handler, key)

    async def _push_held(self, user: UserKey, replies: list[Reply], handler: str, key: str) -> TurnOutbox:
        """`push` for a caller already holding the citizen's lock."""
        turn = await self.outbox.load(user, key) or await self.outbox.commit(
            user, key, TurnOutbox(to_items(replies), handler, {"pushed": True}),
            lambda pipe: None,
        )  # fmt: skip
        await self._deliver(user, key, turn)
        return turn

    async def _notice(self, user: UserKey, key: str, notice: dict[str, Any]) -> None:
        """A dossier or payment notice for a follower: sent inside Zalo's interaction window (7 days
        from the citizen's last message), otherwise held and sent when they next write."""
        deps = self.deps_for(user)
        last = await deps.following.last_seen(user)
        if last is None or self.clock().timestamp() - last > WINDOW_SECONDS:
            if not await self.outbox.load(user, key):
                await deps.following.hold(user, key, notice)
                await self.outbox.commit(user, key, TurnOutbox([], "notice.held", {"pushed": True}), lambda p: None)
                metrics.NOTICES.labels("held").inc()
            return
        turn = await self._push_held(user, [notice_reply(notice)], "notice", key)
        if _undelivered(turn):  # Zalo's clock says the window closed: keep it for their next message
            await deps.following.hold(user, key, notice)
            metrics.NOTICES.labels("held").inc()
        else:
            # Between 48 h and 7 days Zalo charges the OA for the message: counted apart for the budget.
            free = self.clock().timestamp() - last <= FREE_WINDOW_SECONDS
            metrics.NOTICES.labels("sent" if free else "sent_charged").inc()

    async def _release_held_notices(self, user: UserKey) -> None:
        following = self.deps_for(user).following
        for item in await following.held(user):
            turn = await self._push_held(user, [notice_reply(item["notice"])], "notice", f"{item['key']}:held")
            if _undelivered(turn):
                return
            await following.release(user, item)
            metrics.NOTICES.labels("sent_later").inc()

    @contextlib.asynccontextmanager
    async def _citizen(self, user: UserKey) -> AsyncIterator[None]:
        """The citizen's lock for one turn or notice; a dead holder's lock frees itself in seconds."""
        lock = self.lock_for(user)
        async with lock.held(wait=3 * lock.ttl_ms / 1000) as taken:
            if not taken:
                raise UserBusy("the citizen's lock is held elsewhere")
            yield

    async def _run_turn(self, user: UserKey, key: str, event: InboundEvent) -> TurnOutbox:
        state, data = await self.state.load(user)
        deps = self.deps_for(user)
        ctx = Context(event=event, user=user, state=state, data=data, deps=deps, now=self.clock())
        if event.from_user:
            await deps.following.saw(user, ctx.now.timestamp())
        replies = await self._too_fast(ctx)
        if replies is None and event.from_user and await deps.handoffs.active(user):
            if takes_the_bot_back(event.text):
                # The citizen tapped the menu or said "hủy": back to the bot (found trying the bot as
                # a citizen: out of office hours a handoff left every tap unanswered until morning).
                await deps.handoffs.end(user)
                ctx.meta["handoff_ended_by"] = "citizen"
            else:
                # A person answers this citizen now: the bot only listens (the console shows the message).
                await deps.handoffs.touch(user, ctx.now.timestamp())
                ctx.handler, ctx.meta["flow"] = "handoff.waiting", "handoff"
                replies = []
        if replies is None:
            misses = int(data.get("_misses", 0))
            try:
                replies = await self.dispatcher.dispatch(ctx)
            except Exception as exc:
                if is_store_failure(exc):
                    raise  # the store is away, not the handler broken: the worker tries the event again
                log.exception("handler %s failed on %s", ctx.handler, event.event_name)
                ctx.meta["outcome"] = "error"
                replies = [SORRY]
            replies = self._offer_a_person(ctx, replies, misses)
        turn = TurnOutbox(to_items(replies), ctx.handler, _inbound_summary(event, ctx.meta))
        return await self.outbox.commit(user, key, turn, lambda pipe: self.state.queue_save(pipe, user, ctx.state,
                                                                                            ctx.data))  # fmt: skip

    @staticmethod
    def _offer_a_person(ctx: Context, replies: list[Reply], misses: int) -> list[Reply]:
        """Two messages in a row the bot did not understand: offer a person."""
        if ctx.meta.get("outcome") != "not_understood":
            ctx.data.pop("_misses", None)
            return replies
        ctx.data["_misses"] = misses + 1
        if misses + 1 < 2:
            return replies
        ctx.meta["handoff_offered"] = True
        return [*replies, Text("Có vẻ mình chưa giúp được bạn. Bạn có muốn trao đổi với cán bộ hỗ trợ không?",
                               (OFFER, Button("Hỗ trợ", "#hotro")))]  # fmt: skip

    async def _too_fast(self, ctx: Context) -> list[Reply] | None:
        """Past the per-minute budget a citizen is told once to slow down, then not answered until
        the minute is over: one person (or script) cannot make the OA spend its send quota."""
        if not ctx.event.event_name.startswith("user_send"):
            return None
        count = await self.deps.throttle.hit(ctx.user, "messages", 60)
        if count <= self.messages_per_minute:
            return None
        ctx.handler = "rate_limit"
        ctx.meta["outcome"] = "throttled"
        metrics.RATE_LIMITED.labels("messages_per_minute").inc()
        return [TOO_FAST] if count == self.messages_per_minute + 1 else []

    async def _deliver(self, user: UserKey, key: str, turn: TurnOutbox) -> None:
        """Send the turn's replies not sent yet, in order. While the OA's authorization is lost this
        raises AuthorizationLost before a reply is begun (the worker holds the event); a reply held
        past Zalo's window (7 days since the citizen last wrote) is recorded as not sent."""
        window_checked = False
        for i, item in enumerate(turn.items):
            if turn.sent(i):
                metrics.OUTBOUND_SKIPPED.inc()
                continue
            if is_sandbox(user):
                message = item.get("message") or render(image_of(item), "sandbox-image")[0]
                await self.sandbox.capture(user, message)
                await self._sent(user, key, turn, i, message, "captured")
                continue
            await self.oa.ensure_authorized()
            if not window_checked:
                window_checked = True
                last = await self.deps.following.last_seen(user)
                if last is not None and self.clock().timestamp() - last > WINDOW_SECONDS:
                    # Zalo would refuse it (-230); its moment has passed anyway: skipped, with a record.
                    metrics.OUTBOUND_ERRORS.labels("window").inc()
                    await self._sent(user, key, turn, i, item.get("message") or {}, "undelivered:window",
                                     error="không gửi: đã quá 7 ngày kể từ tin nhắn cuối của người dân")  # fmt: skip
                    return
            attempt = turn.attempt(i)
            if attempt is not None and (message_id := await self._delivered_since(user, item, *attempt, turn)):
                # The worker that began this send died before noting it; Zalo has the message.
                metrics.OUTBOUND_SKIPPED.inc()
                await self._sent(user, key, turn, i, item.get("message") or {}, message_id, sent_id=message_id)
                continue
            await self.outbox.mark_attempt(user, key, i)
            try:
                message = await self._wire(user, key, turn, i, item)
                result = await self.oa.send(user.user_id, message)
            except OAError as exc:
                metrics.OUTBOUND_ERRORS.labels(str(exc.code)).inc()
                if exc.code in (RATE_LIMITED, SERVER_ERROR):
                    raise  # Zalo's side is struggling: the event stays queued and is tried again
                log.error("sending a reply failed: Zalo error %s", exc.code)
                await self._sent(user, key, turn, i, {}, f"failed:{exc.code}", error=f"send failed: {exc.code}")
                return
            if not result.ok:
                metrics.OUTBOUND_ERRORS.labels(str(result.error)).inc()
                log.warning("reply not delivered (Zalo error %s); not retried", result.error)
                await self._sent(user, key, turn, i, message, f"undelivered:{result.error}",
                                 error=f"not delivered: {result.error}")  # fmt: skip
                return
            metrics.OUTBOUND_SENT.inc()
            await self._sent(user, key, turn, i, message, result.message_id or "sent", sent_id=result.message_id)
        if is_sandbox(user) and "done" not in turn.marks:
            await self.sandbox.turn_done(user, turn.inbound.get("msg_id", ""))
            await self.outbox.mark(user, key, "done", "1")

    async def _sent(self, user: UserKey, key: str, turn: TurnOutbox, i: int, message: dict[str, Any], mark: str,
                    error: str | None = None, sent_id: str | None = None) -> None:  # fmt: skip
        await self.outbox.mark_sent(user, key, i, mark, sent_id)
        turn.marks[f"sent:{i}"] = mark
        await self.transcript.record(user, "out", "message", text=message.get("text"), handler=turn.handler,
                                     body=message or None, error=error)  # fmt: skip

    async def _wire(self, user: UserKey, key: str, turn: TurnOutbox, i: int, item: dict[str, Any]) -> dict[str, Any]:
        if "message" in item:
            return item["message"]
        attachment_id = turn.marks.get(f"attachment:{i}")
        if attachment_id is None:
            image = image_of(item)
            attachment_id = await self.oa.upload_image(image.data, image.content_type)
            await self.outbox.mark(user, key, f"attachment:{i}", attachment_id)
            turn.marks[f"attachment:{i}"] = attachment_id
        return render(image_of(item), attachment_id)[0]

    async def _delivered_since(self, user: UserKey, item: dict[str, Any], since_ms: int, before_id: str,
                               turn: TurnOutbox) -> str | None:  # fmt: skip
        """Zalo's message id if the OA's recent conversation with the citizen holds this reply after
        `before_id` (the OA's latest message when the send began) and it is not already one of this
        turn's replies; None when it is not there, or Zalo says it cannot tell. Without a landmark
        (the first message ever), messages since `since_ms` less a little clock skew count."""
        try:
            recent = await self.oa.recent_messages(user.user_id)
        except OAError as exc:
            if exc.code in (RATE_LIMITED, SERVER_ERROR):
                raise  # Zalo will be able to say in a moment: ask again then rather than risk a double
            log.warning("Zalo cannot say whether an interrupted send arrived (error %s); sending it", exc.code)
            return None
        known = {v for k, v in turn.marks.items() if k.startswith("sent:")}
        message = item.get("message") or {}
        text = message.get("text") or item.get("caption") or ""
        template = "attachment" in message or "image" in item
        for entry in recent:  # newest first
            entry_id = str(entry.get("message_id") or "")
            if before_id and entry_id == before_id:
                return None  # back at what had been sent before this attempt began
            if not before_id and int(entry.get("time", 0)) < since_ms - CLOCK_SKEW_MS:
                return None
            if entry.get("src") != 0 or entry_id in known:
                continue
            if (entry.get("message") or "") == text and (entry.get("type") != "text") == template:
                return entry_id or "recovered"
        return None


def _undelivered(turn: TurnOutbox) -> bool:
    return any(v.startswith("undelivered:") for k, v in turn.marks.items() if k.startswith("sent:"))


def _inbound_summary(event: InboundEvent, meta: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"event_name": event.event_name, "meta": meta}
    if event.attachments:
        summary["attachments"] = [a.model_dump(exclude_none=True) for a in event.attachments]
    if event.msg_id:
        summary["msg_id"] = event.msg_id
    return summary
