"""The emulator's own JSON API for tests, demos and staff: act as a citizen and read what the OA
sent back. Each action waits until the bot has answered (up to `?wait=` s) and returns the OA
messages it sent in response, in the body shape the bot sent them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.emulator.jsonresp import json_response
from bot.emulator.keys import EMU_SETTINGS, EMU_STATE, EMU_WEBHOOK
from bot.emulator.state import EmulatedUser

routes = web.RouteTableDef()
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a phone photo; the bot applies its own, stricter limits
MENU_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "menu.json"


def _now_ms() -> str:
    return str(int(time.time() * 1000))


def _base_event(request: web.Request, user_id: str, name: str) -> dict[str, Any]:
    settings = request.app[EMU_SETTINGS]
    return {"app_id": settings.zalo_app_id, "sender": {"id": user_id}, "recipient": {"id": settings.zalo_oa_id},
            "event_name": name, "timestamp": _now_ms()}  # fmt: skip


async def _act(
    request: web.Request, user: EmulatedUser, event: dict[str, Any], *, expect_reply: bool = True
) -> web.Response:
    state = request.app[EMU_STATE]
    wait = min(float(request.query.get("wait", "5")), 30.0)
    quiet = request.app[EMU_SETTINGS].emulator_quiet_seconds
    user.exchange.append({"direction": "user", "at_ms": int(event["timestamp"]), "event": event})
    seen = user.oa_messages
    options = {
        "duplicate": request.query.get("duplicate") == "1",
        "bad_signature": request.query.get("bad_signature") == "1",
    }
    task = asyncio.create_task(request.app[EMU_WEBHOOK].deliver(event, **options))
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)
    replies = await state.wait_replies(user, seen, wait if expect_reply else quiet, quiet)
    return json_response({"replies": replies})


@routes.post("/emulator/users/{user_id}/follow")
async def follow(request: web.Request) -> web.Response:
    user = request.app[EMU_STATE].user(request.match_info["user_id"])
    user.followed, user.last_interaction = True, time.time()
    settings = request.app[EMU_SETTINGS]
    event = {"app_id": settings.zalo_app_id, "oa_id": settings.zalo_oa_id, "follower": {"id": user.user_id},
             "event_name": "follow", "source": "oa_profile", "timestamp": _now_ms()}  # fmt: skip
    return await _act(request, user, event)


@routes.post("/emulator/users/{user_id}/unfollow")
async def unfollow(request: web.Request) -> web.Response:
    user = request.app[EMU_STATE].user(request.match_info["user_id"])
    user.followed = False
    settings = request.app[EMU_SETTINGS]
    event = {"app_id": settings.zalo_app_id, "oa_id": settings.zalo_oa_id, "follower": {"id": user.user_id},
             "event_name": "unfollow", "source": "oa_profile", "timestamp": _now_ms()}  # fmt: skip
    return await _act(request, user, event, expect_reply=False)


@routes.post("/emulator/users/{user_id}/chatnow")
async def chat_now(request: web.Request) -> web.Response:
    user = request.app[EMU_STATE].user(request.match_info["user_id"])
    user.last_interaction = time.time()
    settings = request.app[EMU_SETTINGS]
    event = {"app_id": settings.zalo_app_id, "user_id": user.user_id, "oa_id": settings.zalo_oa_id,
             "event_name": "user_click_chatnow", "timestamp": _now_ms()}  # fmt: skip
    return await _act(request, user, event)


@routes.post("/emulator/users/{user_id}/text")
async def send_text(request: web.Request) -> web.Response:
    try:
        text = (await request.json())["text"]
    except (ValueError, KeyError, TypeError):
        raise web.HTTPBadRequest(text='body must be {"text": "..."}') from None
    if not isinstance(text, str) or not text.strip():
        raise web.HTTPBadRequest(text="text must be a non-empty string")
    user = request.app[EMU_STATE].user(request.match_info["user_id"])
    user.last_interaction = time.time()
    event = _base_event(request, user.user_id, "user_send_text")
    event["message"] = {"text": text, "msg_id": secrets.token_hex(16)}
    return await _act(request, user, event)


@routes.post("/emulator/users/{user_id}/image")
async def send_image(request: web.Request) -> web.Response:
    """Raw image bytes with an image content type, or multipart with a `file` field (and an
    optional `caption`). The image is hosted here, as Zalo's CDN would, and the bot gets its URL."""
    caption = ""
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="multipart body needs a `file` field")
        data, content_type = upload.file.read(MAX_UPLOAD_BYTES + 1), upload.content_type
        caption = str(form.get("caption") or "")
    else:
        content_type, chunks = request.content_type, []
        async for chunk in request.content.iter_chunked(64 * 1024):
            chunks.append(chunk)
            if sum(map(len, chunks)) > MAX_UPLOAD_BYTES:
                break
        data = b"".join(chunks)
    if len(data) > MAX_UPLOAD_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD_BYTES, actual_size=len(data))
    if not content_type.startswith("image/"):
        raise web.HTTPUnsupportedMediaType(text="send an image (image/jpeg, image/png, ...)")
    state = request.app[EMU_STATE]
    user = state.user(request.match_info["user_id"])
    user.last_interaction = time.time()
    url = f"{request.app[EMU_SETTINGS].loopback_url}/emulator/media/{state.host(data, content_type)}"
    event = _base_event(request, user.user_id, "user_send_image")
    event["message"] = {"msg_id": secrets.token_hex(16), "text": caption,
                        "attachments": [{"type": "image", "payload": {"url": url, "thumbnail": url}}]}  # fmt: skip
    return await _act(request, user, event)


