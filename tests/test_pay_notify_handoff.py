"""From lookup to done, through the emulator and the real app: paying in the chat, notices to
followers (once, within Zalo's window or held until the citizen writes), and reaching a person."""

import re
from urllib.parse import urlparse

import aiohttp
import pytest

from bot.appkeys import DOSSIERS, HANDOFFS, NOTIFIER, SETTINGS, TRANSCRIPT
from bot.conv_keys import UserKey
from bot.staff.accounts import Role
from bot.staff.context import ACCOUNTS
from bot.web.gateway_emulator import signed_callback
from lookup.demo import load_fixed_demo
from lookup.status import DossierStatus
from tests.conftest import STAFF
from tests.test_webhook import OA

FEES_DUE = "000.25.23.H34-261102-0001"  # demo: waiting for fees, 200.000 đồng, security code KTDEMA23


@pytest.fixture
async def demo(live):
    return {e.code: e for e in await load_fixed_demo(live.app[DOSSIERS])}


def buttons(message: dict) -> list[tuple[str, object]]:
    payload = (message.get("attachment") or {}).get("payload") or {}
    return [(b["title"], b["payload"]) for b in payload.get("buttons", [])]


async def pay_in_chat(live, user: str, security_code: str) -> str:
    """Lookup, follow, pay: returns the payment id from the pay button."""
    card = (await live.say(user, FEES_DUE))[0]
    assert ("Thanh toán", f"#thanhtoan {FEES_DUE}") in buttons(card)
    assert ("Theo dõi hồ sơ", f"#theodoi {FEES_DUE}") in buttons(card)
    asked = (await live.say(user, f"#thanhtoan {FEES_DUE}"))[0]
    assert "200.000 đồng" in asked["text"] and "mã bảo mật" in asked["text"]
    wrong = (await live.say(user, "ABCD2345"))[0]
    assert "chưa đúng" in wrong["text"]
    offer = (await live.say(user, security_code.lower()))[0]
    assert security_code not in offer["text"] and security_code.lower() not in offer["text"]
    assert "Tổng cộng: 200.000 đồng" in offer["text"]
    (title, target), *_ = buttons(offer)
    assert title == "Thanh toán"
    return urlparse(target["url"]).path.rsplit("/", 1)[1]


async def bank(live, payment_id: str, action: str = "pay") -> None:
    async with live.http.post(f"{live.base}/pay/{payment_id}/bank", data={"bank_code": "VCB"}) as r:
        assert r.status == 200
    async with live.http.post(f"{live.base}/pay/{payment_id}/confirm", data={"bank_code": "VCB", "action": action},
                              allow_redirects=False) as r:  # fmt: skip
        assert r.status == 303


async def test_a_citizen_pays_in_the_chat_and_is_told_it_is_back_in_processing(live, demo):
    user = "payer1"
    await live.act(user, "follow")
    payment_id = await pay_in_chat(live, user, demo[FEES_DUE].security_code)
    before = len(await live.oa_messages(user))
    await bank(live, payment_id)
    messages = await live.settle(user, before + 1)
    assert len(messages) == before + 1
    notice = messages[-1]["text"]
    assert "Đã thanh toán 200.000 đồng" in notice and "Mã giao dịch" in notice
    assert f"/pay/{payment_id}/bien-lai" in notice and "Đang xử lý" in notice
    dossier = await live.app[DOSSIERS].get(FEES_DUE)
    assert dossier.status is DossierStatus.DANG_XU_LY
    async with live.http.get(f"{live.base}/pay/{payment_id}/bien-lai") as r:
        receipt = await r.text()
        assert r.status == 200 and "BIÊN LAI" in receipt and "200.000 đồng" in receipt
        assert demo[FEES_DUE].security_code not in receipt
    # The security code is nowhere in the transcript, not even sealed.
    entries = await live.app[TRANSCRIPT].entries(UserKey(OA, user))
    assert not any(demo[FEES_DUE].security_code.lower() in str(e).lower() for e in entries)

    # The bank calls back again with the same outcome: nothing more is sent.
    paid = next(p for p in dossier.payments if p.id == payment_id)
    secret = live.app[SETTINGS].payment_gateway_secret.get_secret_value()
    body = signed_callback(payment_id, FEES_DUE, paid.amount_vnd, "VCB", "00", paid.settled_at, secret,
                           paid.transaction_id)  # fmt: skip
    async with live.http.post(f"{live.base}/api/payments/{payment_id}/callback", json=body) as r:
        assert r.status == 200 and (await r.json())["duplicate"] is True
    assert len(await live.settle(user, before + 2, limit=1)) == before + 1
    # And paying twice is impossible: asking again says it is paid.
    again = await live.say(user, f"#thanhtoan {FEES_DUE}")
    assert "đã được thanh toán" in again[0]["text"]


