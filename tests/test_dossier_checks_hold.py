"""Dossier details a citizen or an officer reads: which office has the dossier now, and how long a
security-code lock still lasts."""

from __future__ import annotations

import pytest

from lookup.dossiers import MAX_CLIENT_FAILURES, MAX_SECURITY_FAILURES, SecurityCodeLocked, SecurityCodeRejected
from tests.conftest import STAFF
from tests.test_api_dossiers import receive
from tests.test_store import receive_request


async def test_a_step_that_names_no_office_stays_with_the_office_that_has_the_dossier(api):
    """The police ward took the dossier over; its next step, recorded without a unit, is still
    theirs: the citizen must not read that it went back to the receiving desk."""
    code = (await receive(api))["code"]
    for step in ({"status": 4, "unit": "Công an phường Kon Tum"}, {"status": "Yêu cầu thực hiện nghĩa vụ tài chính"}):
        response = await api.post(f"/api/dossiers/{code}/transitions", json=step, headers=STAFF)
        assert response.status == 200, await response.text()
    progress = await (await api.get(f"/api/dossiers/{code}/progress")).json()
    assert [s["unit"] for s in progress["timeline"]][1:] == ["Công an phường Kon Tum", "Công an phường Kon Tum"]


async def test_a_lock_in_its_last_moment_says_to_wait_a_second_not_zero(service, redis_client):
    """Redis rounds a TTL under half a second down to 0: 'try again in 0 s' would send the client
    straight back into the lock. For one dossier and for every dossier alike."""
    dossier = await service.receive(receive_request())
    for _ in range(MAX_SECURITY_FAILURES):
        with pytest.raises(SecurityCodeRejected):
            await service.check_security_code(dossier, "WRONG123", client="ip:198.51.100.7")
    await redis_client.pexpire(service.keys.security_failures(dossier.code, "ip:198.51.100.7", ""), 300)
    with pytest.raises(SecurityCodeLocked) as locked:
        await service.check_security_code(dossier, dossier.security_code, client="ip:198.51.100.7")
    assert locked.value.retry_after == 1

    others = [await service.receive(receive_request()) for _ in range(MAX_CLIENT_FAILURES // MAX_SECURITY_FAILURES)]
    for other in others:
        for _ in range(MAX_SECURITY_FAILURES):
            with pytest.raises(SecurityCodeRejected):
                await service.check_security_code(other, "WRONG123", client="ip:198.51.100.8")
    await redis_client.pexpire(service.keys.client_security_failures("ip:198.51.100.8", ""), 300)
    with pytest.raises(SecurityCodeLocked) as locked:
        await service.check_security_code(dossier, dossier.security_code, client="ip:198.51.100.8")
    assert locked.value.retry_after == 1


@pytest.mark.parametrize(("field", "limit"), [("step", 200), ("unit", 200), ("officer", 120), ("note", 1000)])
async def test_a_step_is_recorded_up_to_the_documented_length_and_refused_beyond_it(api, field, limit):
    """What an officer types into a step is kept whole up to the length the API documents; one
    character more is a 422 and the dossier does not move."""
    code = (await receive(api))["code"]
    refused = await api.post(
        f"/api/dossiers/{code}/transitions", json={"status": 4, field: "ă" * (limit + 1)}, headers=STAFF
    )
    assert refused.status == 422, await refused.text()
    kept = await api.post(f"/api/dossiers/{code}/transitions", json={"status": 4, field: "ă" * limit}, headers=STAFF)
    assert kept.status == 200, await kept.text()
    progress = await (await api.get(f"/api/dossiers/{code}/progress")).json()
    assert [s["status"]["code"] for s in progress["timeline"]] == [2, 4]
    if field in ("step", "unit"):  # the public progress view shows neither the officer nor the note
        assert progress["timeline"][-1][field] == "ă" * limit
