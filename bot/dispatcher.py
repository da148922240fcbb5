"""Routers per conversation flow, filters beside their handlers, and a dispatcher that asks the
routers in a visible priority order. Handlers receive a Context and return canonical replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.conv_keys import UserKey
from bot.replies import Reply
from bot.zalo.events import InboundEvent
from lookup.text import fold


@dataclass
class Context:
    event: InboundEvent
    user: UserKey
    state: str | None
    data: dict[str, Any]
    deps: Any  # bot.conversation.Deps; typed loosely to keep handlers free of the wiring
    now: datetime
    handler: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # what the turn reached, for the transcript

    @property
    def text(self) -> str:
        return (self.event.text or "").strip()

    @property
    def folded(self) -> str:
        return fold(self.text)

    def set_state(self, state: str | None, **data: Any) -> None:
        self.state = state
        self.data = dict(data)

    def command(self) -> tuple[str, str]:
        """For `#keyword args` texts: (`#keyword`, `args`); else ("", "")."""
        if not self.text.startswith("#"):
            return "", ""
        head, _, rest = self.text.partition(" ")
        return head.lower(), rest.strip()


Filter = Callable[[Context], bool]
Handler = Callable[[Context], Awaitable[list[Reply]]]


def event_is(*names: str) -> Filter:
    return lambda ctx: ctx.event.event_name in names


def command_is(*keywords: str) -> Filter:
    wanted = {k.lower() for k in keywords}
    return lambda ctx: ctx.command()[0] in wanted


def state_is(*states: str) -> Filter:
    return lambda ctx: ctx.state in states


def text_folded_in(*phrases: str) -> Filter:
    wanted = {fold(p) for p in phrases}
    return lambda ctx: ctx.event.event_name == "user_send_text" and ctx.folded in wanted


def text_folded_has(*phrases: str) -> Filter:
    """The folded text holds one of the phrases as whole words ("tôi muốn gặp cán bộ")."""
    wanted = [f" {fold(p)} " for p in phrases]
    return lambda ctx: ctx.event.event_name == "user_send_text" and any(w in f" {ctx.folded} " for w in wanted)


def is_text(ctx: Context) -> bool:
    return ctx.event.event_name == "user_send_text" and bool(ctx.text)


def is_free_text(ctx: Context) -> bool:
    """Typed text, not a menu or button command: what a state's catch-all may take."""
    return is_text(ctx) and not ctx.text.startswith("#")


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.handlers: list[tuple[tuple[Filter, ...], Handler]] = []

    def on(self, *filters: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.handlers.append((filters, handler))
            return handler

        return register


class Dispatcher:
    def __init__(self, routers: list[Router]) -> None:
        self.routers = routers

    async def dispatch(self, ctx: Context) -> list[Reply]:
        for router in self.routers:
            for filters, handler in router.handlers:
                if all(f(ctx) for f in filters):
                    ctx.handler = f"{router.name}.{handler.__name__}"
                    return await handler(ctx)
        ctx.handler = "none"
        return []
