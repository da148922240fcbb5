"""Staff sessions: a random id kept in Redis (so any process can check it and logout ends it
everywhere), sent in a cookie signed with HMAC-SHA256 (a forged or altered cookie is refused before
Redis is asked), with a per-session CSRF token for every form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.staff.accounts import Account, Role
from bot.staff.keys import StaffKeys

COOKIE = "tracuu_staff"
IDLE_SECONDS = 8 * 3600  # a working day; every request extends it


@dataclass(frozen=True)
class Session:
    id: str
    account: Account
    csrf: str


class Sessions:
    def __init__(self, redis: Redis, keys: StaffKeys, secret: bytes | None) -> None:
        self.redis = redis
        self.keys = keys
        self._secret = secret

    async def secret(self) -> bytes:
        """The configured secret, or one generated once and shared by every process through Redis."""
        if self._secret is None:
            fresh = base64.b64encode(secrets.token_bytes(32)).decode()
            await self.redis.set(self.keys.cookie_secret(), fresh, nx=True)
            self._secret = base64.b64decode(await self.redis.get(self.keys.cookie_secret()))
        return self._secret

    async def create(self, account: Account) -> tuple[Session, str]:
        """A new session and the cookie value that carries it."""
        session = Session(secrets.token_urlsafe(32), account, secrets.token_urlsafe(32))
        key = self.keys.session(session.id)
        await self.redis.hset(key, mapping={"name": account.name, "role": account.role.value, "csrf": session.csrf})
        await self.redis.expire(key, IDLE_SECONDS)
        return session, f"{session.id}.{await self._sign(session.id)}"

    async def from_cookie(self, value: str | None) -> Session | None:
        if not value or "." not in value:
            return None
        session_id, _, signature = value.rpartition(".")
        # Bytes, not str: compare_digest refuses non-ASCII text (a forged cookie was a 500).
        if not hmac.compare_digest(signature.encode(errors="surrogateescape"), (await self._sign(session_id)).encode()):
            return None
        key = self.keys.session(session_id)
        stored = await self.redis.hgetall(key)
        if not stored:
            return None
        await self.redis.expire(key, IDLE_SECONDS)
        return Session(session_id, Account(stored["name"], Role(stored["role"])), stored["csrf"])

    async def end(self, session: Session) -> None:
        await self.redis.delete(self.keys.session(session.id))

    async def _sign(self, session_id: str) -> str:
        mac = hmac.new(await self.secret(), session_id.encode(errors="surrogateescape"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")
