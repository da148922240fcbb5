"""What citizens ask that is not one of the catalog's procedures: the bot says where it is done
instead (the court, the hospital, the employment service) rather than offering a procedure that
only shares its words, and offers the catalog's procedures around it."""

from __future__ import annotations

import pytest

from handlers.content import Content
from lookup.province import load_province


def _buttons(message: dict) -> list[tuple[str, object]]:
    return [(b["title"], b["payload"]) for b in message["attachment"]["payload"]["buttons"]]


@pytest.mark.parametrize(
    ("text", "where", "procedure"),
    [
        ("ly hôn cần giấy tờ gì", "Tòa án nhân dân", "1.004873"),  # not recording a divorce granted abroad
        ("lam so ho khau o dau", "không còn được cấp", "1.010041"),
        ("xin giấy chứng sinh ở đâu", "cơ sở y tế", "1.001193"),
        ("xin trợ cấp thất nghiệp", "Trung tâm Dịch vụ việc làm", "1.001601"),  # not delegating payments
        ("đi khám sức khỏe lái xe ở đâu", "đủ điều kiện khám sức khỏe", "3.000347"),
    ],
)
async def test_a_need_outside_the_catalog_is_told_where_it_is_done(live, text, where, procedure):
    (reply,) = await live.say(f"out-{procedure}", text)
    assert where in reply["text"] and len(reply["text"]) <= 600
    buttons = _buttons(reply)
    assert ("Gặp cán bộ", "#gapcanbo") in buttons
    assert any(payload == f"#thutuc {procedure}" for _, payload in buttons) and len(buttons) <= 5
    assert all(title[:1].isupper() for title, _ in buttons)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ghi chú ly hôn đã giải quyết ở nước ngoài", "2.000554"),
        ("ủy quyền lĩnh thay trợ cấp thất nghiệp", "1.001601"),
        ("đăng ký khai sinh cần giấy chứng sinh không", "1.001193"),
        ("đổi bằng lái xe cần giấy tờ gì, có cần giấy khám sức khỏe không", "3.000347"),  # a paper it asks of
        ("tách sổ hộ khẩu ra riêng", "1.010038"),
    ],
)
async def test_a_procedure_that_exists_is_still_found_though_it_shares_the_words(live, text, code):
    replies = str(await live.say(f"in-{code}", text))
    assert "Tòa án" not in replies and "Trung tâm Dịch vụ việc làm" not in replies and "cơ sở y tế" not in replies
    assert code in replies


def test_every_topic_names_procedures_of_the_catalog(catalog):
    content = Content.load(load_province("kontum"))
    assert len(content.outside) >= 5
    for topic in content.outside:
        assert topic.procedures and all(catalog.get(code) is not None for code in topic.procedures), topic.id
        assert len(topic.text) <= 600 and topic.terms, topic.id


async def test_what_is_done_to_a_topics_paper_names_no_procedure_of_its_own(live):
    # "cấp lại … bị mất" beside the household book is what is done to it, not another procedure.
    (book,) = await live.say("out-hk", "cap lai so ho khau bi mat")
    assert "không còn được cấp" in book["text"]
    (permit,) = await live.say("out-gpld", "lam giay phep lao dong cho nguoi nuoc ngoai")
    assert "Sở Nội vụ" in permit["text"]
