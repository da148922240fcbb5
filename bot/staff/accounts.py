"""Staff accounts: argon2id password hashes in Redis, two roles, and limits on failed logins that
nobody on the internet can turn against an officer: a client (an address) is refused after
MAX_FAILURES for one account or MAX_CLIENT_FAILURES in all, while an account's failures from
everyone together only slow each further attempt (SLOW_SECONDS), never lock it: the officer's right
password still works."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from bot.staff.keys import StaffKeys

MAX_FAILURES = 5  # failed logins of one account from one client within LOCKOUT_SECONDS: that client is refused
MAX_CLIENT_FAILURES = 20  # failed logins from one client, any names, within LOCKOUT_SECONDS
ACCOUNT_SLOW_AFTER = 10  # failed logins of one account from everyone: each further attempt waits SLOW_SECONDS
SLOW_SECONDS = 2.0
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
    LOCKED = "locked"  # refused for this client, for LOCKOUT_SECONDS; the account itself is never locked


class Accounts:
    def __init__(self, redis: Redis, keys: StaffKeys) -> None:
        self.redis = redis
        self.keys = keys
        self.sleep = asyncio.sleep

    async def add(self, name: str, password: str, role: Role = Role.VIEWER) -> Account:
        """Creates or replaces the account (replacing is how a password is reset)."""
        name = name.strip().lower()
        if not _NAME_RE.fullmatch(name):
            raise AccountError("names are 2-40 characters: lower-case letters, digits, '.', '_' or '-'")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
        hashed = await asyncio.to_thread(_hasher.hash, password)
        await self.redis.hset(self.keys.account(name), mapping={"hash": hashed, "role": role.value})
        # A reset also forgets the account's failed logins, from everyone and from each client.
        pattern = self.keys.login_failures(name, "*")
        failures = [key async for key in self.redis.scan_iter(match=pattern, count=1000)]
        await self.redis.delete(self.keys.login_failures(name), *failures)
        return Account(name, role)

    async def login(self, name: str, password: str, client: str = "anonymous") -> tuple[LoginResult, Account | None]:
        name = name.strip().lower()
        pair_key = self.keys.login_failures(name, client)
        account_key = self.keys.login_failures(name)
        client_key = self.keys.client_login_failures(client)
        pair, total, from_client = await self.redis.mget(pair_key, account_key, client_key)
        if int(pair or 0) >= MAX_FAILURES or int(from_client or 0) >= MAX_CLIENT_FAILURES:
            return LoginResult.LOCKED, None
        if int(total or 0) >= ACCOUNT_SLOW_AFTER:
            await self.sleep(SLOW_SECONDS)
        stored = await self.redis.hgetall(self.keys.account(name)) if _NAME_RE.fullmatch(name) else {}
        # argon2 takes tens of milliseconds of CPU: off the event loop.
        ok = await asyncio.to_thread(_verify, stored.get("hash", _DUMMY_HASH), password)
        if ok and stored:
            await self.redis.delete(pair_key)
            return LoginResult.OK, Account(name, Role(stored["role"]))
        async with self.redis.pipeline(transaction=True) as pipe:  # one slot: {staff}
            for key in (pair_key, account_key, client_key):
                pipe.incr(key)
                pipe.expire(key, LOCKOUT_SECONDS)
            pair_count, _, _, _, client_count, _ = await pipe.execute()
        locked = pair_count >= MAX_FAILURES or client_count >= MAX_CLIENT_FAILURES
        return (LoginResult.LOCKED if locked else LoginResult.WRONG), None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
