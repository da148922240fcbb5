"""Fee payments through the emulated national payment platform, over real HTTP."""

import asyncio
import hashlib

import pytest

from bot.web.gateway_emulator import signed_callback
from lookup.payments import GatewayCallback, verify_signature
from tests.conftest import APPLICANT, GATEWAY_SECRET, STAFF


def test_signature_matches_a_fixed_vector_on_both_sides():
    # Computed by hand from the documented rule, so neither side can drift unnoticed.
    fields = ["pay1", "000.25.23.H34-261102-0001", "200000", "VCB", "VCB123", "00", "2026-11-16T10:00:00+07:00"]
    expected = hashlib.sha256(("|".join(fields) + "|" + GATEWAY_SECRET).encode()).hexdigest()
    from datetime import datetime

    body = signed_callback(
        "pay1", fields[1], 200000, "VCB", "00", datetime.fromisoformat(fields[6]), GATEWAY_SECRET, "VCB123"
    )
    assert body["signature"] == expected
    assert verify_signature(GatewayCallback.model_validate(body), GATEWAY_SECRET)
    assert not verify_signature(GatewayCallback.model_validate({**body, "amount_vnd": 1}), GATEWAY_SECRET)


async def dossier_awaiting_fees(api) -> dict:
    body = {"procedure_code": "1.004194", "agency_id": "000.31.01.H34", "applicant": APPLICANT}
    created = await (await api.post("/api/dossiers", json=body, headers=STAFF)).json()
    for status in (4, 6):
        response = await api.post(
            f"/api/dossiers/{created['code']}/transitions", json={"status": status}, headers=STAFF
        )
        assert response.status == 200
    return created


async def open_payment(api, created) -> dict:
    response = await api.post(
        "/api/payments", json={"dossier_code": created["code"], "security_code": created["security_code"]}
    )
    assert response.status == 201, await response.text()
    return await response.json()


async def callback(api, payment, created, result="00", transaction_id="VCB0001", secret=GATEWAY_SECRET, **changes):
    from datetime import datetime

    body = signed_callback(
        payment["payment_id"],
        created["code"],
        payment["amount_vnd"],
        "VCB",
        result,
        datetime.fromisoformat("2026-11-16T10:00:00+07:00"),
        secret,
        transaction_id,
    )
    body.update(changes)
    return await api.post(f"/api/payments/{payment['payment_id']}/callback", json=body)


@pytest.fixture
async def demo_api(backend, aiohttp_client, make_settings, clock, catalog):
    """Demo mode: the emulated bank's pages are mounted (they are not in production)."""
    from bot.app import create_app

    return await aiohttp_client(create_app(make_settings(demo=True), clock=clock, catalog=catalog))


async def test_citizen_pays_on_the_platform_page_and_the_dossier_resumes(demo_api):
    api = demo_api
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    assert payment["amount_vnd"] == 10000 and payment["state"] == "Chưa thanh toán"
    assert payment["pay_url"] == f"https://tracuu.example.vn/pay/{payment['payment_id']}"
    page = await api.get(f"/pay/{payment['payment_id']}")
    assert "Vietcombank" in await page.text() and "10.000 đồng" in await page.text()
    bank = await api.post(f"/pay/{payment['payment_id']}/bank", data={"bank_code": "VCB"})
    assert "Xác nhận thanh toán" in await bank.text()
    # The emulated bank posts its signed callback over HTTP, then sends the citizen back.
    done = await api.post(f"/pay/{payment['payment_id']}/confirm", data={"bank_code": "VCB", "action": "pay"})
    assert done.status == 200 and "Thanh toán thành công" in await done.text()
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Đã thanh toán"
    assert view["status"]["name"] == "Đang xử lý"
    progress = await (await api.get(f"/api/dossiers/{created['code']}/progress")).json()
    assert progress["timeline"][-1]["step"] == "Đã hoàn thành nghĩa vụ tài chính, tiếp tục xử lý"


async def test_duplicate_callback_is_idempotent(api):
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    first, second = await asyncio.gather(callback(api, payment, created), callback(api, payment, created))
    bodies = [await first.json(), await second.json()]
    assert {r.status for r in (first, second)} == {200}
    assert sorted(b["duplicate"] for b in bodies) == [False, True]  # exactly one applied it
    progress = await (await api.get(f"/api/dossiers/{created['code']}/progress")).json()
    assert [s["status"]["code"] for s in progress["timeline"]] == [2, 4, 6, 4]  # resumed once


async def test_bad_signature_changes_nothing(api):
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    response = await callback(api, payment, created, secret="not-the-partner-secret")
    assert response.status == 401
    response = await callback(api, payment, created, amount_vnd=1)  # tampered after signing
    assert response.status == 401
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Chưa thanh toán" and view["status"]["code"] == 6


async def test_asking_twice_gives_the_same_request_and_paid_fees_cannot_be_paid_again(api):
    created = await dossier_awaiting_fees(api)
    first, second = await asyncio.gather(open_payment(api, created), open_payment(api, created))
    assert first["payment_id"] == second["payment_id"]
    assert (await callback(api, first, created)).status == 200
    response = await api.post(
        "/api/payments", json={"dossier_code": created["code"], "security_code": created["security_code"]}
    )
    assert response.status == 409 and (await response.json())["error"]["code"] == "AlreadyPaid"
    other = await callback(api, first, created, transaction_id="VCB0002")  # a second, different debit
    assert other.status == 409


async def test_cancelled_payment_can_be_retried_with_a_new_request(api):
    created = await dossier_awaiting_fees(api)
    payment = await open_payment(api, created)
    response = await callback(api, payment, created, result="24")
    assert (await response.json())["state"] == "Hủy thanh toán"
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Hủy thanh toán" and view["status"]["code"] == 6
    retry = await open_payment(api, created)
    assert retry["payment_id"] != payment["payment_id"]


async def test_payment_needs_the_right_security_code_and_fees_due(api):
    created = await dossier_awaiting_fees(api)
    response = await api.post("/api/payments", json={"dossier_code": created["code"], "security_code": "ZZZZZZZZ"})
    assert response.status == 403
    free = await (
        await api.post(
            "/api/dossiers",
            json={"procedure_code": "1.004194", "applicant": APPLICANT, "fee_lines": []},
            headers=STAFF,
        )
    ).json()
    response = await api.post(
        "/api/payments", json={"dossier_code": free["code"], "security_code": free["security_code"]}
    )
    assert response.status == 409 and (await response.json())["error"]["code"] == "NoFeesDue"


@pytest.mark.parametrize("payment_id", ["nope", "0" * 20])
async def test_callback_for_an_unknown_payment_is_404(api, payment_id):
    created = await dossier_awaiting_fees(api)
    payment = {"payment_id": payment_id, "amount_vnd": 10000}
    response = await callback(api, payment, created)
    assert response.status == 404
