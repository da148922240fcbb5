"""Zalo's documented limits for customer-service messages: the renderer stays within them (cutting
titles at a word, never mid-word), and the emulator refuses what Zalo refuses (error -201), so a
reply over a limit fails in tests instead of on Zalo."""

from __future__ import annotations

import pytest

from bot.emulator.oa_api import message_problem
from bot.replies import Button, ListItem, ListReply, Text
from bot.zalo.render import render

LONG = "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình"


def test_the_renderer_keeps_titles_subtitles_buttons_and_elements_within_the_limits():
    items = tuple(ListItem(LONG * 2, LONG * 6, action=Button(LONG, f"#thutuc 1.00000{i}")) for i in range(7))
    (listing,) = render(ListReply(items, tuple(Button(LONG, "#menu") for _ in range(7))))
    payload = listing["attachment"]["payload"]
    assert len(payload["elements"]) == 5 and len(payload["buttons"]) == 5
    for element in payload["elements"]:
        assert len(element["title"]) <= 100 and element["title"].endswith("…")
        assert element["title"][:-1] == element["title"][:-1].rstrip() and len(element["subtitle"]) <= 500
    assert all(len(b["title"]) <= 100 for b in payload["buttons"])
    assert message_problem(listing) is None
    (text,) = render(Text("Chào", tuple(Button(f"Nút {i}", "#menu") for i in range(8))))
    assert len(text["attachment"]["payload"]["buttons"]) == 5 and message_problem(text) is None


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ({"text": "x" * 2001}, "2000"),
        ({}, "text or an attachment"),
        ({"text": "a", "attachment": {"type": "template", "payload": {"buttons": [
            {"title": f"{i}", "type": "oa.query.show", "payload": "#menu"} for i in range(6)]}}}, "5 buttons"),
        ({"text": "a", "attachment": {"type": "template", "payload": {"buttons": [
            {"title": "x" * 101, "type": "oa.query.show", "payload": "#menu"}]}}}, "title"),
        ({"text": "a", "attachment": {"type": "template", "payload": {"buttons": [
            {"title": "Cổng", "type": "oa.open.url", "payload": {"url": "javascript:alert(1)"}}]}}}, "url"),
        ({"attachment": {"type": "template", "payload": {"template_type": "list", "elements": [
            {"title": "a", "subtitle": "b"}] * 6}}}, "1 to 5 elements"),
        ({"attachment": {"type": "template", "payload": {"template_type": "list", "elements": [
            {"title": "a", "subtitle": "b" * 501}]}}}, "subtitle"),
        ({"attachment": {"type": "template", "payload": {"template_type": "list", "elements": [
            {"title": "", "subtitle": "b"}]}}}, "title"),
    ],
)  # fmt: skip
def test_the_emulator_refuses_what_zalo_refuses(message, why):
    assert why in (message_problem(message) or "")


async def test_a_message_over_a_limit_is_answered_with_minus_201(live):
    from bot.emulator.keys import EMU_STATE

    await live.act("limits-1", "follow")
    access, _ = live.app[EMU_STATE].issue_tokens()
    body = {"recipient": {"user_id": "limits-1"}, "message": {"attachment": {"type": "template", "payload": {
        "template_type": "list", "elements": [{"title": "a" * 101, "subtitle": "b"}]}}}}  # fmt: skip
    async with live.http.post(f"{live.base}/v3.0/oa/message/cs", json=body, headers={"access_token": access}) as r:
        answer = await r.json()
    assert answer["error"] == -201 and "title" in answer["message"]
