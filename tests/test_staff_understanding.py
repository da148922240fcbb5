"""The console shows what the bot understood of each message, and supervisors export what it did not
understand (masked) to grow the labelled set."""

from __future__ import annotations

import json

from test_staff import OA, console, login  # noqa: F401 - the console fixture

from bot.appkeys import TRANSCRIPT
from bot.conv_keys import UserKey
from bot.staff.context import AUDIT

UNDERSTOOD = {"intent": "hotline", "confidence": 0.97, "source": "model"}
ASKED = {"intent": "out_of_scope", "confidence": 0.31, "ambiguous": True, "source": "model"}


async def _record(app, user_id: str, text: str, understood: dict, outcome: str | None = None) -> str:
    user = UserKey(OA, user_id)
    meta = {"understood": understood} | ({"outcome": outcome} if outcome else {})
    await app[TRANSCRIPT].record(user, "in", "user_send_text", text=text, handler="understood.x",
                                 body={"event_name": "user_send_text", "meta": meta})  # fmt: skip
    return f"{OA}:{user_id}"


async def test_a_conversation_page_says_what_the_bot_understood(console):  # noqa: F811
    conversation = await _record(console.app, "z1", "cho xin số tổng đài", UNDERSTOOD)
    await login(console, "viewer1")
    async with console.get(f"/staff/conversations/{conversation}") as r:
        page = await r.text()
    assert "ý định: Số hỗ trợ 97%" in page


async def test_a_reading_the_catalog_settled_says_so_and_what_the_model_heard(console):  # noqa: F811
    settled = {"intent": "procedure_question", "facet": "online", "confidence": 0.62, "source": "catalog",
               "runner_up": ["guide_submit", 0.62]}  # fmt: skip
    conversation = await _record(console.app, "z4", "nop ho so gia han tam tru qua mang", settled)
    await login(console, "viewer1")
    async with console.get(f"/staff/conversations/{conversation}") as r:
        page = await r.text()
    assert "theo tên thủ tục trong danh mục (mô hình nghe là: Hướng dẫn nộp hồ sơ)" in page
    assert "62%" not in page  # not the model's confidence in a reading it did not make


async def test_supervisors_export_what_was_not_understood_masked_and_audited(console):  # noqa: F811
    await _record(console.app, "z2", "asdf gọi tôi 0905123456", ASKED, "not_understood")
    await _record(console.app, "z3", "cho xin số tổng đài", UNDERSTOOD)
    await login(console, "viewer1")
    async with console.get("/staff/not-understood.jsonl") as r:
        assert r.status == 403
    await login(console, "super1")
    async with console.get("/staff/not-understood.jsonl") as r:
        assert r.status == 200
        lines = [json.loads(line) for line in (await r.text()).splitlines()]
    assert [line["text"] for line in lines] == ["asdf gọi tôi 09******56"]
    assert lines[0]["intent"] == "" and lines[0]["bot_guess"] == ["out_of_scope", 0.31]
    assert any(e["action"] == "export not understood" for e in await console.app[AUDIT].recent())
