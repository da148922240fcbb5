"""Direct answers through the real bot: `#hoi <facet> <code>` gives that one fact of that procedure
in one message, naming it and its code, with buttons to the other facts, the variants and the detail
page; the dossier card says how many working days are left."""

from __future__ import annotations

import json
import re
from datetime import date

from handlers.answers import facet_answer, procedure_card

BASE = "https://tracuu.example.vn"


def _buttons(message: dict) -> list[tuple[str, object]]:
    return [(b["title"], b["payload"]) for b in message["attachment"]["payload"]["buttons"]]


async def test_a_fee_question_gets_the_fee_of_that_procedure_in_one_message(live):
    (reply,) = await live.say("ans-1", "#hoi fee 1.004194")
    assert reply["text"].startswith("💰 Lệ phí – Đăng ký tạm trú (mã 1.004194):")
    assert "Trực tuyến: 7.000 đồng" in reply["text"] and "Trực tiếp: 10.000 đồng" in reply["text"]
    assert len(reply["text"]) <= 600
    buttons = _buttons(reply)
    assert ("Giấy tờ cần nộp", "#hoi documents 1.004194") in buttons and len(buttons) <= 5
    assert ("Xem chi tiết", {"url": f"{BASE}/thu-tuc/1.004194"}) in buttons


async def test_a_close_variant_is_offered_and_its_answer_offers_the_first_back(live):
    (reply,) = await live.say("ans-2", "#hoi time 1.014061 1.014062")
    assert "7 ngày làm việc" in reply["text"] and "mã 1.014061" in reply["text"]
    assert ("Dưới 14 tuổi", "#hoi time 1.014062 1.014061") in _buttons(reply)
    (other,) = await live.say("ans-2", "#hoi time 1.014062 1.014061")
    assert "mã 1.014062" in other["text"] and any(p == "#hoi time 1.014061 1.014062" for _, p in _buttons(other))


async def test_a_fact_the_record_lacks_is_said_to_be_missing_and_the_source_linked(catalog, province):
    (reply,) = facet_answer(catalog.get("1.014061"), "fee", BASE, province=province)  # the record gives no fee
    # One short line and whom to ask (the province's procedure line, a call button), not a lecture
    assert "chưa có thông tin về phí, lệ phí" in reply.text and "0260.3797799" in reply.text
    assert len(reply.text.splitlines()) == 3 and "Nguồn dữ liệu" not in reply.text
    assert any(b.kind == "phone" and b.payload == "0260.3797799" for b in reply.buttons)
    assert any(b.kind == "url" and b.payload.startswith("https://dichvucong.gov.vn/") for b in reply.buttons)


async def test_the_time_without_a_unit_in_the_source_says_so_instead_of_guessing(catalog):
    (reply,) = facet_answer(catalog.get("1.003563"), "time", BASE)  # a fishing boat's safety: "1", no unit
    assert "không ghi là ngày hay giờ" in reply.text and "không rõ" not in reply.text


def test_a_civil_status_time_without_a_unit_is_in_working_days_as_its_law_counts(catalog):
    """The portal writes khai sinh, kết hôn, khai tử as "1" with no unit (every birth, marriage and
    death met "1 (Cổng DVC không ghi đơn vị)" and "ask the office"): the civil-status law counts its
    limits in working days."""
    for code in ("1.001193", "1.000894", "1.000656"):
        (reply,) = facet_answer(catalog.get(code), "time", BASE)
        assert "1 ngày làm việc" in reply.text and "không ghi" not in reply.text
    assert "Thời gian: 3 ngày làm việc" in procedure_card(catalog.get("1.001022"), BASE).text  # nhận cha, mẹ, con


def test_papers_only_some_cases_need_are_listed_apart_from_what_everyone_brings(catalog):
    (reply,) = facet_answer(catalog.get("1.001193"), "documents", BASE)  # khai sinh
    common, _, cases = reply.text.partition("Tùy trường hợp, thêm:")
    assert "Giấy chứng sinh (1 bản chính)" in common and "bỏ rơi" not in common
    assert "bỏ rơi" in cases and "ủy quyền" in cases.lower()


