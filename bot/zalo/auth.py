"""Whether the bot may speak for the OA: its Zalo authorization, per OA, kept in Redis so that
every web and worker process sees the same thing.

States: `ok`; `expiring` (the refresh token has less than `WARN_AHEAD_SECONDS` left: supervisors
are warned, sending goes on); `lost` (no refresh token, or Zalo refused it: nothing can be sent
until a supervisor authorizes the OA again, see `bot.staff.oa_views`, or a script sets a refresh
token, `python -m bot oa set-refresh-token`). While lost, the webhook keeps accepting and storing
events; workers hold them (`bot.intake.worker`) instead of burning their attempts.

Keys: `{zalo-token:<oa>}:pair` (bot.zalo.oa_client), `{zalo-token:<oa>}:auth` (this state) and
`{zalo-token:<oa>}:oauth:<state>` (a started OAuth flow), all in one Redis Cluster slot.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from bot import metrics

if TYPE_CHECKING:
    from bot.zalo.oa_client import TokenManager

log = logging.getLogger(__name__)

OK, EXPIRING, LOST = "ok", "expiring", "lost"
STATES = (OK, EXPIRING, LOST)
# Zalo documents refresh tokens valid for 3 months; each refresh hands out a new one.
REFRESH_TOKEN_LIFETIME_SECONDS = 90 * 24 * 3600
WARN_AHEAD_SECONDS = 14 * 24 * 3600
# The keeper refreshes once the access token is this close to its end, and whatever the access
# token, once the refresh token has less than this left: "well before" the 14-day warning.
ACCESS_AHEAD_SECONDS = 15 * 60
REFRESH_AHEAD_SECONDS = 30 * 24 * 3600
KEEPER_INTERVAL_SECONDS = 60.0
RETRY_LOST_SECONDS = 600  # a refused refresh token is tried again at most this often (a fixed secret)
OAUTH_FLOW_SECONDS = 600  # Zalo's authorization code lives 10 minutes; so does our code_verifier


class AuthorizationLost(RuntimeError):
    """The OA's authorization is lost: nothing can be sent. Not a failure of the event being
    handled: the worker holds it until the authorization returns."""


@dataclass(frozen=True)
class AuthStatus:
    state: str
    since: float | None = None
    error: str = ""
    refresh_expires_at: float | None = None
    access_expires_at: float | None = None
    changed_by: str = ""

    @property
    def may_send(self) -> bool:
        return self.state != LOST

    def days_left(self, now: float | None = None) -> int | None:
        if self.refresh_expires_at is None:
            return None
        return max(0, int((self.refresh_expires_at - (now or time.time())) // 86400))


def token_fingerprint(token: str | None) -> str:
    """Which refresh token failed, without keeping (or logging) the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else ""


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge): 43 URL-safe characters, and the base64url of their SHA-256
    without padding (RFC 7636 S256, what Zalo's v4 permission link takes)."""
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AuthState:
    """The stored state of one OA's authorization, and the gauge that shows it."""

    def __init__(self, redis: Redis, prefix: str, oa_id: str) -> None:
        self.redis = redis
        self.oa_id = oa_id
        self.tag = f"{prefix}:{{zalo-token:{oa_id}}}"
        self.key = f"{self.tag}:auth"
        self._last_log = 0.0

    def flow_key(self, state: str) -> str:
        return f"{self.tag}:oauth:{state}"

    async def raw(self) -> dict[str, str]:
        return await self.redis.hgetall(self.key)

    async def may_send(self) -> bool:
        return await self.redis.hget(self.key, "state") != LOST

    async def mark_lost(self, error: str, fingerprint: str) -> None:
        """Lost, since the first time it was seen (workers racing to notice keep the earliest)."""
        raw = await self.raw()
        now = time.time()
        if raw.get("state") != LOST:
            log.error("Zalo authorization of OA %s lost: %s; nothing is sent until a supervisor authorizes it "
                      "again (/staff/oa) or `python -m bot oa set-refresh-token`", self.oa_id, error)  # fmt: skip
            self._last_log = time.monotonic()
        async with self.redis.pipeline(transaction=True) as pipe:
            if raw.get("state") != LOST:
                pipe.hset(self.key, mapping={"state": LOST, "since": str(now)})
            pipe.hset(self.key, mapping={"error": error, "failed_token": fingerprint, "tried_at": str(now)})
            await pipe.execute()
        publish(LOST)

    def queue_ok(self, pipe: Pipeline, who: str) -> None:
        """Into a transaction that stores a new token pair: authorized again from that moment."""
        pipe.hset(self.key, mapping={"state": OK, "since": str(time.time()), "error": "", "failed_token": "",
                                     "changed_by": who})  # fmt: skip

    def log_lost_now(self) -> bool:
        """At most one error line a minute per process while lost, whatever the traffic."""
        if time.monotonic() - self._last_log < 60:
            return False
        self._last_log = time.monotonic()
        return True


def publish(state: str, refresh_expires_at: float | None = None) -> None:
    for name in STATES:
        metrics.OA_AUTHORIZATION.labels(name).set(1 if name == state else 0)
    if refresh_expires_at is not None:
        metrics.OA_REFRESH_TOKEN_SECONDS_LEFT.set(max(0.0, refresh_expires_at - time.time()))


class AuthKeeper:
    """Background task of every worker process: refreshes the pair well before either token runs
    out (a quiet OA sends nothing for months, and Zalo's refresh token then expires unused), keeps
    the gauge current, and while the authorization is lost says so once a minute."""

    def __init__(self, tokens: TokenManager, held: Callable[[], int] = lambda: 0,
                 interval: float = KEEPER_INTERVAL_SECONDS) -> None:  # fmt: skip
        self.tokens = tokens
        self.held = held
        self.interval = interval

    async def run_forever(self) -> None:
        while True:
            # The first tick waits too: a fresh start's first send refreshes anyway, and a refresh
            # at start-up would rotate the refresh token before anything else needed it.
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except (RedisError, OSError, TimeoutError):
                pass  # said by tick()
            except Exception as exc:  # Zalo's OAuth unreachable, the refresh lock busy: next minute
                log.warning("renewing the Zalo authorization failed (%s); trying again in %.0f s", type(exc).__name__,
                            self.interval)  # fmt: skip

    async def tick(self) -> AuthStatus:
        try:
            status = await self.tokens.keep_fresh()
        except AuthorizationLost:
            status = await self.tokens.status()
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("could not check the Zalo authorization (%s); trying again in %.0f s", type(exc).__name__,
                        self.interval)  # fmt: skip
            raise
        if status.state == LOST and self.tokens.auth.log_lost_now():
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(status.since or time.time()))
            log.error("Zalo authorization of OA %s lost since %s (%s): %d event(s) held, nothing sent; authorize "
                      "the OA again at /staff/oa", self.tokens.oa_id, since, status.error, self.held())  # fmt: skip
        elif status.state == EXPIRING and self.tokens.auth.log_lost_now():
            log.warning("the OA's Zalo refresh token expires in %s day(s) and could not be renewed; authorize the OA "
                        "again at /staff/oa", status.days_left())  # fmt: skip
        return status
