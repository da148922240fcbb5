"""Outbound calls to the Zalo OA Open API: send customer-service messages, upload images, and keep
the access token fresh.

Access tokens last 25 h; the refresh token is single-use and rotates, so only one worker may
refresh at a time (a Redis lock) and the new pair is stored in Redis for every worker. Errors:
-216 (invalid token) refreshes and retries once; -32 (rate limit) backs off and retries; the
interaction-window errors are final for that message and are returned, not retried. A refresh
Zalo refuses (or no refresh token at all) makes the authorization lost (`bot.zalo.auth`): sends
raise AuthorizationLost and the events wait, they are not failures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot import metrics
from bot.conv_keys import ConversationKeys
from bot.redis_lock import RedisLock
from bot.zalo.auth import (
    ACCESS_AHEAD_SECONDS,
    EXPIRING,
    LOST,
    OK,
    REFRESH_AHEAD_SECONDS,
    REFRESH_TOKEN_LIFETIME_SECONDS,
    RETRY_LOST_SECONDS,
    WARN_AHEAD_SECONDS,
    AuthorizationLost,
    AuthState,
    AuthStatus,
    publish,
    token_fingerprint,
)

log = logging.getLogger(__name__)

INVALID_TOKEN = -216
RATE_LIMITED = -32
SERVER_ERROR = -500  # our code for an HTTP 5xx answer: Zalo's side failed, try again later
# Outside the interaction window, user blocked the OA, quota of the window used up, and so on:
# resending cannot help, the message is recorded as undelivered.
WINDOW_ERRORS = frozenset({-213, -217, -227, -230, -232, -244})
REFRESH_MARGIN_SECONDS = 300


class OAError(RuntimeError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo OA API error {code}: {message}")
        self.code = code


class TokenRefreshFailed(RuntimeError):
    """A refresh that could not be done now (another worker holds the lock): a passing failure."""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message_id: str | None = None
    error: int | None = None
    message: str = ""


class TokenManager:
    """The OA's token pair in Redis, shared by every process, and the authorization state beside it
    (`bot.zalo.auth`). A refresh token Zalo refused is not offered again by every event: the state
    says lost and each send fails at once with AuthorizationLost until a new pair is stored."""

    def __init__(self, redis: Redis, keys: ConversationKeys, http: aiohttp.ClientSession, *, oa_id: str,
                 app_id: str, app_secret: str, oauth_base: str, seed_refresh_token: str | None,
                 seed_access_token: str | None = None) -> None:  # fmt: skip
        self.redis = redis
        self.oa_id = oa_id
        self.key = keys.oa_token(oa_id)
        self.lock_key = keys.oa_token_lock(oa_id)
        self.auth = AuthState(redis, keys.prefix, oa_id)
        self.http = http
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_url = f"{oauth_base.rstrip('/')}/v4/oa/access_token"
        self.permission_url = f"{oauth_base.rstrip('/')}/v4/oa/permission"
        self.seed_refresh_token = seed_refresh_token
        self.seed_access_token = seed_access_token

    async def _pair(self) -> dict[str, str]:
        pair = await self.redis.hgetall(self.key)
        if not pair and self.seed_refresh_token:
            # First start: seed from settings, without overwriting a pair another worker stored.
            await self.redis.hsetnx(self.key, "refresh_token", self.seed_refresh_token)
            if self.seed_access_token:
                await self.redis.hsetnx(self.key, "access_token", self.seed_access_token)
                await self.redis.hsetnx(self.key, "expires_at", str(time.time() + 3600))
            pair = await self.redis.hgetall(self.key)
        return pair

    async def access_token(self) -> str:
        """A valid access token, refreshed if needed; AuthorizationLost when there is none to be had."""
        pair = await self._pair()
        if (pair.get("access_token") and float(pair.get("expires_at", 0)) - REFRESH_MARGIN_SECONDS > time.time()
                and await self.auth.may_send()):  # fmt: skip
            return pair["access_token"]
        return await self.refresh(stale=pair.get("access_token"))

    async def refresh(self, stale: str | None, *, retry_lost: bool = False) -> str:
        """Get a new token, unless another worker already replaced `stale` while we waited. A refresh
        token that Zalo already refused is tried again only by the keeper (`retry_lost`), at most
        every RETRY_LOST_SECONDS: Zalo is not asked once per held event."""
        lock = RedisLock(self.redis, self.lock_key, ttl_ms=15_000)
        if not await lock.acquire(wait=15):
            raise TokenRefreshFailed("another worker holds the refresh lock for too long")
        try:
            pair = await self._pair()
            state = await self.auth.raw()
            current = pair.get("access_token")
            if (current and current != stale and float(pair.get("expires_at", 0)) > time.time()
                    and state.get("state") != LOST):  # fmt: skip
                return current  # someone refreshed while we waited for the lock
            refresh_token = pair.get("refresh_token")
            fingerprint = token_fingerprint(refresh_token)
            if state.get("state") == LOST and state.get("failed_token") == fingerprint:
                recent = time.time() - float(state.get("tried_at") or 0) < RETRY_LOST_SECONDS
                if not retry_lost or recent:
                    raise AuthorizationLost(state.get("error") or "authorization lost")
            if not refresh_token:
                error = "no refresh token stored: authorize the OA again (/staff/oa) or set one"
                await self.auth.mark_lost(error, "")
                raise AuthorizationLost(error)
            body = await self._ask_zalo(refresh_token)
            if not isinstance(body, dict) or "access_token" not in body:
                error = _oauth_error(body, "Zalo refused the refresh token")
                await self.auth.mark_lost(error, fingerprint)
                raise AuthorizationLost(error)
            # Zalo has now discarded `refresh_token`: the new pair is stored before anything else
            # happens (see README "Running in production" for a process dying right here).
            await self.store_pair(body, who="refresh")
            log.info("Zalo access token refreshed; valid for %s s", body.get("expires_in"))
            return body["access_token"]
        finally:
            await lock.release()

    async def _ask_zalo(self, refresh_token: str) -> Any:
        async with self.http.post(
            self.oauth_url,
            headers={"secret_key": self.app_secret},
            data={"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            return await response.json(content_type=None)

    async def store_pair(self, body: dict[str, Any], who: str) -> None:
        """Zalo's answer (a refresh or a code exchange) becomes the pair, and the authorization ok,
        in one transaction: no process ever sees the new access token with the old state."""
        now = time.time()
        refresh_in = int(body.get("refresh_token_expires_in") or REFRESH_TOKEN_LIFETIME_SECONDS)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key, mapping={
                "access_token": body["access_token"], "refresh_token": body["refresh_token"],
                "expires_at": str(now + int(body.get("expires_in") or 90000)),
                "refresh_expires_at": str(now + refresh_in), "stored_at": str(now),
            })  # fmt: skip
            self.auth.queue_ok(pipe, who)
            await pipe.execute()
        publish(OK, now + refresh_in)

    async def exchange_code(self, code: str, code_verifier: str, who: str) -> None:
        """The end of Zalo's OAuth flow: the authorization code and our PKCE code_verifier for a new
        token pair, stored at once. Raises TokenRefreshFailed with Zalo's error."""
        lock = RedisLock(self.redis, self.lock_key, ttl_ms=15_000)
        if not await lock.acquire(wait=15):
            raise TokenRefreshFailed("another worker holds the refresh lock for too long")
        try:  # under the refresh lock: a refresh racing with the old token cannot overwrite this pair
            async with self.http.post(
                self.oauth_url,
                headers={"secret_key": self.app_secret},
                data={"code": code, "app_id": self.app_id, "grant_type": "authorization_code",
                      "code_verifier": code_verifier},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:  # fmt: skip
                body = await response.json(content_type=None)
            if not isinstance(body, dict) or "access_token" not in body:
                raise TokenRefreshFailed(_oauth_error(body, "Zalo refused the authorization code"))
            await self.store_pair(body, who=who)
        finally:
            await lock.release()

    async def set_refresh_token(self, refresh_token: str, who: str) -> str:
        """An operator's refresh token (`python -m bot oa set-refresh-token`): used at once, and the
        pair it brings replaces the stored one only if Zalo accepts it (a mistyped token changes
        nothing). Returns the new access token; TokenRefreshFailed with Zalo's refusal."""
        lock = RedisLock(self.redis, self.lock_key, ttl_ms=15_000)
        if not await lock.acquire(wait=15):
            raise TokenRefreshFailed("another worker holds the refresh lock for too long")
        try:
            body = await self._ask_zalo(refresh_token)
            if not isinstance(body, dict) or "access_token" not in body:
                raise TokenRefreshFailed(_oauth_error(body, "Zalo refused this refresh token"))
            await self.store_pair(body, who=who)
            return body["access_token"]
        finally:
            await lock.release()

    async def keep_fresh(self) -> AuthStatus:
        """The keeper's tick: refresh when the access token ends soon or the refresh token has less
        than REFRESH_AHEAD_SECONDS left; while lost, try a refused token again now and then."""
        pair = await self._pair()
        state = await self.auth.raw()
        now = time.time()
        refresh_expires_at = float(pair.get("refresh_expires_at") or 0)
        if state.get("state") == LOST:
            await self.refresh(stale=pair.get("access_token"), retry_lost=True)
        elif (not pair.get("access_token") or float(pair.get("expires_at", 0)) - ACCESS_AHEAD_SECONDS < now
              or (refresh_expires_at and refresh_expires_at - REFRESH_AHEAD_SECONDS < now)):  # fmt: skip
            await self.refresh(stale=pair.get("access_token"))
        return await self.status()

    async def status(self) -> AuthStatus:
        """The authorization as supervisors and probes see it; updates the gauge."""
        pair = await self._pair()
        raw = await self.auth.raw()
        if not pair.get("refresh_token") and raw.get("state") != LOST:
            await self.auth.mark_lost("no token pair stored in Redis", "")
            raw = await self.auth.raw()
        refresh_expires_at = float(pair["refresh_expires_at"]) if pair.get("refresh_expires_at") else None
        state = raw.get("state") or OK
        if state == OK and refresh_expires_at is not None and refresh_expires_at - WARN_AHEAD_SECONDS < time.time():
            state = EXPIRING
        publish(state, refresh_expires_at)
        return AuthStatus(
            state=state, since=float(raw["since"]) if raw.get("since") else None, error=raw.get("error", ""),
            refresh_expires_at=refresh_expires_at,
            access_expires_at=float(pair["expires_at"]) if pair.get("expires_at") else None,
            changed_by=raw.get("changed_by", ""),
        )  # fmt: skip


def _oauth_error(body: Any, what: str) -> str:
    """Zalo's OAuth refusal in one line: its error code and name, never a token."""
    if not isinstance(body, dict):
        return f"{what} (unreadable answer)"
    name = body.get("error_name") or body.get("error_description") or body.get("message") or ""
    return f"{what}: error {body.get('error')}{f' ({name})' if name else ''}"


OA_TOKENS = web.AppKey("oa_tokens", TokenManager)


class OutboundGuard:
    """One budget of OA API calls per second for every worker together (Redis counters per second),
    and a shared pause after Zalo answers -32, so that N workers do not hammer it N times over."""

    def __init__(self, redis: Redis, keys: ConversationKeys, oa_id: str, per_second: int) -> None:
        self.redis = redis
        self.prefix = keys.oa_rate(oa_id)
        self.per_second = per_second

    async def wait_turn(self) -> None:
        while True:
            pause_ms = await self.redis.pttl(f"{self.prefix}:pause")
            if pause_ms > 0:
                await asyncio.sleep(pause_ms / 1000)
                continue
            now = time.time()
            key = f"{self.prefix}:{int(now)}"
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 2)
                count, _ = await pipe.execute()
            if int(count) <= self.per_second:
                return
            metrics.OUTBOUND_WAITED.inc()
            await asyncio.sleep(1 - (now % 1))  # this second's budget is spent: wait for the next

    async def pause(self, seconds: float) -> None:
        await self.redis.set(f"{self.prefix}:pause", 1, px=max(1, int(seconds * 1000)))


