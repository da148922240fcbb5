"""The dossier API over real HTTP on loopback, on both backends."""

import io
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image

from bot.app import create_app
from tests.conftest import APPLICANT, STAFF


async def receive(api, **overrides) -> dict:
    body = {"procedure_code": "1.004194", "agency_id": "000.31.01.H34", "applicant": APPLICANT, **overrides}
    response = await api.post("/api/dossiers", json=body, headers=STAFF)
    assert response.status == 201, await response.text()
    return await response.json()


async def test_receiving_returns_code_security_code_dates_and_fees(api):
    created = await receive(api)
    assert created["code"] == "000.31.01.H34-261116-0001"
    assert len(created["security_code"]) == 8
    assert created["status"] == {"code": 2, "name": "Được tiếp nhận"}
    assert created["received_at"].startswith("2026-11-16T09:30")
    assert created["due_at"] == "2026-11-18T17:00:00+07:00"
    assert created["fees"]["lines"] == [{"name": "Phí, lệ phí: Đăng ký tạm trú", "amount_vnd": 10000}]
    assert created["receipt_url"].endswith(f"/api/dossiers/{created['code']}/receipt.png")


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": "Basic dGVzdA=="}, 401)],
)
async def test_staff_endpoints_refuse_callers_without_the_token(api, headers, status):
    body = {"procedure_code": "1.004194", "applicant": APPLICANT}
    response = await api.post("/api/dossiers", json=body, headers=headers)
    assert response.status == status
    assert (await response.json())["error"]["code"] == "unauthorized"
    response = await api.post(
        "/api/dossiers/000.31.01.H34-261116-0001/transitions", json={"status": 4}, headers=headers
    )
    assert response.status == status


async def test_staff_endpoints_are_disabled_when_no_token_is_configured(backend, aiohttp_client, make_settings, clock,
                                                                          catalog):  # fmt: skip
    client = await aiohttp_client(create_app(make_settings(staff_api_token=None), clock=clock, catalog=catalog))
    response = await client.post("/api/dossiers", json={}, headers=STAFF)
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "staff_api_disabled"


async def test_public_view_masks_the_applicant_and_hides_personal_data(api):
    created = await receive(api)
    response = await api.get(f"/api/dossiers/{created['code']}")
    assert response.status == 200
    view = await response.json()
    assert view["view"] == "public"
    assert view["applicant"] == {"full_name": "Nguyễn V*** A*"}
    text = await response.text()
    for secret in ("062090001234", "0905123456", "Tổ 3", "1990-04-12", created["security_code"]):
        assert secret not in text
    assert view["status"]["name"] == "Được tiếp nhận"
    assert view["current_step"] == {
        "step": "Tiếp nhận hồ sơ",
        "unit": "Ủy ban nhân dân phường Kon Tum",
        "since": created["received_at"],
    }
    assert view["overdue"] is False and view["timeliness"] == "trong hạn"
    assert view["fees"]["payment_state"] == "Chưa thanh toán"


async def test_full_view_with_the_security_code(api):
    created = await receive(api)
    response = await api.get(f"/api/dossiers/{created['code']}", headers={"X-Security-Code": created["security_code"]})
    view = await response.json()
    assert view["view"] == "full"
    assert view["applicant"]["id_number"] == "062090001234" and view["applicant"]["phone"] == "0905123456"


async def test_wrong_security_code_is_refused_then_locked(api):
    created = await receive(api)
    url = f"/api/dossiers/{created['code']}"
    for _ in range(5):
        response = await api.get(url, headers={"X-Security-Code": "AAAAAAAA"})
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "wrong_security_code"
    response = await api.get(url, headers={"X-Security-Code": created["security_code"]})
    assert response.status == 429 and int(response.headers["Retry-After"]) > 0
    assert (await api.get(url)).status == 200  # the public view stays available


@pytest.mark.parametrize("typed", ["000.31.01.h34-261116-0001", "000 31 01 H34 261116 0001", "0003101H342611160001"])
async def test_codes_in_urls_are_matched_tolerantly(api, typed):
    await receive(api)
    response = await api.get(f"/api/dossiers/{typed}")
    assert response.status == 200
    assert (await response.json())["code"] == "000.31.01.H34-261116-0001"


async def test_unknown_and_malformed_codes_get_clear_errors(api):
    response = await api.get("/api/dossiers/000.31.01.H34-261116-0042")
    assert response.status == 404
    assert (await response.json())["error"] == {
        "code": "dossier_not_found",
        "message": "no dossier with code 000.31.01.H34-261116-0042",
    }
    response = await api.get("/api/dossiers/hello")
    assert response.status == 400
    assert "000.09.23.H34-241015-0012" in (await response.json())["error"]["message"]


