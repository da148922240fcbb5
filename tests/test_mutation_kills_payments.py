"""A dossier's payment record after cancelled attempts: the citizen cancels at the bank twice, then
picks another bank and pays. Each attempt stays on the record as it ended (the cancelled ones
cancelled, with the bank that cancelled them), and only the attempt paid becomes paid: choosing a
bank or a bank's callback for one attempt touches no other. Staff and the citizen read this record
(the full view); a cancelled attempt shown waiting, or paid twice over, is a receipt that lies.

Payment ids are random (`secrets.token_hex`); here they are fixed, one sorting before and one after
the attempt paid, so a change that picks payments by comparing ids instead of matching one shows
whatever the order."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from bot.appkeys import REDIS
from bot.web.gateway_emulator import signed_callback
from tests.conftest import APPLICANT, GATEWAY_SECRET, STAFF
from tests.test_payments import demo_api, dossier_awaiting_fees, open_payment  # noqa: F401 - demo_api

IDS = ["1" * 20, "9" * 20, "5" * 20]
PAID_AT = datetime.fromisoformat("2026-11-16T10:00:00+07:00")


@pytest.fixture
def fixed_payment_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    import lookup.payments

    ids = iter(IDS)
    monkeypatch.setattr(lookup.payments, "secrets", SimpleNamespace(token_hex=lambda _n: next(ids)))


async def bank_says(api, created: dict, payment: dict, bank: str, result: str, transaction_id: str) -> int:
    body = signed_callback(payment["payment_id"], created["code"], payment["amount_vnd"], bank, result, PAID_AT,
                           GATEWAY_SECRET, transaction_id)  # fmt: skip
    return (await api.post(f"/api/payments/{payment['payment_id']}/callback", json=body)).status


async def test_cancelled_attempts_stay_cancelled_when_the_citizen_pays_a_third_time(
    demo_api,  # noqa: F811 - the fixture
    fixed_payment_ids,
):
    api = demo_api
    created = await dossier_awaiting_fees(api)

    async def record() -> list[tuple[str, str, str | None]]:
        headers = {"X-Security-Code": created["security_code"]}
        view = await (await api.get(f"/api/dossiers/{created['code']}", headers=headers)).json()
        return [(p["id"], p["state"], p["bank_code"]) for p in view["payments"]]

    for n in range(2):
        attempt = await open_payment(api, created)
        assert await bank_says(api, created, attempt, "VCB", "24", f"VCB000{n}") == 200
    last = await open_payment(api, created)
    assert last["payment_id"] == IDS[2]
    cancelled = [(IDS[0], "Hủy thanh toán", "VCB"), (IDS[1], "Hủy thanh toán", "VCB")]
    assert await record() == [*cancelled, (IDS[2], "Chưa thanh toán", None)]

    assert (await api.post(f"/pay/{last['payment_id']}/bank", data={"bank_code": "CTG"})).status == 200
    assert await record() == [*cancelled, (IDS[2], "Chờ thanh toán", "CTG")]
    assert await bank_says(api, created, last, "CTG", "00", "CTG0003") == 200
    assert await record() == [*cancelled, (IDS[2], "Đã thanh toán", "CTG")]


async def test_a_signed_callback_for_more_than_the_fees_or_an_earlier_dossier_is_refused(api):
    """tests/test_secondary_checks.py refuses a callback for less, or naming a later dossier; the
    other sides too: a bank reporting more than the fees (the citizen debited too much) and a
    callback naming a dossier received before this one are refused, and the fees stay unpaid."""
    earlier = await dossier_awaiting_fees(api)
    created = await dossier_awaiting_fees(api)
    assert earlier["code"] < created["code"]
    payment = await open_payment(api, created)
    url = f"/api/payments/{payment['payment_id']}/callback"

    def body(code: str, amount: int) -> dict:
        return signed_callback(payment["payment_id"], code, amount, "VCB", "00", PAID_AT, GATEWAY_SECRET, "VCB0001")

    more = await api.post(url, json=body(created["code"], payment["amount_vnd"] + 1000))
    assert more.status == 400, await more.text()
    elsewhere = await api.post(url, json=body(earlier["code"], payment["amount_vnd"]))
    assert elsewhere.status == 400, await elsewhere.text()
    for code in (created["code"], earlier["code"]):
        view = await (await api.get(f"/api/dossiers/{code}")).json()
        assert view["fees"]["payment_state"] == "Chưa thanh toán" and view["status"]["code"] == 6


async def progress_of(api, created: dict) -> list[int]:
    progress = await (await api.get(f"/api/dossiers/{created['code']}/progress")).json()
    return [step["status"]["code"] for step in progress["timeline"]]


@pytest.mark.parametrize(("statuses", "name"), [((4,), "Đang xử lý"), ((4, 9), "Đã xử lý xong")])
async def test_fees_paid_while_processing_or_once_done_leave_the_dossier_where_it_is(api, statuses, name):
    """Only a dossier waiting for its fees (status 6) resumes processing when they are paid. Fees paid
    early, while the dossier is being processed, or at the end, once it is done (paid when the
    result is collected), leave it where it is: a finished dossier must not reopen as 'being
    processed', nor a dossier in processing get a second 'fees done, processing resumes' step."""
    body = {"procedure_code": "1.004194", "agency_id": "000.31.01.H34", "applicant": APPLICANT}
    created = await (await api.post("/api/dossiers", json=body, headers=STAFF)).json()
    for status in statuses:
        moved = await api.post(f"/api/dossiers/{created['code']}/transitions", json={"status": status}, headers=STAFF)
        assert moved.status == 200, await moved.text()
    before = await progress_of(api, created)
    payment = await open_payment(api, created)
    assert await bank_says(api, created, payment, "VCB", "00", "VCB0001") == 200
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Đã thanh toán"
    assert view["status"]["name"] == name
    assert await progress_of(api, created) == before


async def test_asking_again_for_the_open_payment_leaves_no_stray_payment_index(api, backend, monkeypatch):
    """Each request for a payment writes an index entry (payment id -> dossier) before it knows
    whether a payment is already open; when one is, the new id's entry is deleted again. A citizen
    tapping 'Thanh toán' three times leaves one entry, the open payment's, whichever way the random
    ids sort (fixed here: the open one between the two later ones)."""
    import lookup.payments

    ids = iter(["5" * 20, "9" * 20, "1" * 20])
    monkeypatch.setattr(lookup.payments, "secrets", SimpleNamespace(token_hex=lambda _n: next(ids)))
    created = await dossier_awaiting_fees(api)
    opened = [await open_payment(api, created) for _ in range(3)]
    assert {p["payment_id"] for p in opened} == {"5" * 20}
    store = api.app[REDIS]
    found = [key async for key in store.scan_iter(match=f"{backend.prefix}:{{pay:*", count=1000)]
    assert found == [f"{backend.prefix}:{{pay:{'5' * 20}}}:dossier-code"]
