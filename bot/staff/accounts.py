"""Staff accounts: argon2id password hashes in Redis, two roles, and a lockout after repeated
failed logins (per account name, so guessing one officer's password from many addresses is slowed
just the same)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from bot.staff.keys import StaffKeys

MAX_FAILURES = 5  # failed logins within LOCKOUT_SECONDS before the account is locked for the rest of it
LOCKOUT_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 10
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class Role(StrEnum):
    VIEWER = "viewer"  # reads transcripts, masked
    SUPERVISOR = "supervisor"  # may also reveal personal data (audited) and export unmasked


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Account:
    name: str
    role: Role

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR


class LoginResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


class Accounts:
    def __init__(self, redis: Redis, keys: StaffKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def add(self, name: str, password: str, role: Role = Role.VIEWER) -> Account:
        """Creates or replaces the account (replacing is how a password is reset)."""
        name = name.strip().lower()
        if not _NAME_RE.fullmatch(name):
            raise AccountError("names are 2-40 characters: lower-case letters, digits, '.', '_' or '-'")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
        hashed = await asyncio.to_thread(_hasher.hash, password)
        await self.redis.hset(self.keys.account(name), mapping={"hash": hashed, "role": role.value})
        await self.redis.delete(self.keys.login_failures(name))
        return Account(name, role)

    async def login(self, name: str, password: str) -> tuple[LoginResult, Account | None]:
        name = name.strip().lower()
        failures_key = self.keys.login_failures(name)
        failures = int(await self.redis.get(failures_key) or 0)
        if failures >= MAX_FAILURES:
            return LoginResult.LOCKED, None
        stored = await self.redis.hgetall(self.keys.account(name)) if _NAME_RE.fullmatch(name) else {}
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        ok = await asyncio.to_thread(_verify, stored.get("hash", _DUMMY_HASH), password)
        if ok and stored:
            await self.redis.delete(failures_key)
            return LoginResult.OK, Account(name, Role(stored["role"]))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(failures_key)
            pipe.expire(failures_key, LOCKOUT_SECONDS)
            count, _ = await pipe.execute()
        return (LoginResult.LOCKED if count >= MAX_FAILURES else LoginResult.WRONG), None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
