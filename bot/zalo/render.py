"""Canonical replies -> Zalo OA v3 customer-service message bodies (`message` objects).

Shapes: plain `{"text"}`; text with buttons as `attachment.type=template` whose payload holds
`buttons` (`oa.query.show` / `oa.query.hide` with a text payload, `oa.open.url` with `{"url"}`,
`oa.open.phone` with `{"phone_code"}`); lists as `template_type=list` with `elements`; images as
`template_type=media` with an uploaded `attachment_id`."""

from __future__ import annotations

from typing import Any

from bot.replies import Button, Image, ListReply, Reply, Text
from lookup.text import shorten

# Zalo's documented limits for customer-service messages (see the emulator, which refuses more).
MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_QUERY_PAYLOAD = 1000
MAX_LIST_ITEMS = 5
MAX_ITEM_TITLE = 100
MAX_SUBTITLE = 500


def render_button(button: Button) -> dict[str, Any]:
    title = shorten(button.title, MAX_BUTTON_TITLE)
    match button.kind:
        case "query":
            return {"title": title, "type": "oa.query.show", "payload": button.payload[:MAX_QUERY_PAYLOAD]}
        case "query_hide":
            return {"title": title, "type": "oa.query.hide", "payload": button.payload[:MAX_QUERY_PAYLOAD]}
        case "url":
            return {"title": title, "type": "oa.open.url", "payload": {"url": button.payload}}
        case "phone":
            digits = "".join(ch for ch in button.payload if ch.isdigit())
            return {"title": title, "type": "oa.open.phone", "payload": {"phone_code": digits}}
    raise ValueError(f"unknown button kind {button.kind}")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Zalo refuses texts over 2000 characters: cut at paragraph, then line, then word breaks."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    chunks.append(rest)
    return chunks


def render(reply: Reply, attachment_id: str | None = None) -> list[dict[str, Any]]:
    """The `message` objects for one reply (a long text becomes several; buttons go on the last)."""
    match reply:
        case Text(text=text, buttons=buttons):
            messages: list[dict[str, Any]] = [{"text": chunk} for chunk in split_text(text)]
            if buttons:
                messages[-1]["attachment"] = {
                    "type": "template",
                    "payload": {"buttons": [render_button(b) for b in buttons[:MAX_BUTTONS]]},
                }
            return messages
        case ListReply(items=items, buttons=buttons):
            elements = []
            for item in items[:MAX_LIST_ITEMS]:
                element: dict[str, Any] = {"title": shorten(item.title, MAX_ITEM_TITLE),
                                           "subtitle": shorten(item.subtitle, MAX_SUBTITLE)}  # fmt: skip
                if item.image_url:
                    element["image_url"] = item.image_url
                if item.action:
                    element["default_action"] = _default_action(item.action)
                elements.append(element)
            payload: dict[str, Any] = {"template_type": "list", "elements": elements}
            if buttons:
                payload["buttons"] = [render_button(b) for b in buttons[:MAX_BUTTONS]]
            return [{"attachment": {"type": "template", "payload": payload}}]
        case Image(caption=caption):
            if attachment_id is None:
                raise ValueError("an image must be uploaded before it is rendered")
            element = {"media_type": "image", "attachment_id": attachment_id}
            payload = {"template_type": "media", "elements": [element]}
            message: dict[str, Any] = {"attachment": {"type": "template", "payload": payload}}
            if caption:
                message["text"] = caption[:MAX_TEXT]
            return [message]
    raise TypeError(f"not a reply: {reply!r}")


def _default_action(button: Button) -> dict[str, Any]:
    rendered = render_button(button)
    action = {"type": rendered["type"]}
    if isinstance(rendered["payload"], dict):
        action.update(rendered["payload"])
    else:
        action["payload"] = rendered["payload"]
    return action