async def test_walking_a_dossier_through_its_statuses(api, clock):
    code = (await receive(api))["code"]
    steps = [
        {"status": 4, "unit": "Công an phường", "officer": "Lê Minh Quân"},
        {"status": "Yêu cầu thực hiện nghĩa vụ tài chính", "note": "Nộp lệ phí 10.000 đồng"},
        {"status": 4},
        {"status": "Đã xử lý xong"},
        {"status": 10},
    ]
    for step in steps:
        clock.advance(hours=2)
        response = await api.post(f"/api/dossiers/{code}/transitions", json=step, headers=STAFF)
        assert response.status == 200, await response.text()
    progress = await (await api.get(f"/api/dossiers/{code}/progress")).json()
    assert [s["status"]["code"] for s in progress["timeline"]] == [2, 4, 6, 4, 9, 10]
    assert progress["timeline"][1]["unit"] == "Công an phường"
    assert all(s["finished_at"] for s in progress["timeline"])
    view = await (await api.get(f"/api/dossiers/{code}")).json()
    assert view["status"]["name"] == "Đã trả kết quả"
    assert view["timeliness"] == "trước hạn"  # done on Monday, due Wednesday


async def test_illegal_transition_is_refused_with_409_and_changes_nothing(api):
    code = (await receive(api))["code"]
    response = await api.post(f"/api/dossiers/{code}/transitions", json={"status": 10}, headers=STAFF)
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "illegal_transition"
    assert "Được tiếp nhận" in error["message"] and "Đã trả kết quả" in error["message"]
    progress = await (await api.get(f"/api/dossiers/{code}/progress")).json()
    assert len(progress["timeline"]) == 1


async def test_overdue_is_derived_from_the_clock(api, clock):
    code = (await receive(api))["code"]
    await api.post(f"/api/dossiers/{code}/transitions", json={"status": 4}, headers=STAFF)
    clock.advance(days=3)  # Thursday, past Wednesday 17:00
    view = await (await api.get(f"/api/dossiers/{code}")).json()
    assert view["overdue"] is True and view["timeliness"] == "quá hạn"


async def test_receipt_qr_decodes_to_the_lookup_url(api):
    from pyzbar.pyzbar import decode

    created = await receive(api)
    response = await api.get(f"/api/dossiers/{created['code']}/receipt.png")
    assert response.status == 200 and response.content_type == "image/png"
    image = Image.open(io.BytesIO(await response.read()))
    payloads = [symbol.data.decode("utf-8") for symbol in decode(image)]
    assert len(payloads) == 1
    url = urlparse(payloads[0])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://tracuu.example.vn/tra-cuu"
    assert parse_qs(url.query)["code"] == [created["code"]]


async def test_lookup_page_the_qr_opens_shows_the_masked_dossier(api):
    created = await receive(api)
    response = await api.get("/tra-cuu", params={"code": created["code"].lower()})
    text = await response.text()
    assert response.status == 200
    assert "Đăng ký tạm trú" in text and "Nguyễn V*** A*" in text and "Nguyễn Văn An" not in text
    missing = await api.get("/tra-cuu", params={"code": "000.31.01.H34-261116-0099"})
    assert missing.status == 404 and "Không tìm thấy" in await missing.text()


async def test_malformed_json_and_schema_errors_are_clear(api):
    response = await api.post("/api/dossiers", data=b"{not json", headers=STAFF)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "malformed_json"
    response = await api.post("/api/dossiers", json={"procedure_code": "1.004194"}, headers=STAFF)
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "invalid_request" and error["details"][0]["loc"] == ["applicant"]
    bad_id = {**APPLICANT, "id_number": "12ab"}
    response = await api.post("/api/dossiers", json={"procedure_code": "1.004194", "applicant": bad_id}, headers=STAFF)
    assert response.status == 422 and "12ab" not in await response.text()  # input is not echoed back


async def test_oversize_bodies_are_refused(api):
    response = await api.post("/api/dossiers", data=b"x" * (300 * 1024), headers=STAFF)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "request_entity_too_large"


async def test_health_and_readiness(api):
    assert (await api.get("/healthz")).status == 200
    ready = await api.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"]["catalog"] == "ok (3107 procedures)"


# Only a networked Redis can be unreachable.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_readiness_fails_when_redis_is_unreachable(backend, aiohttp_client, make_settings, clock, catalog):
    settings = make_settings(redis_url="redis://127.0.0.1:1/0")
    client = await aiohttp_client(create_app(settings, clock=clock, catalog=catalog))
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["redis"].startswith("unavailable")
