"""The emulated OA Open API, with Zalo's answers and error codes (OAuth: `bot.emulator.oauth`)."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from typing import Any

from aiohttp import web

from bot.emulator.jsonresp import json_response
from bot.emulator.keys import EMU_SETTINGS, EMU_STATE, EMU_WEBHOOK

routes = web.RouteTableDef()
MAX_IMAGE_BYTES = 1024 * 1024
# Zalo's documented limits for customer-service messages (OA API v3, /v3.0/oa/message/cs): text
# up to 2000 characters; at most 5 buttons, each titled with 1-100 characters, a query payload of at
# most 1000; a list template of 1-5 elements, each titled with 1-100 characters and a subtitle of at
# most 500. Written out here on their own: the emulator plays Zalo and shares none of the bot's code.
MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_QUERY_PAYLOAD = 1000
MAX_ELEMENTS = 5
MAX_ELEMENT_TITLE = 100
MAX_SUBTITLE = 500
ACTION_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms"}
_echo_rng = random.Random(7)  # noqa: S311 - only decides echo timing


def _error(code: int, message: str) -> web.Response:
    return json_response({"error": code, "message": message})


def _refusal(request: web.Request) -> web.Response | None:
    """What Zalo answers before looking at the call: a bad token, or a fault the test switched on."""
    if not request.app[EMU_STATE].token_valid(request.headers.get("access_token")):
        return _error(-216, "Access token is invalid")
    return _fault(request)


def _fault(request: web.Request) -> web.Response | None:
    faults = request.app[EMU_STATE].faults
    now = time.time()
    if faults.server_error_next > 0 or now < faults.server_error_until:
        faults.server_error_next = max(0, faults.server_error_next - 1)
        return web.Response(status=502, text="Bad Gateway")
    if faults.rate_limit_next > 0 or now < faults.rate_limit_until:
        faults.rate_limit_next = max(0, faults.rate_limit_next - 1)
        return _error(-32, "Request exceeds the rate limit")
    return None


@routes.post("/v3.0/oa/message/cs")
async def send_message(request: web.Request) -> web.Response:
    state = request.app[EMU_STATE]
    if refusal := _refusal(request):
        return refusal
    try:
        body = await request.json()
        user_id = str(body["recipient"]["user_id"])
        message: dict[str, Any] = body["message"]
    except (ValueError, KeyError, TypeError):
        return _error(-201, "Parameters are invalid")
    if user_id not in state.users:
        return _error(-213, "User has not interacted with the OA")
    user = state.users[user_id]
    if not user.in_window(time.time()):
        return _error(-230, "User has not interacted with the OA in the last 7 days")
    if problem := message_problem(message):
        return _error(-201, f"Parameters are invalid: {problem}")
    message_id = secrets.token_hex(16)
    await state.record_oa_message(user, {"direction": "oa", "at_ms": int(time.time() * 1000),
                                         "message_id": message_id, "message": message})  # fmt: skip
    echo = _echo_event(request.app[EMU_SETTINGS], user_id, message, message_id)
    sender = request.app[EMU_WEBHOOK]
    if _echo_rng.random() < 0.5:
        await sender.deliver(echo)  # the echo reaches the bot before this call returns, as it can on Zalo
    else:
        task = asyncio.create_task(sender.deliver(echo))
        request.app[EMU_STATE].tasks.add(task)
        task.add_done_callback(request.app[EMU_STATE].tasks.discard)
    return json_response({"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}})


def message_problem(message: Any) -> str | None:
    """Why Zalo would refuse this `message` object, or None."""
    if not isinstance(message, dict):
        return "message must be an object"
    text = message.get("text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        return f"text must be a string of at most {MAX_TEXT} characters"
    attachment = message.get("attachment")
    if attachment is None:
        return None if text else "message needs a text or an attachment"
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    if not isinstance(payload, dict) or attachment.get("type") != "template":
        return "attachment must be a template with a payload"
    buttons = payload.get("buttons", [])
    if not isinstance(buttons, list) or len(buttons) > MAX_BUTTONS:
        return f"at most {MAX_BUTTONS} buttons"
    for button in buttons:
        if problem := _action_problem(button, titled=True):
            return problem
    kind = payload.get("template_type")
    if kind == "list":
        elements = payload.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_ELEMENTS:
            return f"a list has 1 to {MAX_ELEMENTS} elements"
        for element in elements:
            title, subtitle = element.get("title"), element.get("subtitle", "")
            if not isinstance(title, str) or not 1 <= len(title) <= MAX_ELEMENT_TITLE:
                return f"an element's title has 1 to {MAX_ELEMENT_TITLE} characters"
            if not isinstance(subtitle, str) or len(subtitle) > MAX_SUBTITLE:
                return f"an element's subtitle has at most {MAX_SUBTITLE} characters"
            if "default_action" in element and (problem := _action_problem(element["default_action"], titled=False)):
                return problem
    elif kind == "media":
        elements = payload.get("elements")
        if not isinstance(elements, list) or len(elements) != 1 or not elements[0].get("attachment_id"):
            return "a media template has one uploaded image"
    elif kind is None:
        if not buttons or not text:
            return "a template without a type is a text with buttons"
    else:
        return f"unknown template_type {kind!r}"
    return None


def _action_problem(action: Any, titled: bool) -> str | None:
    if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
        return "unknown action type"
    if titled:
        title = action.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= MAX_BUTTON_TITLE:
            return f"a button's title has 1 to {MAX_BUTTON_TITLE} characters"
    # A button carries its target in "payload"; an element's default action may carry it flat.
    target = action.get("payload", action if not titled else None)
    if action["type"] == "oa.open.url":
        url = target.get("url") if isinstance(target, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return "an open.url action needs an http(s) url"
    elif action["type"] in ("oa.query.show", "oa.query.hide"):
        if not isinstance(target, str) or not 1 <= len(target) <= MAX_QUERY_PAYLOAD:
            return f"a query action's payload has 1 to {MAX_QUERY_PAYLOAD} characters"
    elif action["type"] == "oa.open.phone" and not (
        isinstance(target, dict) and str(target.get("phone_code", "")).isdigit()
    ):
        return "an open.phone action needs a phone_code of digits"
    return None


def _echo_event(settings: Any, user_id: str, message: dict[str, Any], message_id: str) -> dict[str, Any]:
    kind = "oa_send_text"
    if "attachment" in message:
        template = message["attachment"].get("payload", {}).get("template_type")
        kind = "oa_send_image" if template == "media" else "oa_send_template"
    return {
        "app_id": settings.zalo_app_id, "sender": {"id": settings.zalo_oa_id}, "recipient": {"id": user_id},
        "event_name": kind, "message": {"text": message.get("text", ""), "msg_id": message_id},
        "timestamp": str(int(time.time() * 1000)),
    }  # fmt: skip


@routes.get("/v2.0/oa/conversation")
async def conversation(request: web.Request) -> web.Response:
    """The latest messages between the OA and one user, newest first, at most 10 per call: `src` 0
    for the OA's messages, 1 for the user's, `time` in ms, `message` the text ("" for templates)."""
    state = request.app[EMU_STATE]
    if refusal := _refusal(request):
        return refusal
    try:
        query = json.loads(request.query["data"])
        user_id, offset, count = str(query["user_id"]), int(query.get("offset", 0)), int(query.get("count", 5))
    except (KeyError, ValueError, TypeError):
        return _error(-201, "Parameters are invalid")
    if count > 10 or count < 1 or offset < 0:
        return _error(-201, "count must be 1 to 10")
    user = state.users.get(user_id)
    if user is None:
        return _error(-213, "User has not interacted with the OA")
    rows = []
    for entry in reversed(user.exchange):
        if entry["direction"] == "oa":
            message = entry["message"]
            kind = "template" if "attachment" in message else "text"
            rows.append({"src": 0, "time": entry["at_ms"], "type": kind,
                         "message": message.get("text", ""), "message_id": entry["message_id"],
                         "from_id": request.app[EMU_SETTINGS].zalo_oa_id, "to_id": user_id})  # fmt: skip
        else:
            event = entry["event"]
            rows.append({"src": 1, "time": entry["at_ms"], "type": "text",
                         "message": (event.get("message") or {}).get("text", ""),
                         "message_id": (event.get("message") or {}).get("msg_id", ""), "from_id": user_id})  # fmt: skip
    return json_response({"error": 0, "message": "Success", "data": rows[offset : offset + count]})


@routes.post("/v2.0/oa/upload/image")
async def upload_image(request: web.Request) -> web.Response:
    state = request.app[EMU_STATE]
    if not state.token_valid(request.headers.get("access_token")):
        return _error(-216, "Access token is invalid")
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        return _error(-201, "Parameters are invalid: file is required")
    data = upload.file.read(MAX_IMAGE_BYTES + 1)
    if upload.content_type not in ("image/png", "image/jpeg", "image/jpg"):
        return _error(-210, "Only jpg and png images are accepted")
    if len(data) > MAX_IMAGE_BYTES:
        return _error(-211, "Image exceeds 1 MB")
    attachment_id = state.host(data, upload.content_type)
    return json_response({"error": 0, "message": "Success", "data": {"attachment_id": attachment_id}})