async def test_a_fee_the_source_says_is_free_but_describes_amounts_is_not_said_free(catalog):
    today = date(2026, 12, 2)
    (reply,) = facet_answer(catalog.get("3.000347"), "fee", BASE, today=today)  # đổi giấy phép lái xe
    # The cell says free; the note: "Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần", and an online
    # rate of 115.000 đồng "đến hết ngày 31/12/2025", over: one figure, the one in force.
    first = reply.text.split("\n")[1]
    assert first == "135.000 đồng." and "Miễn phí" not in reply.text and "115.000" not in reply.text
    card = procedure_card(catalog.get("3.000347"), BASE, today)
    assert "Lệ phí: 135.000 đồng (theo ghi chú của thủ tục)" in card.text
    # A building permit: the cell says free, the note "Theo quy định của Hội đồng nhân dân cấp tỉnh".
    (permit,) = facet_answer(catalog.get("1.013225"), "fee", BASE, today=today)
    assert "Miễn phí" not in permit.text and "không ghi mức lệ phí cụ thể" in permit.text
    assert "Lệ phí: chưa ghi mức cụ thể" in procedure_card(catalog.get("1.013225"), BASE, today).text


def test_the_card_fits_a_phone_screen(catalog):
    card = procedure_card(catalog.get("1.001193"), BASE)
    assert len(card.text) <= 800 and "Giấy chứng sinh" in card.text and "giấy tờ khác" in card.text
    assert "bản chính: 1" not in card.text and len(card.buttons) <= 5


async def test_the_dossier_card_says_the_working_days_left(live):
    from bot.appkeys import DOSSIERS
    from lookup.dossiers import ReceiveRequest

    service = live.app[DOSSIERS]
    dossier = await service.receive(ReceiveRequest(procedure_code="1.004194", applicant={"full_name": "Lê Văn Hùng"}))
    (card,) = await live.say("ans-3", dossier.code)  # Monday 9:30, three working days: due Wednesday
    assert "(còn 2 ngày làm việc nữa)" in card["text"]


async def test_a_fact_asked_of_a_named_procedure_is_answered_though_it_sounds_like_the_guide(live):
    # The intent model hears "nộp hồ sơ … qua mạng" as the submission guide; the catalog knows the name.
    (reply,) = await live.say("ans-guide", "nop ho so gia han tam tru qua mang")
    assert "Gia hạn tạm trú" in reply["text"] and "mã 1.002755" in reply["text"]


async def test_a_fact_asked_of_a_likely_named_procedure_wins_over_the_guide_but_not_over_a_scam(live):
    # Heard as the submission guide (0.87); the catalog finds the under-14 card likely, not surely.
    (card,) = await live.say("ans-u14", "Nộp hồ sơ căn cước dưới 14 tuổi qua mạng")
    assert "mã 1.014062" in card["text"] and "Nộp trực tuyến" in card["text"]
    # Heard as paying a fee; nothing here pays, it asks the fee of a named procedure.
    (fee,) = await live.say("ans-fee", "le phi thanh lap cty co phan")
    assert fee["text"].startswith("💰 Lệ phí – Đăng ký thành lập công ty cổ phần (mã 2.002043)")
    # Changing money at a bank shares its words with a currency agent's licence: still not a procedure.
    (bank,) = await live.say("ans-bank", "doi ngoai te o kon tum cho nao")
    assert "mã 1.000526" not in bank["text"]
    # The account guide keeps a question that names an agency's procedure likely, not surely.
    (guide,) = await live.say("ans-acct", "dky tai khoan o dau")
    assert "mã 1.000236" not in guide["text"]
    # Nor, asked surely, one that only organisations do (the enterprises' e-account at immigration).
    replies = await live.say("ans-acct2", "đăng ký tài khoản trên điện thoại được không")
    assert "1.000236" not in str(replies)
    (teller,) = await live.say("ans-human", "cho gặp anh Quân bên công an phường")  # a named officer: a person
    assert "cán bộ" in teller["text"] and "Không tìm thấy thủ tục" not in teller["text"]


async def test_the_words_around_a_question_do_not_hide_the_procedure_it_names(live):
    # "Cho hỏi … thì sau mấy ngày được trả kết quả ạ?": only "tách thửa đất" names anything.
    (reply,) = await live.say("ans-wrap", "Cho hỏi tách thửa đất thì sau mấy ngày được trả kết quả ạ?")
    assert reply["text"].startswith("⏱ Thời gian – Tách thửa hoặc hợp thửa đất (mã 1.012784)")
    # A story first, then the question, typed without marks: the last clause names the procedure.
    (fee,) = await live.say("ans-story", "toi vua mua lai chiec xe may cu cua hang xom, cho toi hoi dang ky "
                                         "sang ten xe thi phai nop le phi bao nhieu tien?")  # fmt: skip
    assert "mã 1.013076" in fee["text"] and "Lệ phí" in fee["text"]


