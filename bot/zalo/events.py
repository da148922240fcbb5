"""Zalo OA webhook events, parsed into one normalised shape the dispatcher works with.

Ids are strings. Text, menu taps and `oa.query.*` button taps all arrive as `user_send_text`.
`follow`/`unfollow` carry `follower.id` and no msg_id; `user_click_chatnow` a flat `user_id`; the
OA's own `oa_send_*` echoes have the OA as sender and must be ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

USER_MEDIA_EVENTS = frozenset({
    "user_send_file", "user_send_sticker", "user_send_gif", "user_send_audio", "user_send_video",
    "user_send_link", "user_send_location",
})  # fmt: skip
RECEIPT_EVENTS = frozenset({"user_received_message", "user_seen_message"})


class MalformedEvent(ValueError):
    """The JSON is valid but is not a Zalo event we can attribute to a user."""


class Attachment(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str | None = None
    url: str | None = None
    thumbnail: str | None = None


class InboundEvent(BaseModel):
    event_name: str
    app_id: str | None = None
    oa_id: str
    user_id: str
    timestamp: str
    msg_id: str | None = None
    text: str | None = None
    attachments: list[Attachment] = []
    info: dict[str, Any] | None = None
    source: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @property
    def is_echo(self) -> bool:
        return self.event_name.startswith("oa_send_")

    @property
    def is_receipt(self) -> bool:
        return self.event_name in RECEIPT_EVENTS

    @property
    def from_user(self) -> bool:
        """The citizen did something (wrote, tapped, followed): Zalo's interaction window restarts."""
        return self.event_name.startswith("user_send") or self.event_name in (
            "follow", "user_click_chatnow", "user_submit_info")  # fmt: skip

    @property
    def dedupe_id(self) -> str:
        """Identical for redeliveries of one event: msg_id where Zalo gives one, otherwise the
        user, the event and the timestamp (follow events carry no msg_id)."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"{self.event_name}:{self.user_id}:{self.timestamp}"


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise MalformedEvent(f"expected an id string, got {type(value).__name__}")


def parse_event(body: Any) -> InboundEvent:
    """Normalise one webhook body; raises MalformedEvent when it names no user or event."""
    if not isinstance(body, dict):
        raise MalformedEvent("the event is not a JSON object")
    name = body.get("event_name")
    if not isinstance(name, str) or not name:
        raise MalformedEvent("event_name is missing")
    sender = body.get("sender") if isinstance(body.get("sender"), dict) else {}
    recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
    follower = body.get("follower") if isinstance(body.get("follower"), dict) else {}
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    if name.startswith("oa_send_"):
        user_id, oa_id = _str(recipient.get("id")), _str(sender.get("id"))
    else:
        user_id = _str(sender.get("id")) or _str(follower.get("id")) or _str(body.get("user_id"))
        oa_id = _str(recipient.get("id")) or _str(body.get("oa_id"))
    if not user_id or not oa_id:
        raise MalformedEvent(f"{name} names no user or no OA")
    timestamp = _str(body.get("timestamp")) or ""
    attachments = []
    items = message.get("attachments") or []
    if not isinstance(items, list):
        raise MalformedEvent("message.attachments must be a list")
    for item in items:
        if isinstance(item, dict):
            payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
            fields = {"type": item.get("type"), **{k: v for k, v in payload.items() if k != "type"}}
            if any(not isinstance(fields.get(k), (str, type(None))) for k in ("type", "url", "thumbnail")):
                raise MalformedEvent("an attachment's type, url and thumbnail must be strings")
            attachments.append(Attachment(**fields))
    text = message.get("text")
    info = body.get("info") if isinstance(body.get("info"), dict) else None
    return InboundEvent(
        event_name=name, app_id=_str(body.get("app_id")), oa_id=oa_id, user_id=user_id, timestamp=timestamp,
        msg_id=_str(message.get("msg_id")), text=text if isinstance(text, str) else None,
        attachments=attachments, info=info, source=_str(body.get("source")), raw=body,
    )  # fmt: skip
