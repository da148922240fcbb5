"""The procedure detail page `/thu-tuc/{code}`: the whole record, readable on a 360 px phone (no
sideways scrolling, in Debian's chromium), the national portal linked; and what the HTTP answer
holds without a browser."""

from __future__ import annotations

import shutil

import pytest

from lookup.facts import facts_of

# The longest names and document lists of the catalog, and the ones citizens ask most about.
CODES = ["1.013978", "1.004194", "1.001193", "1.014064", "1.000094"]
needs_chromium = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")


async def test_the_page_holds_the_whole_record_and_the_portal_link(api, catalog):
    facts = facts_of(catalog.get("1.004194"))
    response = await api.get("/thu-tuc/1.004194")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert "Đăng ký tạm trú" in page and "Mã thủ tục 1.004194" in page
    assert facts.national_url in page
    assert "7.000 đồng" in page and "10.000 đồng" in page and "3 ngày làm việc" in page
    assert all(d.name.replace('"', "&quot;") in page or d.name in page for d in facts.documents[:3])
    assert "nơi bạn cư trú (tỉnh Kon Tum)" in page  # where: the province from its configuration
    missing = await api.get("/thu-tuc/9.999999")
    assert missing.status == 404 and "Không tìm thấy thủ tục" in await missing.text()


async def test_a_missing_fact_is_said_to_be_missing(api):
    page = await (await api.get("/thu-tuc/1.014061")).text()  # the record gives no fee
    assert "Nguồn dữ liệu chưa ghi phí, lệ phí." in page


@needs_chromium
# The page is the same on both stores; the browser run once is enough.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_the_page_reads_on_a_360_px_phone_without_sideways_scrolling(live, browser, backend, tmp_path):
    for width, height in ((360, 740), (1280, 900)):
        page = await browser.new_page(viewport={"width": width, "height": height})
        for code in CODES:
            await page.goto(f"{live.base}/thu-tuc/{code}")
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{code} at {width} px scrolls sideways by {overflow} px"
            font = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
            assert font >= 16  # readable without zooming
            link = page.get_by_role("link", name="Xem, nộp trên Cổng Dịch vụ công quốc gia")
            assert (await link.get_attribute("href")).startswith("https://dichvucong.gov.vn/")
        await page.goto(f"{live.base}/thu-tuc/1.004194")
        await page.screenshot(path=str(tmp_path / f"thu-tuc-{width}.png"), full_page=width == 360)
        await page.close()
    assert (tmp_path / "thu-tuc-360.png").stat().st_size > 10_000


async def test_the_api_and_the_receipt_carry_the_same_clean_facts(api, catalog, service):
    # Before: the API and the receipt carried the crawl's cut lines ("Thông tư số 53/2025/") and the
    # same form listed under three cases.
    body = await (await api.get("/api/procedures/1.004194")).json()
    facts = body["facts"]
    assert facts["time_summary"] == "3 ngày làm việc"
    assert facts["fee_summary"] == "Trực tuyến: 7.000 đồng; Trực tiếp: 10.000 đồng"
    assert not any(d["name"].endswith("/") for d in facts["documents"])
    assert any("53/2025/TT-BCA" in d["name"] for d in body["documents"])
    from lookup.dossiers import ReceiveRequest

    dossier = await service.receive(ReceiveRequest(procedure_code="1.004194", applicant={"full_name": "Lê Văn Hùng"}))
    assert len(dossier.documents) == len(set(dossier.documents)) and dossier.documents
    assert sum("Tờ khai thay đổi thông tin cư trú" in d for d in dossier.documents) == 1, dossier.documents