async def test_what_procedures_a_named_procedure_needs_gets_its_documents_and_a_life_event_its_group(live):
    (passport,) = await live.say("ans-le1", "làm hộ chiếu cần những thủ tục gì")
    assert passport["text"].startswith("📄 Giấy tờ cần nộp") and "hộ chiếu" in passport["text"].lower()
    # A birth is several procedures (birth, residence, health card): its group, not one list of papers.
    (birth, *_) = await live.say("ans-le2", "sinh con cần làm thủ tục gì")
    assert birth["text"].startswith("👶 Khi sinh con, thường cần 3 việc")  # the first steps, then the group
    assert any(p == "#thutuc 3.000722" for _, p in _buttons(birth)) and any(
        p == "#nhom co-con-nho 1" for _, p in _buttons(birth)
    )
    (pension, *_) = await live.say("ans-le3", "về hưu cần làm gì")
    assert "Hưu trí" in pension["text"]
    # "mới mất" is when, not a procedure's words; "mất cần làm" is a death, not "mất … phí"
    for n, text in enumerate(("bố em mới mất cần làm những thủ tục gì", "bo em moi mat can lam thu tuc gi",
                              "nguoi than qua doi lam thu tuc gi")):  # fmt: skip
        (death, *_) = await live.say(f"ans-le4-{n}", text)
        assert "qua đời" in death["text"].lower(), death["text"]


async def test_a_short_question_after_a_list_is_answered_for_the_first_listed(live):
    await live.say("ans-fl1", "#timthem 1 đăng ký tạm trú cho người thuê trọ")  # the list (a card's last button)
    first = _first_listed(await live.settle("ans-fl1", 2))  # the heading, then the list (later on a busy machine)
    (fee,) = await live.say("ans-fl1", "lệ phí")  # not the payment of a dossier: a fee of those listed
    assert fee["text"].startswith("💰 Lệ phí – ") and f"(mã {first})" in fee["text"]
    # the next ones listed are a tap away, asked the same way
    assert any(isinstance(p, str) and p.startswith("#hoi fee ") and first not in p.split()[2] for _, p in _buttons(fee))
    # Typed bare, "bao" of "bao nhiêu" is not the "báo" of "Khai báo thông tin về cư trú" on that list.
    await live.say("ans-fl3", "#timthem 1 dang ky tam tru")
    first = _first_listed(await live.settle("ans-fl3", 2))
    (fee,) = await live.say("ans-fl3", "le phi bao nhieu")
    assert f"(mã {first})" in fee["text"] and fee["text"].startswith("💰 Lệ phí")


def _first_listed(replies: list[dict]) -> str:
    """The code of the first procedure of the list the bot sent."""
    shown = json.dumps(replies, ensure_ascii=False)
    match = re.search(r"#thutuc (\d\.\d{6})", shown)
    assert match, shown
    return match.group(1)


async def test_a_short_question_naming_one_of_the_listed_gets_its_answer(live):
    await live.say("ans-fl2", "mat so do thi xin cap lai the nao")
    shown = json.dumps(await live.settle("ans-fl2", 2), ensure_ascii=False)  # the heading, then the list
    assert "1.012786" in shown
    (reply,) = await live.say("ans-fl2", "mất mấy ngày")
    assert "Thời gian – " in reply["text"].split("\n")[0]  # the time of one listed, not "which one?"
    assert "mã 1.012786" in reply["text"] or any("1.012786" in str(p) for _, p in _buttons(reply))
    # The list is still what "cấp lại" refers to: not the driving licence's re-issue.
    (fee,) = await live.say("ans-fl2", "phi cap lai bao nhieu")
    assert "#hoi fee 1.012786" in [p for _, p in _buttons(fee)] or "mã 1.012786" in fee["text"]
    after_an_answer = await live.say("ans-fl3", "đăng ký kết hôn cần giấy tờ gì")
    assert "mã 1.000894" in after_an_answer[0]["text"]
    (online,) = await live.say("ans-fl3", "nộp trên mạng được không")  # the guide, were it not for the screen
    assert online["text"].startswith("💻 Nộp trực tuyến – Thủ tục đăng ký kết hôn (mã 1.000894)")


