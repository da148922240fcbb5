"""One turn of a conversation: parse the queued event, load the user's state, dispatch, save,
send the replies through the OA API, and record both halves in the transcript. Runs only under the
user's lock (see `bot.inbox`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.conv_keys import UserKey
from bot.dispatcher import Context, Dispatcher
from bot.replay.sandbox import Sandbox, is_sandbox
from bot.replies import Button, Image, Reply, Text
from bot.state import ConversationState
from bot.throttle import Throttle
from bot.transcript import Transcript
from bot.zalo.events import InboundEvent, parse_event
from bot.zalo.oa_client import OAClient, OAError
from bot.zalo.render import render
from handlers.content import Content
from lookup.catalog import Catalog
from lookup.dossiers import DossierService
from lookup.province import Province

log = logging.getLogger(__name__)

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


class Conversation:
    def __init__(self, dispatcher: Dispatcher, deps: Deps, state: ConversationState, transcript: Transcript,
                 oa: OAClient, clock: Callable[[], datetime], sandbox: Sandbox) -> None:  # fmt: skip
        self.dispatcher = dispatcher
        self.deps = deps
        self.state = state
        self.transcript = transcript
        self.oa = oa
        self.clock = clock
        self.sandbox = sandbox

    async def handle(self, raw: dict[str, Any]) -> None:
        event = parse_event(raw)
        user = UserKey(event.oa_id, event.user_id)
        state, data = await self.state.load(user)
        ctx = Context(event=event, user=user, state=state, data=data, deps=self.deps, now=self.clock())
        try:
            replies = await self.dispatcher.dispatch(ctx)
        except Exception:
            log.exception("handler %s failed on %s", ctx.handler, event.event_name)
            ctx.meta["outcome"] = "error"
            replies = [SORRY]
        await self.transcript.record(user, "in", event.event_name, text=event.text, handler=ctx.handler,
                                     body=_inbound_summary(event, ctx.meta))  # fmt: skip
        await self.state.save(user, ctx.state, ctx.data)
        if is_sandbox(user):
            await self._capture(user, replies, ctx.handler)
            await self.sandbox.turn_done(user, event.msg_id or "")
            return
        await self.send(user, replies, ctx.handler)

    async def _capture(self, user: UserKey, replies: list[Reply], handler: str) -> None:
        """A replay's turn: the replies exactly as they would be sent, kept instead of sent."""
        for reply in replies:
            for message in render(reply, "sandbox-image" if isinstance(reply, Image) else None):
                await self.sandbox.capture(user, message)
                await self.transcript.record(user, "out", "message", text=message.get("text"), handler=handler,
                                             body=message)  # fmt: skip

    async def send(self, user: UserKey, replies: list[Reply], handler: str) -> None:
        for reply in replies:
            try:
                attachment_id = None
                if isinstance(reply, Image):
                    attachment_id = await self.oa.upload_image(reply.data, reply.content_type)
                for message in render(reply, attachment_id):
                    result = await self.oa.send(user.user_id, message)
                    await self.transcript.record(
                        user, "out", "message", text=message.get("text"), handler=handler, body=message,
                        error=None if result.ok else f"not delivered: {result.error}",
                    )  # fmt: skip
                    if not result.ok:
                        log.warning("reply not delivered (Zalo error %s); not retried", result.error)
                        return
            except OAError as exc:
                log.error("sending a reply failed: Zalo error %s", exc.code)
                await self.transcript.record(user, "out", "message", handler=handler, error=f"send failed: {exc.code}")
                return


def _inbound_summary(event: InboundEvent, meta: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"event_name": event.event_name, "meta": meta}
    if event.attachments:
        summary["attachments"] = [a.model_dump(exclude_none=True) for a in event.attachments]
    if event.msg_id:
        summary["msg_id"] = event.msg_id
    return summary