class OAClient:
    def __init__(self, http: aiohttp.ClientSession, tokens: TokenManager, api_base: str,
                 rate_limit_retries: int = 3, backoff_seconds: float = 1.0,
                 guard: OutboundGuard | None = None) -> None:  # fmt: skip
        self.http = http
        self.tokens = tokens
        self.api_base = api_base.rstrip("/")
        self.rate_limit_retries = rate_limit_retries
        self.backoff = backoff_seconds
        self.guard = guard

    async def _call(
        self, path: str, *, json_body: dict | None = None, form: Callable[[], aiohttp.FormData] | None = None
    ) -> dict:
        """POST with retries; `form` builds the multipart body anew for each attempt (one can be sent once)."""
        token = await self.tokens.access_token()
        refreshed = False
        attempt = 0
        while True:
            if self.guard:
                await self.guard.wait_turn()
            body = await self._post(path, token, json_body, form() if form else None)
            error = int(body.get("error", -1))
            if error == 0:
                return body
            if error == INVALID_TOKEN and not refreshed:
                token = await self.tokens.refresh(stale=token)
                refreshed = True
                continue
            if error == INVALID_TOKEN:
                # A token Zalo has just issued is refused too: the OA no longer lets this app speak.
                pair = await self.tokens._pair()
                reason = "Zalo refused a freshly issued access token (error -216): the app's permission was withdrawn"
                await self.tokens.auth.mark_lost(reason, token_fingerprint(pair.get("refresh_token")))
                raise AuthorizationLost(reason)
            if error in (RATE_LIMITED, SERVER_ERROR) and attempt < self.rate_limit_retries:
                delay = self.backoff * (2**attempt)
                if error == RATE_LIMITED and self.guard:
                    await self.guard.pause(delay)  # every worker backs off, not only this one
                await asyncio.sleep(delay)
                attempt += 1
                continue
            raise OAError(error, str(body.get("message", "")))

    async def _post(self, path: str, token: str, json_body: dict | None, form: aiohttp.FormData | None) -> dict:
        async with self.http.post(
            f"{self.api_base}{path}", headers={"access_token": token}, json=json_body, data=form,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:  # fmt: skip
            if response.status >= 500:
                return {"error": SERVER_ERROR, "message": f"HTTP {response.status}"}
            return await response.json(content_type=None)

    async def ensure_authorized(self) -> None:
        """Raises AuthorizationLost before anything of a send is begun or marked."""
        await self.tokens.access_token()

    async def send(self, user_id: str, message: dict[str, Any]) -> SendResult:
        try:
            body = await self._call(
                "/v3.0/oa/message/cs", json_body={"recipient": {"user_id": user_id}, "message": message}
            )
        except OAError as exc:
            if exc.code in WINDOW_ERRORS:
                return SendResult(False, error=exc.code, message=str(exc))
            raise
        data = body.get("data") or {}
        return SendResult(True, message_id=data.get("message_id"))

    async def recent_messages(self, user_id: str, count: int = 10) -> list[dict[str, Any]]:
        """The latest messages of the conversation with `user_id`, newest first (Zalo returns at most
        10 per call): `src` 0 for the OA's, 1 for the user's; `time` in ms; `message` the text."""
        token = await self.tokens.access_token()
        query = {"data": json.dumps({"user_id": user_id, "offset": 0, "count": min(count, 10)})}
        async with self.http.get(
            f"{self.api_base}/v2.0/oa/conversation", headers={"access_token": token}, params=query,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:  # fmt: skip
            if response.status >= 500:
                raise OAError(SERVER_ERROR, f"HTTP {response.status}")
            body = await response.json(content_type=None)
        if int(body.get("error", -1)) != 0:
            raise OAError(int(body.get("error", -1)), str(body.get("message", "")))
        return list(body.get("data") or [])

    async def upload_image(self, data: bytes, content_type: str) -> str:
        extension = "png" if content_type == "image/png" else "jpg"

        def form() -> aiohttp.FormData:
            built = aiohttp.FormData()
            built.add_field("file", data, filename=f"image.{extension}", content_type=content_type)
            return built

        body = await self._call("/v2.0/oa/upload/image", form=form)
        return body["data"]["attachment_id"]
