"""Receiving dossiers, moving them through their lifecycle, and checking security codes."""

from __future__ import annotations

import asyncio
import copy
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import BaseModel, Field, StrictInt, StrictStr
from redis.asyncio import Redis

from lookup.calendar import VN_TZ, WorkingCalendar
from lookup.catalog import Catalog, Procedure
from lookup.codes import normalize_code
from lookup.dossier import Applicant, Channel, Dossier, FeeLine, TimelineStep
from lookup.dossier_store import DossierNotFound, DossierStore
from lookup.facts import document_names
from lookup.keys import Keys
from lookup.province import Agency, Province
from lookup.status import DossierStatus, check_transition, parse_status

Clock = Callable[[], datetime]

# No 0/O, 1/I/L: the code is read off paper and typed on a phone.
SECURITY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SECURITY_CODE_LENGTH = 8
# Wrong security codes, counted in windows of SECURITY_LOCK_SECONDS. A client (an address, a Zalo
# user) is refused for one dossier after MAX_SECURITY_FAILURES and for every dossier after
# MAX_CLIENT_FAILURES; others are not: nobody can lock the owner out. Past DOSSIER_SLOW_AFTER
# failures from everyone together, each check of that dossier waits SLOW_SECONDS first: a
# distributed guesser is slowed, the owner's right code still works.
MAX_SECURITY_FAILURES = 5
MAX_CLIENT_FAILURES = 20
DOSSIER_SLOW_AFTER = 30
SLOW_SECONDS = 2.0
SECURITY_LOCK_SECONDS = 15 * 60


class InvalidRequest(ValueError):
    """The request names something that does not exist or cannot apply (HTTP 422)."""


class SecurityCodeRejected(PermissionError):
    pass


