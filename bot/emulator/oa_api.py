"""The emulated OA Open API and OAuth endpoints, with Zalo's answers and error codes."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from typing import Any

from aiohttp import web

from bot.emulator.keys import EMU_SETTINGS, EMU_STATE, EMU_WEBHOOK

routes = web.RouteTableDef()
MAX_IMAGE_BYTES = 1024 * 1024
_echo_rng = random.Random(7)  # noqa: S311 - only decides echo timing


def _error(code: int, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message})


@routes.post("/v4/oa/access_token")
async def access_token(request: web.Request) -> web.Response:
    state, settings = request.app[EMU_STATE], request.app[EMU_SETTINGS]
    form = await request.post()
    if request.headers.get("secret_key") != settings.zalo_app_secret.get_secret_value():
        return web.json_response({"error": -14003, "error_name": "Invalid secret key"})
    if form.get("app_id") != settings.zalo_app_id or form.get("grant_type") != "refresh_token":
        return web.json_response({"error": -14002, "error_name": "Invalid app_id or grant_type"})
    if not state.refresh_token or form.get("refresh_token") != state.refresh_token:
        # Single use: an old refresh token (another worker already used it) is refused.
        return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
    access, refresh = state.issue_tokens()
    return web.json_response({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})


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
    if len(message.get("text") or "") > 2000:
        return _error(-201, "Text exceeds 2000 characters")
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
    return web.json_response({"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}})


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
    return web.json_response({"error": 0, "message": "Success", "data": rows[offset : offset + count]})


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
    return web.json_response({"error": 0, "message": "Success", "data": {"attachment_id": attachment_id}})
