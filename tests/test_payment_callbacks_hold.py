"""The payment platform's callbacks at the edges of what the API takes."""

from __future__ import annotations

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
