"""Delivers events to the bot's webhook as Zalo does: compact JSON, the mac over exactly the bytes
sent, a 2 s patience, and redelivery of the identical bytes on a schedule when the answer is slow or
not 200. Signing is written here on its own, not shared with the bot's verifier."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

import aiohttp

log = logging.getLogger(__name__)
PATIENCE_SECONDS = 2.0


class WebhookSender:
    def __init__(self, http: aiohttp.ClientSession, urls: list[str], app_id: str, oa_secret_key: str,
                 retry_schedule: list[float], deliveries: list[dict[str, Any]]) -> None:  # fmt: skip
        self.http = http
        self.urls = urls  # several: attempts go round robin, as through a load balancer
        self.turn = 0
        self.app_id = app_id
        self.oa_secret_key = oa_secret_key
        self.retry_schedule = retry_schedule
        self.deliveries = deliveries

    def sign(self, raw: bytes, timestamp: str) -> str:
        plain = self.app_id.encode() + raw + timestamp.encode() + self.oa_secret_key.encode()
        return "mac=" + hashlib.sha256(plain).hexdigest()

    async def deliver(self, event: dict[str, Any], *, duplicate: bool = False, bad_signature: bool = False) -> bool:
        raw = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        mac = self.sign(raw, str(event.get("timestamp", "")))
        if bad_signature:
            mac = "mac=" + hashlib.sha256(b"forged" + raw).hexdigest()
        headers = {"Content-Type": "application/json", "X-ZEvent-Signature": mac,
                   "X-ZEvent-Server": "OA OpenAPI", "User-Agent": "ZaloWebhook"}  # fmt: skip
        record: dict[str, Any] = {"event_name": event.get("event_name"), "attempts": [], "delivered": False,
                                  "msg_id": (event.get("message") or {}).get("msg_id")}  # fmt: skip
        self.deliveries.append(record)
        extra = None
        if duplicate:
            # Zalo sometimes sends the same event twice at once: the bot must answer it once. The
            # extra copy comes on top of the usual delivery with its retries, not instead of it.
            extra = asyncio.ensure_future(self._attempt(raw, headers, record))
        try:
            for delay in [0.0, *self.retry_schedule]:
                await asyncio.sleep(delay)
                if await self._attempt(raw, headers, record):
                    record["delivered"] = True
                    return True
        finally:
            if extra is not None:
                await extra
        log.warning(
            "emulator gave up delivering %s after %d attempts", event.get("event_name"), len(record["attempts"])
        )
        return False

    async def _attempt(self, raw: bytes, headers: dict[str, str], record: dict[str, Any]) -> bool:
        started = time.monotonic()
        url = self.urls[self.turn % len(self.urls)]
        self.turn += 1
        try:
            async with self.http.post(url, data=raw, headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=PATIENCE_SECONDS)) as response:  # fmt: skip
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            record["attempts"].append({"status": None, "error": type(exc).__name__})
            return False
        record["attempts"].append({"status": status, "seconds": round(time.monotonic() - started, 3)})
        return status == 200
