"""A payment already settled and a signed callback for it with another transaction: a second debit
the partner reports, refused whatever its transaction id (only the same transaction is a
redelivery), and the dossier keeps the first."""

from __future__ import annotations

from tests.test_payments import callback, dossier_awaiting_fees, open_payment


async def test_a_second_debit_with_an_earlier_transaction_id_is_refused_not_taken_for_a_redelivery(api):
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    assert (await callback(api, payment, created, transaction_id="VCB0009")).status == 200
    # The partner's ids need not grow: "VCB0002" sorts before "VCB0009" and is still another debit.
    other = await callback(api, payment, created, transaction_id="VCB0002")
    assert other.status == 409 and (await other.json())["error"]["code"] == "AlreadyPaid"
    again = await callback(api, payment, created, transaction_id="VCB0009")  # the same one, redelivered
    assert again.status == 200 and (await again.json())["duplicate"] is True
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Đã thanh toán"
