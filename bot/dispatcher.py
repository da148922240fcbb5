"""Routers per conversation flow, filters beside their handlers, and a dispatcher that asks the
routers in a visible priority order. Handlers receive a Context and return canonical replies."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.conv_keys import UserKey
from bot.replies import Button, Reply
from bot.zalo.events import InboundEvent
from lookup.masking import redact
from lookup.text import fold
from understanding import DialogueContext, Interpretation, default_interpreter, entities
from understanding.evidence import with_catalog
from understanding.followups import with_screen
from understanding.normalize import normalize

MEMORY = "_ctx"  # key in the state data: what the citizen was shown last (survives flow changes)


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
    _interpretation: Interpretation | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return (self.event.text or "").strip()

    @property
    def folded(self) -> str:
        return fold(self.text)

    def set_state(self, state: str | None, **data: Any) -> None:
        """A flow's state and its data; the bot's own keys (`_…`: what was shown last, misses) stay."""
        kept = {k: v for k, v in self.data.items() if k.startswith("_")}
        self.state = state
        self.data = {**kept, **data}

    @property
    def memory(self) -> dict[str, Any]:
        return self.data.get(MEMORY) or {}

    def dialogue_context(self) -> DialogueContext:
        memory = self.memory
        return DialogueContext(
            shown=memory.get("shown"), state=self.state, dossier_code=memory.get("dossier"),
            procedure_code=memory.get("procedure"), list_codes=tuple(memory.get("list") or ()),
            query=memory.get("query"),
        )  # fmt: skip

    @property
    def interpretation(self) -> Interpretation:
        """What the citizen meant, read once per turn (lazily: a security code is never interpreted
        because the flow that asked for it takes the text first)."""
        if self._interpretation is None:
            context = self.dialogue_context()
            reading = default_interpreter().interpret(self.text, context)
            names_procedure = getattr(self.deps, "names_procedure", None)
            if names_procedure is not None:  # the catalog's word where the model was unsure or wrong
                reading = with_catalog(reading, self.text, names_procedure)
            reading = with_screen(reading, self.text, context)  # "lệ phí" after a list: of those
            self._interpretation = reading
        return self._interpretation

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


def intent_is(*intents: str) -> Filter:
    """Text (typed or a button payload) read as one of these intents, confidently enough to act on."""

    def check(ctx: Context) -> bool:
        if not is_text(ctx):
            return False
        interpretation = ctx.interpretation
        return interpretation.intent in intents and not interpretation.ambiguous

    return check


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


class SkipHandler(Exception):  # aiogram's name for the same thing
    """Raised by a handler that looked at the message and leaves it to the next matching one (after
    perhaps changing the state: "thôi, cho hỏi làm sổ đỏ bao lâu" ends the payment, then is asked)."""


class Dispatcher:
    def __init__(self, routers: list[Router]) -> None:
        self.routers = routers

    async def dispatch(self, ctx: Context) -> list[Reply]:
        tapped = _typed_button(ctx)
        if tapped is not None:  # the citizen typed a button's title ("Dưới 14 tuổi"): it is the tap
            ctx.event = ctx.event.model_copy(update={"text": tapped})
            ctx.meta["typed_button"] = True
        for router in self.routers:
            for filters, handler in router.handlers:
                if all(f(ctx) for f in filters):
                    ctx.handler = f"{router.name}.{handler.__name__}"
                    try:
                        replies = await handler(ctx)
                    except SkipHandler:
                        continue
                    _record(ctx)
                    _remember_buttons(ctx, replies)
                    return replies
        ctx.handler = "none"
        return []


BUTTONS = "buttons"  # in the memory: the last replies' query buttons, folded title -> payload


BUTTON_ORDER = "button_order"  # the last reply's buttons as shown: a query button's payload, or None
PICK_WORDS = 5  # "cái thứ 2", "chọn số 3 nhé": a position, not a message of its own


def _typed_button(ctx: Context) -> str | None:
    """The payload of the button the citizen typed: its title ("Dưới 14 tuổi"), or its position
    ("cái thứ 2", "số 3") among the buttons of the last reply, unless a list is on screen (its
    positions are its items')."""
    text = ctx.text
    if not text or text.startswith("#") or len(text) > MAX_TITLE_TYPED:
        return None
    titles = ctx.memory.get(BUTTONS) or {}
    key = _title_key(text)
    typed = titles.get(key)
    if typed is None and key and " " not in key:  # "tiếp" for "Tiếp theo ▶", if no other title starts so
        starting = [payload for title, payload in titles.items() if title.startswith(f"{key} ")]
        typed = starting[0] if len(starting) == 1 else None
    if typed is not None or ctx.memory.get("shown") == "list" or len(text.split()) > PICK_WORDS:
        return typed
    order = ctx.memory.get(BUTTON_ORDER) or []
    position = entities.ordinal(normalize(text))
    if not order or position is None or position > len(order):
        return None
    payload = order[-1] if position == -1 else order[position - 1]
    return payload if isinstance(payload, str) else None


def _title_key(text: str) -> str:
    """A button title as typed: folded, its words only ("Tiếp theo ▶" is "tiep theo")."""
    return " ".join(re.findall(r"\w+", fold(text)))


def _replayable(button: Button) -> bool:
    """A button whose tap typing may stand for: a command the bot answers, holding no phone or ID
    number (the memory keeps it)."""
    return button.kind == "query" and button.payload.startswith("#") and redact(button.payload) == button.payload


def _remember_buttons(ctx: Context, replies: list[Reply]) -> None:
    titles = {
        _title_key(b.title): b.payload
        for reply in replies
        for b in getattr(reply, "buttons", ())
        if _replayable(b) and len(b.title) <= MAX_TITLE_TYPED and redact(b.title) == b.title
    }
    last = next((r for r in reversed(replies) if getattr(r, "buttons", ())), None)
    order = [b.payload if _replayable(b) else None for b in getattr(last, "buttons", ())]
    memory = dict(ctx.memory)
    for key, value in ((BUTTONS, titles), (BUTTON_ORDER, order)):
        if value:
            memory[key] = value
        else:
            memory.pop(key, None)
    ctx.data[MEMORY] = memory


MAX_TITLE_TYPED = 60  # longer text is a message of its own, not a button's title retyped


def _record(ctx: Context) -> None:
    """After the turn: the interpretation for the transcript (when one was made), and what the
    citizen now has in front of them, for the next message's follow-ups ("bao giờ xong", "cái thứ 2")."""
    if ctx._interpretation is not None and not ctx.meta.get("secret"):
        ctx.meta["understood"] = ctx._interpretation.as_meta()
    meta, memory = ctx.meta, dict(ctx.memory)
    if meta.get("outcome") in ("not_found", "throttled", "error"):
        return
    if meta.get("search_results"):
        # The query is kept as the transcript keeps text: phone and ID numbers masked.
        memory.update(shown="list", list=list(meta["search_results"]), query=redact(meta.get("search_query") or ""),
                      page=meta.get("search_page", 1))  # fmt: skip
        memory.pop("procedure", None)  # "lệ phí bao nhiêu" now asks about the list, not an older card
    elif meta.get("procedure_code"):
        memory.update(shown="procedure", procedure=meta["procedure_code"])
    elif meta.get("dossier_code"):
        memory.update(shown="dossier", dossier=meta["dossier_code"])
    elif meta.get("outcome") in ("not_understood", "asked_which", "asked_which_procedure"):
        return  # a misunderstanding does not take away what the citizen was looking at
    else:
        memory["shown"] = None  # something else is on screen now: "bao giờ xong" no longer means that dossier
    ctx.data[MEMORY] = memory