class SecurityCodeLocked(PermissionError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong security codes from here; try again in {retry_after} s")
        self.retry_after = retry_after


class ReceiveRequest(BaseModel):
    procedure_code: str
    agency_id: str | None = Field(None, description="Defaults to the agency that handles the procedure.")
    channel: Channel = "trực tiếp"
    applicant: Applicant
    documents: list[str] | None = Field(None, description="Defaults to the procedure's document list.")
    fee_lines: list[FeeLine] | None = Field(None, description="Defaults to the procedure's fee.")
    processing_days: float | None = Field(None, gt=0, le=365, description="Working days; default from the procedure.")
    received_at: datetime | None = Field(None, description="Defaults to now; never in the future.")


class TransitionRequest(BaseModel):
    status: StrictInt | StrictStr = Field(description="National status number (1-10), enum name or Vietnamese label.")
    step: str | None = Field(None, max_length=200, description="Step name; defaults to the status label.")
    unit: str | None = Field(None, max_length=200)
    officer: str | None = Field(None, max_length=120)
    note: str | None = Field(None, max_length=1000)
    respond_by: datetime | None = Field(
        None, description="For 'Yêu cầu bổ sung giấy tờ': the date by which the citizen must respond."
    )


def new_security_code() -> str:
    return "".join(secrets.choice(SECURITY_ALPHABET) for _ in range(SECURITY_CODE_LENGTH))


def initial_status(channel: Channel) -> DossierStatus:
    # Online submissions wait for an officer to accept them; at the counter or by post the
    # receipt itself is the acceptance.
    return DossierStatus.MOI_DANG_KY if channel == "trực tuyến" else DossierStatus.DUOC_TIEP_NHAN


def new_dossier(
    code: str,
    security_code: str,
    procedure: Procedure,
    agency: Agency,
    channel: Channel,
    applicant: Applicant,
    documents: list[str],
    received_at: datetime,
    due_at: datetime,
    fee_lines: list[FeeLine],
) -> Dossier:
    """A dossier as it stands at receipt: initial status by channel, one open intake step."""
    status = initial_status(channel)
    return Dossier(
        code=code,
        security_code=security_code,
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        agency_id=agency.id,
        agency_name=agency.name,
        channel=channel,
        applicant=applicant,
        documents=documents,
        received_at=received_at,
        due_at=due_at,
        status=status,
        fee_lines=fee_lines,
        timeline=[TimelineStep(status=status, step="Tiếp nhận hồ sơ", unit=agency.name, started_at=received_at)],
    )


def advance(
    dossier: Dossier,
    target: DossierStatus,
    now: datetime,
    *,
    step: str | None = None,
    unit: str | None = None,
    officer: str | None = None,
    note: str | None = None,
    respond_by: datetime | None = None,
) -> Dossier:
    """A copy of the dossier moved to `target`, with the timeline's open step closed and a new one
    opened; raises IllegalTransition."""
    check_transition(dossier.status, target)
    timeline = [s.model_copy() for s in dossier.timeline]
    timeline[-1].finished_at = now
    timeline.append(
        TimelineStep(
            status=target,
            step=step or target.label,
            unit=unit or timeline[-1].unit,
            officer=officer,
            note=note,
            respond_by=respond_by,
            started_at=now,
        )
    )
    if target.is_final:
        timeline[-1].finished_at = now
    return dossier.model_copy(update={"status": target, "timeline": timeline})


class DossierService:
    def __init__(
        self, redis: Redis, keys: Keys, catalog: Catalog, province: Province, calendar: WorkingCalendar, clock: Clock
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.store = DossierStore(redis, keys)
        self.catalog = catalog
        self.province = province
        self.calendar = calendar
        self.clock = clock
        self.client: str | None = None  # who asks, when bound with for_client
        self.scope = ""  # "sandbox" for a replay: its failures never touch the real counters
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def for_client(self, client: str, scope: str = "") -> DossierService:
        """This service with security-code checks counted for `client` (and in `scope`)."""
        bound = copy.copy(self)
        bound.client, bound.scope = client, scope
        return bound

    async def receive(self, request: ReceiveRequest) -> Dossier:
        now = self.clock()
        procedure = self.catalog.get(request.procedure_code)
        if procedure is None:
            raise InvalidRequest(f"unknown procedure code {request.procedure_code!r}")
        if request.agency_id is not None:
            agency = self.province.agency(request.agency_id)
            if agency is None:
                raise InvalidRequest(f"agency {request.agency_id!r} is not an agency of {self.province.full_name}")
        else:
            agency = self.province.agency_for(procedure)
        received_at = request.received_at or now
        if received_at.tzinfo is None:
            raise InvalidRequest("received_at must carry a timezone offset, e.g. +07:00")
        if received_at > now:
            raise InvalidRequest("received_at is in the future")
        days = request.processing_days or procedure.processing_days
        if not days:
            raise InvalidRequest(f"procedure {procedure.code} states no processing time in days; pass processing_days")
        if request.fee_lines is not None:
            fee_lines = request.fee_lines
        elif procedure.fee_vnd:
            fee_lines = [FeeLine(name=f"Phí, lệ phí: {procedure.name[:120]}", amount_vnd=procedure.fee_vnd)]
        else:
            fee_lines = []
        documents = request.documents if request.documents is not None else document_names(procedure)
        due_at = self.calendar.due_at(received_at, days)

        def build(code: str) -> Dossier:
            return new_dossier(
                code,
                new_security_code(),
                procedure,
                agency,
                request.channel,
                request.applicant,
                documents,
                received_at,
                due_at,
                fee_lines,
            )

        return await self.store.create(build, agency.id, received_at.astimezone(VN_TZ).date())

    async def get(self, code_text: str) -> Dossier:
        """The dossier for a code typed any which way; raises InvalidDossierCode, DossierNotFound."""
        code = normalize_code(code_text)
        dossier = await self.store.get(code)
        if dossier is None:
            raise DossierNotFound(code)
        return dossier

    async def transition(self, code_text: str, request: TransitionRequest) -> Dossier:
        try:
            target = parse_status(request.status)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        now = self.clock()
        return await self.store.update(
            normalize_code(code_text),
            lambda d: advance(
                d,
                target,
                now,
                step=request.step,
                unit=request.unit,
                officer=request.officer,
                note=request.note,
                respond_by=request.respond_by,
            ),
        )

    async def check_security_code(self, dossier: Dossier, given: str, client: str | None = None) -> None:
        """Constant-time comparison. Failures are counted per (dossier, client), per client and per
        dossier: the first two refuse that client only (SecurityCodeLocked), the last slows every
        check of the dossier, so the 31^8 space cannot be walked and nobody can lock the owner out."""
        client = client or self.client or "anonymous"
        pair_key = self.keys.security_failures(dossier.code, client, self.scope)
        total_key = self.keys.security_failures(dossier.code, scope=self.scope)
        client_key = self.keys.client_security_failures(client, self.scope)
        pair, total = await self.redis.mget(pair_key, total_key)
        if int(pair or 0) >= MAX_SECURITY_FAILURES:
            raise SecurityCodeLocked(max(1, await self.redis.ttl(pair_key)))
        if int(await self.redis.get(client_key) or 0) >= MAX_CLIENT_FAILURES:
            raise SecurityCodeLocked(max(1, await self.redis.ttl(client_key)))
        if int(total or 0) >= DOSSIER_SLOW_AFTER:
            await self.sleep(SLOW_SECONDS)
        cleaned = given.strip().upper().replace(" ", "")
        if hmac.compare_digest(cleaned.encode(), dossier.security_code.encode()):
            return
        async with self.redis.pipeline(transaction=True) as pipe:  # one slot: the dossier's
            for key in (pair_key, total_key):
                pipe.incr(key)
                pipe.expire(key, SECURITY_LOCK_SECONDS)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(client_key)
            pipe.expire(client_key, SECURITY_LOCK_SECONDS)
            await pipe.execute()
        raise SecurityCodeRejected("wrong security code")

    async def clear_security_failures(self, code_text: str) -> int:
        """An officer's unlock (`python -m bot unlock CODE`): see clear_security_failures."""
        return await clear_security_failures(self.redis, self.keys, code_text)


async def clear_security_failures(redis: Redis, keys: Keys, code_text: str) -> int:
    """Forget every wrong security code counted for a dossier, from every client (a replay's sandbox
    counts elsewhere and expires by itself). Returns how many counters were removed."""
    code = normalize_code(code_text)
    pattern = keys.security_failures(code).replace("[", "\\[").replace("?", "\\?").replace("*", "\\*")
    found = [key async for key in redis.scan_iter(match=pattern + "*", count=1000)]
    return await redis.delete(*found) if found else 0
