"""Replay: golden conversations pass on the current bot, a deliberate change of a reply fails with a
precise diff, volatile parts are ignored only by the declared rules, and the console replays a real
conversation (headless Chromium)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.replay.cli import run
from bot.replay.diff import compare_turn, render_text
from bot.staff.accounts import Role
from bot.staff.context import ACCOUNTS

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "conversations"


def test_golden_conversations_cover_every_flow_and_replay_unchanged():
    files = sorted(GOLDEN.glob("*.jsonl"))
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    for command in ("#tracuuhoso", "#tracuuthutuc", "#sukien", "#huongdan", "#thanhtoan", "#hotro", "image_file"):
        assert command in text, f"no golden conversation reaches {command}"
    command = [sys.executable, "-m", "bot", "replay", *map(str, files)]
    done = subprocess.run(command, capture_output=True, text=True,  # noqa: S603 - our own interpreter and files
                          timeout=300, cwd=GOLDEN.parents[1])  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(files)} of {len(files)} conversations replayed unchanged" in done.stdout


async def test_a_changed_reply_fails_with_a_readable_diff(monkeypatch, capsys):
    from handlers import fallback

    original = fallback.menu_reply
    # A maintainer rewords the "not understood" answer.
    monkeypatch.setattr(fallback, "menu_reply", lambda content, text: original(
        content, text.replace("mình chưa hiểu ý bạn", "mình không hiểu câu hỏi")))  # fmt: skip
    status = await run([GOLDEN / "support-and-not-understood.jsonl"], None, False)
    report = capsys.readouterr().out
    assert status == 1
    assert "2 turns, 1 same, 1 differ" in report
    assert "turn 2 ('asdf qwer zxcv'): changed" in report
    assert "-text: Xin lỗi, mình chưa hiểu ý bạn." in report
    assert "+text: Xin lỗi, mình không hiểu câu hỏi." in report
    assert "0 of 1 conversations replayed unchanged" in report


def test_only_declared_volatile_parts_are_ignored():
    recorded = [{"text": "Ngày hẹn trả: 17:00 ngày 10/11/2026 – http://127.0.0.1:8080/tra-cuu?code=A"}]
    later_day = [{"text": "Ngày hẹn trả: 08:30 ngày 24/11/2026 – https://tracuu.example.vn/tra-cuu?code=A"}]
    assert compare_turn(0, {}, recorded, later_day).status == "same"
    other_code = [{"text": "Ngày hẹn trả: 17:00 ngày 10/11/2026 – http://127.0.0.1:8080/tra-cuu?code=B"}]
    assert compare_turn(0, {}, recorded, other_code).status == "changed"
    fee = [{"text": "Lệ phí 200.000 đồng"}]
    assert compare_turn(0, {}, fee, [{"text": "Lệ phí 250.000 đồng"}]).status == "changed"


def test_missing_and_extra_messages_are_named():
    a, b = {"text": "một"}, {"text": "hai"}
    missing = compare_turn(0, {"text": "hi"}, [a, b], [a])
    extra = compare_turn(1, {"text": "hi"}, [a], [a, b])
    assert [m.status for m in missing.messages] == ["same", "missing"] and missing.status == "missing"
    assert [m.status for m in extra.messages] == ["same", "extra"] and extra.status == "extra"
    report = render_text("x.jsonl", [missing, extra])
    assert "message 2: missing" in report and "- text: hai" in report and "+ text: hai" in report


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed (./dev test installs it)")
# The journey is the same on both stores; the browser run once is enough.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_officer_logs_in_finds_the_conversation_by_code_reads_and_replays_it(live, browser, backend):
    from bot.appkeys import DOSSIERS
    from lookup.demo import load_fixed_demo

    await load_fixed_demo(live.app[DOSSIERS])
    await live.act("citizen-yesterday", "follow")
    await live.say("citizen-yesterday", "#tracuuhoso")
    await live.say("citizen-yesterday", "000.25.23.H34-261102-0001")
    await live.say("someone-else", "đăng ký khai sinh")
    await live.app[ACCOUNTS].add("officer", "mat-khau-dai-du", Role.VIEWER)

    page = await browser.new_page()
    await page.goto(f"{live.base}/staff/conversations")  # redirected to the login page
    await page.fill("input[name=name]", "officer")
    await page.fill("input[name=password]", "mat-khau-dai-du")
    await page.click("button:has-text('Đăng nhập')")
    await page.fill("input[name=code]", "000.25.23.H34-261102-0001")
    await page.click("button:has-text('Lọc')")
    assert await page.inner_text("#total") == "1"
    await page.click("a:has-text('citizen-yesterday')")
    await page.get_by_text("Người nộp: Nguyễn V*** A*").wait_for()
    assert await page.locator(".bubble.in").count() == 2  # the follow is a line of its own, not a citizen's bubble
    await page.click("text=Chạy lại với bot hiện tại")
    summary = page.locator("#replay-summary")
    await summary.wait_for()
    assert "3 lượt: 3 giống, 0 khác" in await summary.inner_text()
