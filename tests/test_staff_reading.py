"""The console reads like the chat (issue 20, item 9): the citizen on the right and the bot on the left
as in Zalo, events said in words instead of a citizen's bubble, technical ids behind a toggle,
labelled reveal/export, days typed as dd/mm/yyyy, and a not-understood chart that says something
when there is nothing to draw."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
import test_staff
from test_staff import OA, login

from bot.appkeys import TRANSCRIPT
from bot.conv_keys import UserKey

console = test_staff.console  # the console's fixture, shared
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
UNDERSTOOD = {"intent": "hotline", "confidence": 0.93, "source": "model"}


async def _chat(app, user_id: str = "reader-1") -> str:
    transcript, user = app[TRANSCRIPT], UserKey(OA, user_id)
    await transcript.record(user, "in", "follow", handler="start.follow", body={"event_name": "follow", "meta": {}})
    await transcript.record(user, "out", "message", text="Chào mừng", handler="start.follow",
                            body={"text": "Chào mừng bạn đến với Cổng hành chính công"})  # fmt: skip
    await transcript.record(user, "in", "user_send_text", text="hồ sơ của em đến đâu rồi", handler="understood.lookup",
                            body={"event_name": "user_send_text", "meta": {"understood": UNDERSTOOD}})  # fmt: skip
    await transcript.record(user, "out", "message", text="Vui lòng gửi mã hồ sơ", handler="understood.lookup",
                            body={"text": "Vui lòng gửi mã hồ sơ"})  # fmt: skip
    return f"{OA}:{user_id}"


def _visible(page: str) -> str:
    """The page without what the technical toggle hides."""
    return re.sub(r'<span class="tech">.*?</span>', "", page)


async def test_events_are_said_in_words_and_handler_ids_wait_behind_the_toggle(console):
    conversation = await _chat(console.app)
    await login(console, "viewer1")
    async with console.get(f"/staff/conversations/{conversation}") as r:
        page = await r.text()
    assert page.count('class="bubble in"') == 1  # the typed message; the follow was a citizen's bubble
    assert '<div class="event">Người dân bấm “Quan tâm” OA' in page
    assert "understood.lookup" in page and "understood.lookup" not in _visible(page)
    assert "start.follow" not in _visible(page) and "<i>follow</i>" not in page
    assert 'id="tech"' in page and "Hiện chi tiết kỹ thuật" in page
    assert "ý định: Số hỗ trợ 93%" in _visible(page)  # what the bot understood stays in view


async def test_a_supervisor_gives_one_labelled_reason_to_reveal_or_export(console):
    conversation = await _chat(console.app)
    await login(console, "super1")
    async with console.get(f"/staff/conversations/{conversation}") as r:
        page = await r.text()
    assert page.count('name="reason"') == 1
    assert re.search(r"<label>Lý do xem[^<]*<input name=\"reason\"", page)
    assert f'formaction="/staff/conversations/{quote(conversation)}/export"' in page


async def test_days_are_typed_and_shown_as_dd_mm_yyyy(console, clock):
    await _chat(console.app)
    await login(console, "viewer1")
    async with console.get("/staff/conversations", params={"since": "01/11/2026", "until": "30/11/2099"}) as r:
        page = await r.text()
    assert 'type="date"' not in page  # drawn mm/dd/yyyy by an English browser
    assert 'name="since" value="01/11/2026" placeholder="dd/mm/yyyy"' in page
    assert '<span id="total">1</span>' in page
    async with console.get("/staff/conversations", params={"since": "01/01/2099"}) as r:
        assert '<span id="total">0</span>' in await r.text()


async def test_the_not_understood_chart_says_what_an_empty_band_did_not(console):
    await login(console, "viewer1")
    async with console.get("/staff/dashboard") as r:
        assert "Chưa có tin nhắn nào trong 14 ngày" in await r.text()
    await _chat(console.app)
    async with console.get("/staff/dashboard") as r:
        page = await r.text()
    assert "Bot hiểu mọi tin nhắn trong 14 ngày" in page
    assert "Tỉ lệ tin nhắn bot không hiểu: 0 % (0 / 2 tin nhắn, 14 ngày)" in page


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed (./dev test installs it)")
@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
async def test_in_a_browser_the_citizen_is_on_the_right_and_the_bot_on_the_left(backend, console, browser):
    conversation = await _chat(console.app)
    base = str(console.make_url(""))
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.goto(f"{base}/staff/login")
    await page.fill("input[name=name]", "super1")
    await page.fill("input[name=password]", "correct horse battery")
    await page.click("button:has-text('Đăng nhập')")
    await page.goto(f"{base}/staff/conversations/{conversation}")
    citizen = await page.locator(".bubble.in").bounding_box()
    bot = await page.locator(".bubble.out").first.bounding_box()
    assert citizen["x"] + citizen["width"] > bot["x"] + bot["width"] + 100  # right-aligned, as in Zalo
    assert not await page.locator(".tech").first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-conversation-1280.png"), full_page=True)
    await page.check("#tech")
    assert await page.locator(".tech").first.is_visible()
    await page.goto(f"{base}/staff/dashboard")
    await page.screenshot(path=str(ARTIFACTS / "console-dashboard-1280.png"), full_page=True)
    await page.close()
