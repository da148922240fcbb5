"""What the emulated Zalo side remembers: users and their exchanges, issued tokens, hosted media,
and fault switches that tests and demos flip. In memory: it plays the outside world, and the bot
must not be able to lean on it."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

TOKEN_LIFETIME_SECONDS = 90_000  # 25 h, as Zalo
REFRESH_TOKEN_LIFETIME_SECONDS = 90 * 24 * 3600  # "3 months", as Zalo documents
CODE_LIFETIME_SECONDS = 600  # an authorization code lives 10 minutes
INTERACTION_WINDOW_SECONDS = 7 * 24 * 3600


@dataclass
class EmulatedUser:
    user_id: str
    followed: bool = False
    last_interaction: float = 0.0
    exchange: list[dict[str, Any]] = field(default_factory=list)
    oa_messages: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def in_window(self, now: float) -> bool:
        return now - self.last_interaction <= INTERACTION_WINDOW_SECONDS


@dataclass
class Faults:
    rate_limit_next: int = 0
    server_error_next: int = 0
    rate_limit_until: float = 0.0  # epoch seconds: every call answers -32 until then
    server_error_until: float = 0.0  # every call answers HTTP 502 until then


class EmulatorState:
    def __init__(self, refresh_token: str | None) -> None:
        self.users: dict[str, EmulatedUser] = {}
        self.access_tokens: dict[str, float] = {}
        self.refresh_token = refresh_token
        self.refresh_expires_at = time.time() + REFRESH_TOKEN_LIFETIME_SECONDS
        self.refreshes = 0
        self.authorizations = 0  # token pairs issued for an authorization code
        self.codes: dict[str, dict[str, Any]] = {}  # authorization code -> challenge, redirect, expiry
        self.media: dict[str, tuple[bytes, str]] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.faults = Faults()
        self.tasks: set[asyncio.Task] = set()
        self.closing = False  # the server stops: long polls answer at once instead of holding it up

    async def close(self) -> None:
        self.closing = True
        for user in self.users.values():
            async with user.changed:
                user.changed.notify_all()

    def user(self, user_id: str) -> EmulatedUser:
        if user_id not in self.users:
            self.users[user_id] = EmulatedUser(user_id)
        return self.users[user_id]

    def issue_tokens(self, *, refresh: bool = True) -> tuple[str, str]:
        """A new pair; the previous refresh token is no longer accepted (one OA, one live pair)."""
        access = "emu-at-" + secrets.token_hex(12)
        self.access_tokens[access] = time.time() + TOKEN_LIFETIME_SECONDS
        self.refresh_token = "emu-rt-" + secrets.token_hex(12)
        self.refresh_expires_at = time.time() + REFRESH_TOKEN_LIFETIME_SECONDS
        if refresh:
            self.refreshes += 1
        else:
            self.authorizations += 1
        return access, self.refresh_token

    def token_valid(self, token: str | None) -> bool:
        return token is not None and self.access_tokens.get(token, 0) > time.time()

    def expire_tokens(self) -> None:
        self.access_tokens.clear()

    def host(self, data: bytes, content_type: str) -> str:
        media_id = secrets.token_hex(10)
        self.media[media_id] = (data, content_type)
        return media_id

    async def record_oa_message(self, user: EmulatedUser, entry: dict[str, Any]) -> None:
        async with user.changed:
            user.exchange.append(entry)
            user.oa_messages += 1
            user.changed.notify_all()

    async def wait_replies(self, user: EmulatedUser, seen: int, wait: float, quiet: float) -> list[dict[str, Any]]:
        """OA messages to the user after the first `seen`: waits up to `wait` s for the first, then
        until `quiet` s pass without another (Zalo itself cannot know when a bot is done)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            timeout = quiet if user.oa_messages > seen else deadline - loop.time()
            if timeout <= 0:
                break
            async with user.changed:
                count = user.oa_messages
                try:
                    await asyncio.wait_for(user.changed.wait_for(lambda c=count: user.oa_messages > c), timeout)
                except TimeoutError:
                    break
        out = [e for e in user.exchange if e["direction"] == "oa"]
        return [e["message"] for e in out[seen:]]
