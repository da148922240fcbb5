"""Replaying a conversation: the citizen's half is sent again, as a fresh sandbox user with fresh
message ids, through the target's real signed webhook; the bot's captured replies are collected turn
by turn (the sandbox marks each turn's end) and compared with the recorded ones. A turn whose input
the transcript kept only masked is sent as masked and marked not replayable."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.replay.diff import TurnDiff, compare_turn
from bot.replay.sandbox import SANDBOX_PREFIX
from bot.replay.transcript_file import Turn
from bot.zalo.signature import HEADER, webhook_mac

TURN_TIMEOUT_SECONDS = 20.0


class ReplayError(RuntimeError):
    pass


@dataclass
class Target:
    """A running service: its webhook (signed with the OA secret) and its sandbox read-out (staff token)."""

    base_url: str
    app_id: str
    oa_id: str
    oa_secret_key: str
    staff_token: str
    http: aiohttp.ClientSession
    images_dir: Path | None = None  # where a golden file's `image_file` lives
    # In the service itself (the console's replay), the sandbox is read directly, not over HTTP.
    read_captured: Callable[[str], Awaitable[list[dict[str, Any]]]] | None = None

    async def send(self, event: dict[str, Any]) -> None:
        raw = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        mac = webhook_mac(self.app_id, raw, event["timestamp"], self.oa_secret_key)
        headers = {HEADER: f"mac={mac}", "Content-Type": "application/json"}
        async with self.http.post(f"{self.base_url}/webhook/zalo", data=raw, headers=headers) as response:
            if response.status != 200:
                raise ReplayError(f"webhook answered {response.status}: {await response.text()}")

    async def send_image_file(self, user_id: str, path: Path, caption: str) -> None:
        """A photo a golden file names: hosted by the target's Zalo emulator as Zalo's CDN would host
        it, and delivered by the emulator as a signed webhook."""
        form = aiohttp.FormData()
        data = await asyncio.to_thread(path.read_bytes)
        form.add_field("file", data, filename=path.name, content_type="image/png")
        form.add_field("caption", caption)
        url = f"{self.base_url}/emulator/users/{user_id}/image"
        async with self.http.post(url, data=form, params={"wait": "0"}) as response:
            if response.status != 200:
                raise ReplayError(f"image upload answered {response.status} (is the target's emulator on?)")

    async def captured(self, user_id: str) -> list[dict[str, Any]]:
        if self.read_captured:
            return await self.read_captured(user_id)
        headers = {"Authorization": f"Bearer {self.staff_token}"}
        async with self.http.get(f"{self.base_url}/staff/api/sandbox/{user_id}", headers=headers) as response:
            if response.status != 200:
                raise ReplayError(f"sandbox read-out answered {response.status}: {await response.text()}")
            return (await response.json())["items"]


def _event(target: Target, user_id: str, inbound: dict[str, Any]) -> dict[str, Any]:
    name = inbound.get("event_name", "user_send_text")
    stamp = str(int(time.time() * 1000))
    if name in ("follow", "unfollow"):
        return {"app_id": target.app_id, "oa_id": target.oa_id, "follower": {"id": user_id}, "event_name": name,
                "source": "oa_profile", "timestamp": stamp}  # fmt: skip
    if name == "user_click_chatnow":
        return {"app_id": target.app_id, "oa_id": target.oa_id, "user_id": user_id, "event_name": name,
                "timestamp": stamp}  # fmt: skip
    message: dict[str, Any] = {"msg_id": secrets.token_hex(16)}
    if inbound.get("text"):
        message["text"] = inbound["text"]
    if inbound.get("attachments"):
        message["attachments"] = [
            {"type": a.get("type"), "payload": {k: v for k, v in a.items() if k != "type"}}
            for a in inbound["attachments"]
        ]
    return {"app_id": target.app_id, "sender": {"id": user_id}, "recipient": {"id": target.oa_id},
            "event_name": name, "message": message, "timestamp": stamp}  # fmt: skip


async def replay(turns: list[Turn], target: Target) -> tuple[list[TurnDiff], list[list[dict[str, Any]]]]:
    """Each turn's diff, and the replies the bot gave now (for `--update`)."""
    user_id = f"{SANDBOX_PREFIX}{uuid.uuid4().hex[:16]}"
    diffs, given_now = [], []
    for index, turn in enumerate(turns):
        if "image_file" in turn.inbound:
            if target.images_dir is None:
                raise ReplayError("this transcript names image files: replay it from a file")
            path = target.images_dir / turn.inbound["image_file"]
            await target.send_image_file(user_id, path, turn.inbound.get("text", ""))
        else:
            await target.send(_event(target, user_id, turn.inbound))
        replies = await _turn_replies(target, user_id, index + 1)
        given_now.append(replies)
        # A masked input (a security code kept as dots) was sent as masked, never as a guessed secret:
        # what the bot says to it now is not what it said to the original, so it is not compared.
        diffs.append(compare_turn(index, turn.inbound, turn.replies, replies, replayable=not turn.masked))
    return diffs, given_now


async def _turn_replies(target: Target, user_id: str, turn_number: int) -> list[dict[str, Any]]:
    """The messages of turn `turn_number` (1-based), once the sandbox has marked it done."""
    deadline = time.monotonic() + TURN_TIMEOUT_SECONDS
    while True:
        items = await target.captured(user_id)
        done = [i for i, item in enumerate(items) if "done" in item]
        if len(done) >= turn_number:
            start = done[turn_number - 2] + 1 if turn_number > 1 else 0
            return [item["message"] for item in items[start : done[turn_number - 1]]]
        if time.monotonic() > deadline:
            raise ReplayError(f"turn {turn_number}: the bot did not finish within {TURN_TIMEOUT_SECONDS:.0f} s")
        # Polling: the sandbox lives in the target's Redis, which this client cannot subscribe to.
        await asyncio.sleep(0.02)
