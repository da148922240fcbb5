"""The dossier store on both backends: code allocation under concurrency, no lost updates,
security codes."""

import asyncio

import pytest

from lookup.dossier_store import DossierNotFound
from lookup.dossiers import (
    MAX_SECURITY_FAILURES,
    InvalidRequest,
    ReceiveRequest,
    SecurityCodeLocked,
    SecurityCodeRejected,
    TransitionRequest,
)
from lookup.status import DossierStatus, IllegalTransition
from tests.conftest import APPLICANT


def receive_request(**overrides) -> ReceiveRequest:
    values = {"procedure_code": "1.004194", "applicant": APPLICANT, "agency_id": "000.31.01.H34"}
    values.update(overrides)
    return ReceiveRequest.model_validate(values)


async def test_fifty_parallel_receipts_get_fifty_distinct_consecutive_codes(service):
    dossiers = await asyncio.gather(*(service.receive(receive_request()) for _ in range(50)))
    codes = [d.code for d in dossiers]
    assert len(set(codes)) == 50
    # Monday 16/11/2026 at the phường: sequences 0001..0050 with none skipped or doubled.
    assert sorted(codes) == [f"000.31.01.H34-261116-{n:04d}" for n in range(1, 51)]
    stored = await asyncio.gather(*(service.store.get(c) for c in codes))
    assert [s.code for s in stored] == codes


async def test_sequences_restart_per_agency_and_per_day(service, clock):
    first = await service.receive(receive_request())
    other_agency = await service.receive(receive_request(agency_id="000.31.02.H34"))
    clock.advance(days=1)
    next_day = await service.receive(receive_request())
    assert first.code.endswith("261116-0001")
    assert other_agency.code == "000.31.02.H34-261116-0001"
    assert next_day.code == "000.31.01.H34-261117-0001"


async def test_a_code_already_held_is_skipped_not_overwritten(service):
    held = await service.receive(receive_request())
    # Simulate a fixed demo dossier holding the next code: the counter is behind it.
    squatter = held.model_copy(update={"code": "000.31.01.H34-261116-0002"})
    assert await service.store.insert(squatter)
    assert not await service.store.insert(squatter)  # SET NX: never overwritten
    after = await service.receive(receive_request())
    assert after.code == "000.31.01.H34-261116-0003"


async def test_receiving_computes_due_date_status_fees_and_first_step(service):
    dossier = await service.receive(receive_request())
    assert dossier.status is DossierStatus.DUOC_TIEP_NHAN  # at the counter: receipt is acceptance
    assert dossier.due_at.isoformat() == "2026-11-18T17:00:00+07:00"  # 3 working days from Mon 09:30
    assert dossier.fee_lines[0].amount_vnd == 10000  # from the catalog
    assert dossier.timeline[0].step == "Tiếp nhận hồ sơ"
    assert len(dossier.security_code) == 8
    online = await service.receive(receive_request(channel="trực tuyến"))
    assert online.status is DossierStatus.MOI_DANG_KY


async def test_receiving_refuses_unknown_procedure_foreign_agency_and_future_dates(service, clock):
    with pytest.raises(InvalidRequest, match="unknown procedure"):
        await service.receive(receive_request(procedure_code="9.999999"))
    with pytest.raises(InvalidRequest, match="not an agency of tỉnh Kon Tum"):
        await service.receive(receive_request(agency_id="000.00.01.H48"))
    with pytest.raises(InvalidRequest, match="future"):
        await service.receive(receive_request(received_at=clock().replace(year=2027).isoformat()))
    with pytest.raises(InvalidRequest, match="processing_days"):
        await service.receive(receive_request(procedure_code="1.001193"))  # its time is not in days


async def test_concurrent_transitions_lose_no_step(service):
    dossier = await service.receive(receive_request())
    await service.transition(dossier.code, TransitionRequest(status=4))
    # Ten officers race to move it on; exactly one legal move wins per state, none is lost.
    results = await asyncio.gather(
        *(service.transition(dossier.code, TransitionRequest(status=9, officer=f"cb{i}")) for i in range(10)),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1
    assert all(isinstance(r, IllegalTransition) for r in results if isinstance(r, Exception))
    final = await service.store.get(dossier.code)
    assert [s.status for s in final.timeline] == [2, 4, 9]


async def test_transition_of_unknown_dossier_is_not_found(service):
    with pytest.raises(DossierNotFound):
        await service.transition("000.31.01.H34-261116-9999", TransitionRequest(status=4))


async def test_security_code_is_checked_tolerantly_and_locks_after_repeated_failures(service):
    dossier = await service.receive(receive_request())
    await service.check_security_code(dossier, f" {dossier.security_code.lower()} ")
    for _ in range(MAX_SECURITY_FAILURES):
        with pytest.raises(SecurityCodeRejected):
            await service.check_security_code(dossier, "WRONG123")
    with pytest.raises(SecurityCodeLocked) as locked:
        await service.check_security_code(dossier, dossier.security_code)  # even the right one, for now
    assert 0 < locked.value.retry_after <= 15 * 60
    # ...for this client only: the owner elsewhere is not locked out, and a sandbox never counts.
    await service.check_security_code(dossier, dossier.security_code, client="ip:192.0.2.1")
    sandbox = service.for_client("zalo:replay-x", scope="sandbox")
    for _ in range(MAX_SECURITY_FAILURES + 1):
        with pytest.raises((SecurityCodeRejected, SecurityCodeLocked)):
            await sandbox.check_security_code(dossier, "WRONG123")
    await service.check_security_code(dossier, dossier.security_code, client="ip:192.0.2.2")
    assert int(await service.redis.get(service.keys.security_failures(dossier.code))) == MAX_SECURITY_FAILURES
