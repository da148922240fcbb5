"""Security-code guessing, at the edges the other tests leave: a burst of wrong codes sent at once
(one client, one dossier, or one client across dossiers) can push a failure counter past its limit,
and the lock must hold above the limit too, not only on it; and a dossier guessed at by many
clients makes each further check wait two seconds (the documented slow-down), the owner's right
code still accepted after the wait."""

from __future__ import annotations

import asyncio

import pytest

from lookup.dossiers import (
    MAX_CLIENT_FAILURES,
    MAX_SECURITY_FAILURES,
    SecurityCodeLocked,
    SecurityCodeRejected,
)
from tests.test_store import receive_request

GUESSER = "ip:198.51.100.9"


async def wrong_codes_at_once(service, dossier, count: int, client: str = GUESSER) -> None:
    """`count` wrong codes checked together: each passes the lock check before any is counted."""
    outcomes = await asyncio.gather(
        *(service.check_security_code(dossier, "WRONG123", client=client) for _ in range(count)),
        return_exceptions=True,
    )
    assert all(isinstance(o, SecurityCodeRejected | SecurityCodeLocked) for o in outcomes), outcomes


async def test_a_burst_of_guesses_past_the_limit_still_locks_the_guesser_out(service, redis_client):
    dossier = await service.receive(receive_request())
    await wrong_codes_at_once(service, dossier, MAX_SECURITY_FAILURES + 3)
    pair = await redis_client.get(service.keys.security_failures(dossier.code, GUESSER, ""))
    assert int(pair) > MAX_SECURITY_FAILURES  # the burst went past the limit...
    with pytest.raises(SecurityCodeLocked):  # ...and the guesser is still refused, even the right code
        await service.check_security_code(dossier, dossier.security_code, client=GUESSER)
    await service.check_security_code(dossier, dossier.security_code, client="ip:198.51.100.10")  # the owner


async def test_a_burst_across_dossiers_past_the_client_limit_locks_the_guesser_out_everywhere(service, redis_client):
    under = MAX_SECURITY_FAILURES - 1  # wrong codes per dossier, each under the dossier's own limit
    dossiers = [await service.receive(receive_request()) for _ in range(MAX_CLIENT_FAILURES // under + 1)]
    await asyncio.gather(*(wrong_codes_at_once(service, dossier, under) for dossier in dossiers))
    total = await redis_client.get(service.keys.client_security_failures(GUESSER, ""))
    assert int(total) > MAX_CLIENT_FAILURES  # the burst went past the client's limit...
    fresh = await service.receive(receive_request())
    with pytest.raises(SecurityCodeLocked):  # ...and the guesser is refused on every dossier
        await service.check_security_code(fresh, fresh.security_code, client=GUESSER)


async def test_a_dossier_guessed_at_by_many_clients_makes_each_check_wait_two_seconds(service):
    """Past 30 wrong codes from everyone together (each client under its own limits), every check
    of the dossier waits 2 s first, and keeps waiting while the guessing goes on; the owner's right
    code is still accepted after the wait."""
    dossier = await service.receive(receive_request())
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    service.sleep = sleep

    async def wrong(n: int) -> None:
        with pytest.raises(SecurityCodeRejected):
            await service.check_security_code(dossier, "WRONG123", client=f"ip:203.0.113.{n}")

    for n in range(29):
        await wrong(n)
    await service.check_security_code(dossier, dossier.security_code, client="ip:198.51.100.10")
    assert waited == []  # 29 wrong codes: not slowed yet
    await wrong(29)
    await service.check_security_code(dossier, dossier.security_code, client="ip:198.51.100.10")
    assert waited == [2.0]  # the 30th: each check now waits two seconds
    await wrong(30)  # the guessing goes on: 31 wrong codes
    await service.check_security_code(dossier, dossier.security_code, client="ip:198.51.100.10")
    assert waited == [2.0, 2.0, 2.0]  # the guess and the owner's check each waited


async def test_a_client_is_refused_everywhere_at_its_twentieth_wrong_code_not_before(service):
    """One client guessing across dossiers, under each dossier's own limit (4 wrong codes each): 19
    wrong codes still leave it free to use a right code elsewhere; the 20th locks it out of every
    dossier, its own included."""
    dossiers = [await service.receive(receive_request()) for _ in range(5)]
    own = await service.receive(receive_request())
    for n in range(19):
        with pytest.raises(SecurityCodeRejected):
            await service.check_security_code(dossiers[n // 4], "WRONG123", client=GUESSER)
    await service.check_security_code(own, own.security_code, client=GUESSER)  # 19: not locked
    with pytest.raises(SecurityCodeRejected):
        await service.check_security_code(dossiers[4], "WRONG123", client=GUESSER)
    with pytest.raises(SecurityCodeLocked):  # 20: locked everywhere
        await service.check_security_code(own, own.security_code, client=GUESSER)
