"""The emulator's chat page driven in headless Chromium (Debian's, through Playwright): a citizen
follows the OA, taps "Tra cứu hồ sơ", types a demo receipt code and sees the status."""

import shutil

import pytest

from lookup.demo import load_fixed_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not shutil.which("chromium"), reason="Debian's chromium is not installed (./dev test installs it)"
)


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        await browser.close()


async def test_citizen_follows_taps_lookup_and_sees_the_dossier_status(live, browser, backend, tmp_path):
    if backend.name != "real":
        pytest.skip("the journey is the same on both stores; the browser run once is enough")
    from bot.appkeys import DOSSIERS

    await load_fixed_demo(live.app[DOSSIERS])
    page = await browser.new_page()
    await page.goto(f"{live.base}/emulator/")
    await page.fill("#uid", "browser-citizen")
    await page.click("#follow")
    await page.get_by_text("Chào mừng bạn đến với Cổng hành chính công tỉnh Kon Tum").wait_for()
    await page.locator(".menu button", has_text="Tra cứu hồ sơ").click()
    await page.get_by_text("Vui lòng gửi mã hồ sơ").wait_for()
    await page.fill("#text", "000.25.23.H34-261102-0001")
    await page.press("#text", "Enter")
    card = page.locator(".msg.oa", has_text="Hồ sơ 000.25.23.H34-261102-0001")
    await card.wait_for()
    assert "Yêu cầu thực hiện nghĩa vụ tài chính" in await card.inner_text()
    await card.locator("button", has_text="Xem tiến độ").click()
    await page.get_by_text("Tiến độ hồ sơ 000.25.23.H34-261102-0001").wait_for()
    await page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