async def test_a_cancelled_payment_says_so_and_offers_to_retry(live, demo):
    user = "payer2"
    await live.act(user, "follow")
    payment_id = await pay_in_chat(live, user, demo[FEES_DUE].security_code)
    before = len(await live.oa_messages(user))
    await bank(live, payment_id, action="cancel")
    notice = (await live.settle(user, before + 1))[-1]
    assert "chưa thành công" in notice["text"]
    assert ("Thanh toán lại", f"#thanhtoan {FEES_DUE}") in buttons(notice)
    assert (await live.app[DOSSIERS].get(FEES_DUE)).status is DossierStatus.YEU_CAU_NGHIA_VU_TAI_CHINH


async def test_too_many_wrong_security_codes_lock_the_payment_and_say_whom_to_call(live, demo):
    await live.say("guesser", f"#thanhtoan {FEES_DUE}")
    replies = [(await live.say("guesser", f"WRONG{n:03d}"))[0]["text"] for n in range(4)]
    assert all("chưa đúng" in r for r in replies[:3])
    assert "tạm khóa" in replies[3] and "0260.3797799" in replies[3]


async def test_a_question_asked_while_the_security_code_is_awaited_is_answered(live, demo):
    """A citizen asked for the security code who asks something else instead gets an answer, not
    "Mã bảo mật chưa đúng" (every message used to be checked as the code), and the prompt stays:
    a mistyped code is still a wrong code, and the right one then pays."""
    user = "payer-asks"
    await live.say(user, f"#thanhtoan {FEES_DUE}")
    texts = " ".join(m["text"] for m in await live.say(user, "đăng ký khai sinh cần giấy tờ gì"))
    assert "chưa đúng" not in texts and "khai sinh" in texts.lower()
    where = " ".join(m["text"] for m in await live.say(user, "mã bảo mật ở đâu vậy, em không thấy"))
    assert "chưa đúng" not in where
    (wrong,) = await live.say(user, "mã bảo mật là ab3k 7qm")  # the prompt is still open
    assert "chưa đúng" in wrong["text"]
    offer = (await live.say(user, f"ma bao mat: {demo[FEES_DUE].security_code.lower()}"))[0]
    assert "Tổng cộng: 200.000 đồng" in offer["text"]


async def test_saying_no_to_the_payment_ends_it_and_a_question_after_is_answered(live, demo):
    await live.say("payer-stops", f"#thanhtoan {FEES_DUE}")
    (stopped,) = await live.say("payer-stops", "thôi không thanh toán nữa")
    assert stopped["text"].startswith("Đã hủy thanh toán")
    user = "payer-stops2"
    await live.say(user, f"#thanhtoan {FEES_DUE}")
    texts = " ".join(
        m["text"] for m in await live.say(user, "thoi khong thanh toan nua, cho hoi khai sinh can giay gi")
    )
    assert "chưa đúng" not in texts and "khai sinh" in texts.lower()
    # The payment is over: the right code now is not taken as an answer to a prompt.
    after = " ".join(m["text"] for m in await live.say(user, demo[FEES_DUE].security_code))
    assert "Tổng cộng" not in after


async def test_a_security_code_sent_long_after_the_prompt_is_not_checked(live, demo, clock):
    from datetime import timedelta

    user = "payer-late"
    await live.say(user, f"#thanhtoan {FEES_DUE}")
    clock.now += timedelta(minutes=11)
    (late,) = await live.say(user, demo[FEES_DUE].security_code)
    assert "đã quá 10 phút" in late["text"] and "Tổng cộng" not in late["text"]
    assert ("Thanh toán", f"#thanhtoan {FEES_DUE}") in buttons(late)
    assert demo[FEES_DUE].security_code not in late["text"]