async def test_what_about_another_fact_asks_it_of_the_procedure_just_answered(live):
    (time,) = await live.say("ans-fl4", "làm căn cước mất bao lâu")
    code = time["text"].split("(mã ")[1].split(")")[0]
    (fee,) = await live.say("ans-fl4", "còn lệ phí thì sao")  # was the land registration tax's fee
    assert fee["text"].startswith("💰 Lệ phí") and f"(mã {code})" in fee["text"]
    (papers,) = await live.say("ans-fl4", "còn giấy tờ thì sao")  # was the life-event menu
    assert papers["text"].startswith("📄 Giấy tờ cần nộp") and f"(mã {code})" in papers["text"]


async def test_typing_a_buttons_title_is_tapping_it(live):
    (time,) = await live.say("ans-typed", "làm căn cước mất bao lâu")
    title, payload = next((t, p) for t, p in _buttons(time) if "14" in t)
    (typed,) = await live.say("ans-typed", title.lower())  # typed, not tapped (was "chưa hiểu")
    (tapped,) = await live.say("ans-tapped", payload)
    assert typed["text"] == tapped["text"] and typed["text"].startswith("⏱ Thời gian")


async def test_a_search_that_finds_one_procedure_shows_its_card_not_a_list_of_one(live):
    (reply,) = await live.say("ans-one", "không phải, ý tôi là xin giấy xác nhận tình trạng độc thân")
    assert reply["text"].startswith("📋 Thủ tục cấp Giấy xác nhận tình trạng hôn nhân\nMã thủ tục: 1.004873")
    (fee,) = await live.say("ans-one", "lệ phí bao nhiêu")  # the card is on screen: its fee
    assert fee["text"].startswith("💰 Lệ phí – Thủ tục cấp Giấy xác nhận tình trạng hôn nhân (mã 1.004873)")


async def test_a_lost_paper_named_offers_the_procedure_that_gives_a_copy_of_it(live):
    # "Cấp lại giấy khai sinh": re-registering the birth comes first; most who lost theirs need a copy.
    (reply,) = await live.say("ans-copy", "cấp lại giấy khai sinh ở đâu")
    assert "mã 1.004884" in reply["text"]
    assert any(str(payload).startswith("#hoi where 2.000635") for _, payload in _buttons(reply))


async def test_a_question_naming_something_unknown_is_not_answered_with_the_last_procedure(live):
    (first,) = await live.say("ans-last", "đăng ký thường trú ở đâu")
    assert "mã 1.004222" in first["text"]
    replies = await live.say("ans-last", "xin giấy phép kinh doanh karaoke ở đâu")
    assert "mã 1.004222" not in str(replies)
    (fee,) = await live.say("ans-none", "lệ phí bao nhiêu")  # nothing named, nothing shown: of which one?
    assert fee["text"].startswith("Bạn hỏi lệ phí của thủ tục nào?")


async def test_a_position_typed_after_buttons_is_the_tap_of_that_button(live):
    (menu,) = await live.say("ans-pos", "xin chào")
    second_title, second_payload = _buttons(menu)[1]
    (tapped,) = await live.say("ans-pos-tap", second_payload)
    (typed,) = await live.say("ans-pos", "cái thứ 2")  # the menu's second item, not "chưa hiểu"
    assert typed["text"] == tapped["text"], second_title


async def test_a_correction_is_of_the_procedure_on_screen(live):
    shown = await live.say("ans-corr", "cấp thẻ căn cước cho người từ đủ 14 tuổi")
    assert "1.014061" in str(shown)
    (renewal,) = await live.say("ans-corr", "không phải, ý tôi là cấp đổi vì hết hạn")
    assert "Cấp đổi thẻ căn cước" in renewal["text"]  # alone, the words found nothing
    await live.say("ans-corr2", "đăng ký kết hôn")
    (foreign,) = await live.say("ans-corr2", "không phải, ý tôi là với người nước ngoài")
    assert "có yếu tố nước ngoài" in str(foreign)


async def test_a_life_event_group_opens_with_the_everyday_procedures(live):
    (residence,) = await live.say("ans-group", "#nhom cu-tru-giay-to")
    assert _buttons(residence)[0][0].startswith("Đăng ký, quản lý cư trú")  # not immigration's 68 forms
    replies = await live.say("ans-group", "#nhom co-con-nho 1")
    assert "Nuôi con nuôi" not in json.dumps(replies[0], ensure_ascii=False).split("Hộ tịch")[0]


