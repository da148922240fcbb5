"""The payment platform's callbacks at the edges of what the API takes."""

from __future__ import annotations

from tests.conftest import STAFF
from tests.test_payments import callback, dossier_awaiting_fees, open_payment


async def test_a_transaction_id_of_64_characters_settles_and_a_longer_one_changes_nothing(api):
    """The API takes the bank's transaction id up to 64 characters, as its schema says; a longer one
    is refused (422) before anything is stored, and the fees stay unpaid."""
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    refused = await callback(api, payment, created, transaction_id="T" * 65)
    assert refused.status == 422, await refused.text()
    dossier = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert dossier["status"]["code"] == 6  # still waiting for its fees
    settled = await callback(api, payment, created, transaction_id="T" * 64)
    assert settled.status == 200, await settled.text()
    dossier = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert dossier["status"]["code"] == 4


async def test_after_cancelled_tries_the_bank_confirms_the_last_one_and_that_one_is_paid(api):
    """A citizen cancelled on the bank's page, tried again, and pays on a later try: the
    confirmation settles that payment, whatever order the random payment ids sort in (an earlier,
    cancelled one must not be taken for it: its 'already cancelled' would refuse the bank)."""
    created = await dossier_awaiting_fees(api)
    cancelled = []
    while True:
        payment = await open_payment(api, created)
        if any(earlier["payment_id"] >= payment["payment_id"] for earlier in cancelled):
            break  # a newest id that sorts below an earlier one: at most a few tries
        response = await callback(api, payment, created, result="24", transaction_id=f"VCB-C{len(cancelled)}")
        assert response.status == 200, await response.text()
        cancelled.append(payment)
    paid = await callback(api, payment, created, transaction_id="VCB-PAID")
    assert paid.status == 200, await paid.text()
    assert (await paid.json())["state"] == "Đã thanh toán"
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Đã thanh toán" and view["status"]["code"] == 4


async def test_fees_paid_after_the_citizen_withdrew_are_recorded_and_the_dossier_stays_withdrawn(api):
    """The citizen withdrew the dossier while the bank was still confirming: the money was taken,
    so the payment is recorded (for the refund), and the withdrawn dossier is not reopened."""
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    withdrawn = await api.post(f"/api/dossiers/{created['code']}/transitions", json={"status": 7}, headers=STAFF)
    assert withdrawn.status == 200, await withdrawn.text()
    paid = await callback(api, payment, created)
    assert paid.status == 200, await paid.text()
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Đã thanh toán" and view["status"]["code"] == 7