async def test_a_transition_notifies_every_follower_once_with_where_to_collect(live, api_transition, demo):
    code = "000.25.23.H34-261102-0001"
    for user in ("f1", "f2"):
        await live.act(user, "follow")
        assert "Đã theo dõi" in (await live.say(user, f"#theodoi {code}"))[0]["text"]
    counts = {u: len(await live.oa_messages(u)) for u in ("f1", "f2")}
    await api_transition(code, DossierStatus.DANG_XU_LY)
    await api_transition(code, DossierStatus.DA_XU_LY_XONG)
    for user in ("f1", "f2"):
        messages = await live.settle(user, counts[user] + 2)
        assert len(messages) == counts[user] + 2
        assert "Đang xử lý" in messages[-2]["text"]
        # Submitted online: the e-result is ready on the portal (at the counter: where and when to collect).
        assert "Đã xử lý xong" in messages[-1]["text"] and "Kết quả điện tử đã sẵn sàng" in messages[-1]["text"]
    # The same change announced again (a retried request, a redelivery) sends nothing more.
    await live.app[NOTIFIER].dossier_moved(await live.app[DOSSIERS].get(code))
    assert len(await live.settle("f1", counts["f1"] + 3, limit=1)) == counts["f1"] + 2
    # Bỏ theo dõi stops them.
    await live.say("f2", f"#botheodoi {code}")
    before = len(await live.oa_messages("f2"))
    await api_transition(code, DossierStatus.DA_TRA_KET_QUA)
    await live.settle("f1", counts["f1"] + 3)
    assert len(await live.oa_messages("f2")) == before


async def test_a_follower_silent_for_eight_days_gets_the_notice_when_they_next_write(live, api_transition, clock):
    from bot.appkeys import DOSSIERS as D

    await load_fixed_demo(live.app[D])
    code = "000.25.23.H34-261102-0001"
    await live.act("quiet", "follow")
    await live.say("quiet", f"#theodoi {code}")
    clock.advance(days=8)
    await live.control(age_user={"user_id": "quiet", "days": 8})
    before = len(await live.oa_messages("quiet"))
    await api_transition(code, DossierStatus.DANG_XU_LY)
    assert len(await live.settle("quiet", before + 1, limit=1.5)) == before  # nothing outside the window
    replies = await live.say("quiet", "#hotro", wait="3")
    assert "Hỗ trợ" in replies[0]["text"]
    messages = await live.settle("quiet", before + 2)
    assert "Đang xử lý" in messages[-1]["text"]
    await live.say("quiet", "#menu")
    assert sum("Đang xử lý" in (m.get("text") or "") for m in await live.oa_messages("quiet")) == 1


@pytest.fixture
def api_transition(live):
    async def move(code: str, status: DossierStatus) -> dict:
        async with live.http.post(f"{live.base}/api/dossiers/{code}/transitions", json={"status": int(status)},
                                  headers=STAFF) as r:  # fmt: skip
            assert r.status == 200, await r.text()
            return await r.json()

    return move


async def staff_session(live) -> aiohttp.ClientSession:
    await live.app[ACCOUNTS].add("officer1", "correct horse battery", Role.VIEWER)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(f"{live.base}/staff/login") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    async with session.post(f"{live.base}/staff/login", data={"csrf": token, "name": "officer1",
                            "password": "correct horse battery", "next": "/staff/handoffs"}) as r:  # fmt: skip
        assert r.status == 200
    return session


async def test_handoff_mutes_the_bot_staff_reply_through_the_oa_and_hand_it_back(live):
    user = "needs-a-person"
    await live.act(user, "follow")
    handed = (await live.say(user, "Tôi muốn gặp cán bộ"))[0]["text"]
    assert "chuyển cuộc trò chuyện tới cán bộ" in handed and "0260.3797799" in handed
    assert await live.say(user, "alo, có ai không?", wait="1") == []  # the bot is quiet
    console = await staff_session(live)
    try:
        async with console.get(f"{live.base}/staff/handoffs") as r:
            assert user in await r.text()
        path = f"{live.base}/staff/conversations/{OA}:{user}"
        async with console.get(path) as r:
            page = await r.text()
            assert "alo, có ai không?" in page and "Trả lại cho bot" in page
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        before = len(await live.oa_messages(user))
        async with console.post(f"{path}/reply", data={"csrf": token, "text": "Chào bạn, mình là cán bộ hỗ trợ."}) as r:
            assert r.status == 200
        messages = await live.oa_messages(user)
        assert messages[before:] == [{"text": "Chào bạn, mình là cán bộ hỗ trợ."}]
        async with console.post(f"{path}/handback", data={"csrf": token}) as r:
            assert r.status == 200
        assert "tiếp tục hỏi bot" in (await live.oa_messages(user))[-1]["text"]
        async with console.get(f"{live.base}/staff/handoffs") as r:
            assert user not in await r.text()
    finally:
        await console.close()
    assert len(await live.say(user, "#hotro")) == 1  # the bot answers again
    entries = await live.app[TRANSCRIPT].entries(UserKey(OA, user))
    assert any(e.get("handler") == "staff:officer1" for e in entries)


