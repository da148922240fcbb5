"""Province by configuration alone, and the demo data."""

import pytest

from bot.app import create_app
from bot.appkeys import CONVERSATION
from lookup.demo import demo_codes, generate, load_fixed_demo
from lookup.province import PROVINCES_DIR, load_province
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


SHIPPED_PROVINCES = sorted(p.stem for p in PROVINCES_DIR.glob("*.json"))


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
@pytest.mark.parametrize("name", SHIPPED_PROVINCES)
async def test_the_demo_starts_for_every_shipped_province(backend, aiohttp_client, make_settings, clock, catalog, name):
    """`PROVINCE=quangngai ./dev start` died with IndexError: the demo dossiers pointed at Kon Tum's
    agencies by position. The demo as `serve --demo --emulator` starts it, for each province file:
    its fixed dossiers carry the province's own agencies and open, and the chat's example is one."""
    from bot.__main__ import _demo_ctx

    province = load_province(name)
    app = create_app(make_settings(province=name, zalo_emulator=True, demo=True), clock=clock, catalog=catalog)
    app.cleanup_ctx.append(_demo_ctx(20))
    client = await aiohttp_client(app)
    codes = demo_codes(province)
    assert len(set(codes)) == len(codes) == 6
    for code in codes:
        assert province.agency(code.split("-")[0]) is not None, code
        async with client.get("/tra-cuu", params={"code": code}) as r:
            assert r.status == 200, (name, code)
    assert app[CONVERSATION].deps.example_code in codes
