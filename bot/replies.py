"""Canonical reply objects. Handlers return these; `bot.zalo.render` alone turns them into Zalo's
body shapes, so handlers never know the wire format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ButtonKind = Literal["query", "query_hide", "url", "phone"]


@dataclass(frozen=True)
class Button:
    title: str
    payload: str  # the text sent back for query buttons, the URL or the phone number otherwise
    kind: ButtonKind = "query"


@dataclass(frozen=True)
class Text:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class ListItem:
    title: str
    subtitle: str = ""
    image_url: str | None = None
    action: Button | None = None


@dataclass(frozen=True)
class ListReply:
    items: tuple[ListItem, ...]
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Image:
    """An image the OA sends: PNG or JPEG bytes, uploaded before sending."""

    data: bytes
    content_type: str = "image/png"
    caption: str = ""


Reply = Text | ListReply | Image