async def test_a_citizen_waiting_for_a_person_gets_the_bot_back_with_the_menu_or_a_tap(live):
    # Tried as a citizen: out of office hours "gặp cán bộ" left every message and menu tap unanswered
    # until 07:00 the next working day, and the message had no way back.
    user = "changed-their-mind"
    handed = (await live.say(user, "toi muon gap can bo"))[0]
    assert ("Quay lại với bot", "#quaylaibot") in buttons(handed)
    assert await live.say(user, "em hỏi về sổ đỏ", wait="1") == []  # a question is for the officer
    assert await live.say(user, "# em gửi ảnh giấy tờ", wait="1") == []  # a message, not a command
    (menu,) = await live.say(user, "menu")
    assert "Bạn cần hỗ trợ gì?" in menu["text"] and not await live.app[HANDOFFS].active(UserKey(OA, user))
    await live.say(user, "#gapcanbo")
    (back,) = await live.say(user, "#quaylaibot")
    assert back["text"].startswith("Bạn đã quay lại trò chuyện với bot")
    await live.say(user, "#gapcanbo")
    (tapped,) = await live.say(user, "#hotro")  # a menu tap is an answer from the bot again
    assert tapped["text"].startswith("☎️ Hỗ trợ") and not await live.app[HANDOFFS].active(UserKey(OA, user))
    await live.say(user, "#gapcanbo")
    (typed,) = await live.say(user, "Quay lại với bot")  # the button's title typed
    assert typed["text"].startswith("Bạn cần hỗ trợ gì?") or "quay lại" in typed["text"].lower()


async def test_two_messages_not_understood_in_a_row_offer_a_person(live):
    first = await live.say("lost", "xyz qwerty")
    assert not any("chưa giúp được bạn" in m.get("text", "") for m in first)
    second = await live.say("lost", "asdf zxcv")
    assert "chưa giúp được bạn" in second[-1]["text"] and ("Gặp cán bộ", "#gapcanbo") in buttons(second[-1])


def test_a_dossier_received_at_the_counter_is_collected_there_in_office_hours(catalog, province):
    from datetime import datetime

    from handlers.notices import status_notice
    from lookup.calendar import VN_TZ
    from lookup.dossier import Applicant
    from lookup.dossiers import advance, new_dossier

    procedure = catalog.get("1.004194")
    agency = province.agencies[0]
    received = datetime(2026, 11, 16, 9, 0, tzinfo=VN_TZ)
    dossier = new_dossier("000.00.01.H34-261116-0001", "ABCD2345", procedure, agency, "trực tiếp",
                          Applicant(full_name="Lê Văn Hùng"), [], received, received, [])  # fmt: skip
    for status in (DossierStatus.DANG_XU_LY, DossierStatus.DA_XU_LY_XONG):
        dossier = advance(dossier, status, received)
    text = status_notice(dossier, province).text
    assert f"nhận kết quả tại Bộ phận Một cửa – {agency.name}" in text
    assert "07:00–17:00, thứ Hai đến thứ Sáu" in text


def test_outside_office_hours_the_citizen_is_told_when_someone_will_answer():
    from datetime import date, datetime

    from handlers.handoff import next_opening
    from lookup.calendar import VN_TZ
    from lookup.province import OfficeHours

    hours = OfficeHours(weekdays=[0, 1, 2, 3, 4], open="07:00", close="17:00")
    saturday_evening = datetime(2026, 11, 21, 19, 0, tzinfo=VN_TZ)
    assert next_opening(saturday_evening, hours, lambda d: True) == datetime(2026, 11, 23, 7, 0, tzinfo=VN_TZ)
    tuesday_noon = datetime(2026, 11, 24, 12, 0, tzinfo=VN_TZ)
    assert next_opening(tuesday_noon, hours, lambda d: True) == tuesday_noon
    # A public holiday on Monday: the next working morning is Tuesday's.
    assert next_opening(saturday_evening, hours, lambda d: d != date(2026, 11, 23)) == datetime(
        2026, 11, 24, 7, 0, tzinfo=VN_TZ
    )