async def test_an_overdue_dossiers_card_apologises_and_offers_a_person(live, clock):
    from bot.appkeys import DOSSIERS
    from lookup.dossiers import ReceiveRequest

    service = live.app[DOSSIERS]
    dossier = await service.receive(ReceiveRequest(procedure_code="1.004194", applicant={"full_name": "Lê Văn Hùng"}))
    (on_time,) = await live.say("ans-late0", dossier.code)  # due Wednesday: neither
    assert "quá hạn" not in on_time["text"] and ("Gặp cán bộ", "#gapcanbo") not in _buttons(on_time)
    clock.advance(days=4)  # Friday, past Wednesday 17:00
    (card,) = await live.say("ans-late", dossier.code)
    assert "Rất tiếc, hồ sơ đã quá hạn trả kết quả" in card["text"] and ("Gặp cán bộ", "#gapcanbo") in _buttons(card)


async def test_next_and_back_typed_in_a_guide_turn_its_pages(live):
    (first,) = await live.say("ans-guide-steps", "#hd nophoso 1")
    (second,) = await live.say("ans-guide-steps", "tiếp")  # the "Tiếp theo ▶" button
    (tapped,) = await live.say("ans-guide-tap", "#hd nophoso 2")
    assert second["text"] == tapped["text"] != first["text"]
    (back,) = await live.say("ans-guide-steps", "quay lại")  # "◀ Quay lại", not the main menu
    assert back["text"] == first["text"]


async def test_cancelling_a_payment_says_it_was_cancelled(live):
    (ask,) = await live.say("ans-cancel", "#thanhtoan")
    assert "mã hồ sơ" in ask["text"].lower()
    (menu,) = await live.say("ans-cancel", "hủy")
    assert menu["text"].startswith("Đã hủy thanh toán, chưa có khoản nào bị trừ.")
    (plain,) = await live.say("ans-cancel2", "hủy")  # nothing under way: the menu as before
    assert plain["text"].startswith("Bạn cần hỗ trợ gì?")


async def test_how_to_pay_asked_with_an_unpaid_dossier_on_screen_pays_that_dossier(live):
    from bot.appkeys import DOSSIERS
    from lookup.dossier import FeeLine
    from lookup.dossiers import ReceiveRequest

    service = live.app[DOSSIERS]
    due = await service.receive(ReceiveRequest(procedure_code="1.004194", applicant={"full_name": "Lê Văn Hùng"},
                                               fee_lines=[FeeLine(name="Lệ phí", amount_vnd=15000)]))  # fmt: skip
    await live.say("ans-pay", due.code)
    (reply,) = await live.say("ans-pay", "thanh toan the nao")
    assert "mã bảo mật" in reply["text"].lower() and due.code in reply["text"]
    free = await service.receive(ReceiveRequest(procedure_code="1.004194", applicant={"full_name": "Lê Văn Hùng"},
                                                fee_lines=[]))  # fmt: skip
    await live.say("ans-pay2", free.code)
    (guide,) = await live.say("ans-pay2", "thanh toan the nao")  # nothing due: the guide, as with nothing shown
    assert "(1/3)" in guide["text"]


def test_every_life_events_first_steps_name_procedures_of_the_catalog(catalog):
    from handlers.content import Content
    from lookup.province import load_province

    essentials = Content.load(load_province("kontum")).essentials
    assert essentials
    for group_id, steps in essentials.items():
        assert catalog.group(group_id) is not None, group_id
        named = set(re.findall(r"mã (\d\.\d{6})", steps.text))
        assert named <= set(steps.procedures) and all(catalog.get(c) for c in steps.procedures), group_id
        assert len(steps.text) <= 600


def test_a_long_names_list_of_kinds_is_elided_before_what_follows_it_is_cut(catalog):
    # The family building a house looks for "nhà ở riêng lẻ", at the end of a 260-character name.
    card = procedure_card(catalog.get("1.013225"), BASE)
    assert "(…) và nhà ở riêng lẻ" in card.text.split("\n")[0]
    (answer,) = facet_answer(catalog.get("1.013225"), "fee", BASE)
    assert "nhà ở riêng lẻ (mã 1.013225)" in answer.text.split("\n")[0]


def test_a_fee_the_cell_says_free_while_its_note_cites_the_rule_that_fixes_it_is_not_said_free(catalog):
    # Lý lịch tư pháp: "Miễn phí" in the cell, "Thông tư 244/2016/TT-BTC … quy định mức thu …" in the note.
    (reply,) = facet_answer(catalog.get("3.000333"), "fee", BASE)
    assert "244/2016/TT-BTC" in reply.text and not reply.text.split("\n")[1].startswith("Miễn phí")
    (marriage,) = facet_answer(catalog.get("1.000894"), "fee", BASE)  # its note says "Miễn lệ phí" itself
    assert marriage.text.split("\n")[1] == "Miễn phí."