@routes.get("/emulator/users/{user_id}/messages")
async def messages(request: web.Request) -> web.Response:
    user = request.app[EMU_STATE].users.get(request.match_info["user_id"])
    return json_response({"messages": user.exchange if user else []})


@routes.get("/emulator/users/{user_id}/replies")
async def wait_for_replies(request: web.Request) -> web.Response:
    """Long poll: the OA's messages to the user once there are at least `count` (or `timeout` s
    passed). For load runs, which know how many replies each step should bring."""
    state = request.app[EMU_STATE]
    user = state.user(request.match_info["user_id"])
    count, timeout = int(request.query.get("count", "1")), min(float(request.query.get("timeout", "10")), 120.0)
    async with user.changed:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(user.changed.wait_for(lambda: user.oa_messages >= count or state.closing), timeout)
    out = [{"at_ms": e["at_ms"], "message": e["message"]} for e in user.exchange if e["direction"] == "oa"]
    return json_response({"replies": out})


@routes.get("/emulator/media/{media_id}")
async def media(request: web.Request) -> web.Response:
    item = request.app[EMU_STATE].media.get(request.match_info["media_id"])
    if item is None:
        raise web.HTTPNotFound()
    data, content_type = item
    return web.Response(body=data, content_type=content_type)


@routes.get("/emulator/menu")
async def menu(request: web.Request) -> web.Response:
    return json_response(json.loads(MENU_PATH.read_text(encoding="utf-8")))


@routes.post("/emulator/control")
async def control(request: web.Request) -> web.Response:
    """Fault switches: expire_tokens, expire_refresh_token (Zalo's 3 months are over),
    rate_limit_next / server_error_next (the next N calls), rate_limit_seconds / server_error_seconds
    (every call for a while), age_user {user_id, days}."""
    state = request.app[EMU_STATE]
    body = await request.json()
    if body.get("expire_tokens"):
        state.expire_tokens()
    if body.get("expire_refresh_token"):
        state.refresh_expires_at = time.time() - 1
    state.faults.rate_limit_next = int(body.get("rate_limit_next", state.faults.rate_limit_next))
    state.faults.server_error_next = int(body.get("server_error_next", state.faults.server_error_next))
    if "rate_limit_seconds" in body:
        state.faults.rate_limit_until = time.time() + float(body["rate_limit_seconds"])
    if "server_error_seconds" in body:
        state.faults.server_error_until = time.time() + float(body["server_error_seconds"])
    if age := body.get("age_user"):
        user = state.user(str(age["user_id"]))
        user.last_interaction = time.time() - float(age["days"]) * 24 * 3600
    return json_response({"refreshes": state.refreshes, "deliveries": len(state.deliveries)})


@routes.get("/emulator/state")
async def inspect(request: web.Request) -> web.Response:
    state = request.app[EMU_STATE]
    return json_response({"refreshes": state.refreshes, "authorizations": state.authorizations,
                          "deliveries": state.deliveries, "users": sorted(state.users)})  # fmt: skip
