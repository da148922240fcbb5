"""Province by configuration alone, and the demo data."""

from bot.app import create_app
from lookup.demo import generate, load_fixed_demo
from lookup.status import DossierStatus
from tests.conftest import APPLICANT, STAFF


async def test_switching_to_quang_ngai_is_configuration_only(backend, aiohttp_client, make_settings, clock, catalog):
    client = await aiohttp_client(create_app(make_settings(province="quangngai"), clock=clock, catalog=catalog))
    body = {"procedure_code": "1.004194", "applicant": APPLICANT}
    created = await (await client.post("/api/dossiers", json=body, headers=STAFF)).json()
    assert created["code"].split("-")[0].endswith(".H48")
    page = await client.get("/tra-cuu")
    assert "Cổng hành chính công tỉnh Quảng Ngãi" in await page.text()


async def test_fixed_demo_dossiers_load_once_with_the_documented_codes(service):
    entries = await load_fixed_demo(service)
    again = await load_fixed_demo(service)
    assert [e.code for e in entries] == [e.code for e in again]
    by_code = {e.code: e for e in entries}
    waiting = by_code["000.25.23.H34-261102-0001"]
    assert waiting.security_code == "KTDEMA23" and waiting.status == "Yêu cầu thực hiện nghĩa vụ tài chính"
    assert by_code["000.09.23.H34-261015-0012"].status == "Đang xử lý"
    # A new receipt at that agency on that day must not collide with the fixed code.
    assert (await service.store.allocate_code("000.25.23.H34", _day("2026-11-02"))).endswith("-0002")


async def test_generator_covers_every_status_with_legal_histories(service):
    await generate(service, 300, seed=7)
    keys = [k async for k in service.redis.scan_iter(match=f"{service.keys.prefix}:*:dossier", count=1000)]
    assert len(keys) == 300
    statuses = set()
    for key in keys:
        dossier = await service.store.get(key.split("{")[1].split("}")[0])
        statuses.add(dossier.status)
        assert dossier.timeline[-1].status is dossier.status
    assert statuses == set(DossierStatus)


def _day(text):
    from datetime import date

    return date.fromisoformat(text)
