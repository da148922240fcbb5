"""Dossier persistence in Redis: code allocation and optimistic, retrying updates.

Safe with several service processes on one Redis: sequences come from INCR, documents are
written with SET NX on creation and with WATCH/MULTI on change, so two writers never lose each
other's update.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from redis.asyncio import Redis
from redis.exceptions import WatchError

from lookup.codes import format_code
from lookup.dossier import Dossier
from lookup.keys import Keys

_MAX_UPDATE_ATTEMPTS = 20
_SEQUENCE_TTL_SECONDS = 3 * 24 * 3600  # a day's counter is only needed while that day lasts


class DossierNotFound(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no dossier with code {code}")
        self.code = code


class SequenceExhausted(RuntimeError):
    """An agency received more than 9999 dossiers in one day: the national format has no room."""


class UpdateConflict(RuntimeError):
    """Too many concurrent writers on one dossier; the caller may retry later."""


class DossierStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def allocate_code(self, agency_id: str, day: date) -> str:
        key = self.keys.daily_sequence(agency_id, day)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, _SEQUENCE_TTL_SECONDS)
            sequence, _ = await pipe.execute()
        if sequence > 9999:
            raise SequenceExhausted(f"{agency_id} has used all 9999 codes for {day:%d/%m/%Y}")
        return format_code(agency_id, day, sequence)

    async def reserve_sequence(self, agency_id: str, day: date, at_least: int) -> None:
        """Make later allocations for that day start above `at_least` (used when fixed demo codes
        are inserted directly)."""
        key = self.keys.daily_sequence(agency_id, day)
        current = int(await self.redis.get(key) or 0)
        if current < at_least:
            await self.redis.set(key, at_least, ex=_SEQUENCE_TTL_SECONDS)

    async def insert(self, dossier: Dossier) -> bool:
        """Store a new dossier; False if its code is already taken (nothing is overwritten)."""
        payload = dossier.model_dump_json()
        return bool(await self.redis.set(self.keys.dossier(dossier.code), payload, nx=True))

    async def create(self, build: Callable[[str], Dossier], agency_id: str, day: date) -> Dossier:
        """Allocate the next code of the agency's day and store the dossier `build(code)` makes.
        A code already held (a fixed demo dossier, a restored backup) is skipped, not overwritten."""
        while True:
            dossier = build(await self.allocate_code(agency_id, day))
            if await self.insert(dossier):
                return dossier

    async def get(self, code: str) -> Dossier | None:
        raw = await self.redis.get(self.keys.dossier(code))
        return Dossier.model_validate_json(raw) if raw is not None else None

    async def update(self, code: str, change: Callable[[Dossier], Dossier]) -> Dossier:
        """Apply `change` to the stored dossier atomically. `change` may raise to abort; it may be
        called more than once when another writer got there first, so it must be pure."""
        key = self.keys.dossier(code)
        for _ in range(_MAX_UPDATE_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise DossierNotFound(code)
                    updated = change(Dossier.model_validate_json(raw))
                    pipe.multi()
                    pipe.set(key, updated.model_dump_json())
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue
        raise UpdateConflict(f"dossier {code} is being changed by too many writers; try again")