async def test_a_change_a_dead_process_left_unannounced_is_announced_once_by_the_sweep(live, demo):
    from bot.appkeys import REDIS
    from lookup.dossiers import TransitionRequest

    code, notifier = FEES_DUE, live.app[NOTIFIER]
    await live.act("swept", "follow")
    await live.say("swept", f"#theodoi {code}")
    before = len(await live.oa_messages("swept"))
    # A web process marked the change as owed, made it, and died before announcing it.
    await live.app[REDIS].zadd(notifier.pending_key, {code: 1.0})
    await live.app[DOSSIERS].transition(code, TransitionRequest(status=int(DossierStatus.DANG_XU_LY)))
    assert await notifier.sweep(live.app[DOSSIERS]) == 1
    messages = await live.settle("swept", before + 1)
    assert len(messages) == before + 1 and "Đang xử lý" in messages[-1]["text"]
    assert await notifier.sweep(live.app[DOSSIERS]) == 0
    # Owed again (say the process died after announcing, before clearing): nothing is sent twice.
    await live.app[REDIS].zadd(notifier.pending_key, {code: 1.0})
    assert await notifier.sweep(live.app[DOSSIERS]) == 1
    assert len(await live.settle("swept", before + 2, limit=1)) == before + 1


@pytest.mark.parametrize(
    ("typed", "code"),
    [("KTDEMA23", "KTDEMA23"), ("ktde ma23", "KTDEMA23"), ("Mã bảo mật: ktdema23", "KTDEMA23"),
     ("mã của em là KTDEMA23 ạ", "KTDEMA23"), ("ABCDEFGH", "ABCDEFGH"), ("WRONG001", "WRONG001"),
     ("thanhtoan", None), ("cảm ơn", None), ("ok", None), ("làm sổ đỏ bao lâu thì có", None),
     ("hồ sơ 000.25.23.H34-261102-0001", None), ("chuyển khoản được không", None), ("0905123456", None),
     ("MA3K7QMN", "MA3K7QMN"), ("KTDE-MA23", "KTDEMA23"), ("mã em là ABCDEFGH", "ABCDEFGH"),
     ("bao nhiêu", None), ("ngân hàng", None), ("không nhớ", None), ("hướng dẫn", None), ("password", None),
     ("khai sinh", None), ("mất phiếu", None)],
)  # fmt: skip
def test_what_counts_as_a_try_at_the_security_code(typed, code):
    from handlers.payment import security_code_typed

    assert security_code_typed(typed) == code


async def test_a_code_typed_after_the_payment_ended_or_with_separators_is_never_kept_in_clear(live, demo):
    code = demo[FEES_DUE].security_code
    user = "payer-mask"
    await live.say(user, f"#thanhtoan {FEES_DUE}")
    offer = (await live.say(user, f"thôi được, mã là {code[:4]}-{code[4:]}"))[0]  # a try, not a stop
    assert "Tổng cộng" in offer["text"]
    await live.say(user, f"#thanhtoan {FEES_DUE}")
    await live.say(user, "hủy")
    await live.say(user, f"{code[:4]}.{code[4:]}")  # after the payment ended: not checked, still masked
    entries = await live.app[TRANSCRIPT].entries(UserKey(OA, user))
    assert not any(code.lower() in str(e).lower().replace("-", "").replace(".", "") for e in entries)


async def test_a_prompt_is_forgotten_after_an_hour_and_ends_when_another_dossier_is_opened(live, demo, clock):
    from datetime import timedelta

    user = "payer-forget"
    await live.say(user, f"#thanhtoan {FEES_DUE}")
    clock.now += timedelta(days=3)
    (later,) = await live.say(user, "thôi cảm ơn")
    assert "Đã hủy thanh toán" not in later["text"]
    other = next(c for c in demo if c != FEES_DUE)
    user = "payer-other"
    await live.say(user, f"#thanhtoan {FEES_DUE}")
    await live.say(user, other, expect=1)  # another dossier's card: the next code is that one's
    replies = await live.say(user, demo[other].security_code)
    assert not any("chưa đúng" in m.get("text", "") for m in replies)
