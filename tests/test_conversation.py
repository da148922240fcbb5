"""Every menu branch and guidance step, played as a citizen through the emulator's API."""

import pytest

from handlers.content import Content
from lookup.demo import load_fixed_demo
from lookup.province import load_province


def texts(replies):
    return [r.get("text", "") for r in replies]


def buttons(reply):
    return [(b["title"], b["payload"]) for b in reply.get("attachment", {}).get("payload", {}).get("buttons", [])]


@pytest.fixture
async def demo(live):
    from bot.appkeys import DOSSIERS

    return {e.code: e for e in await load_fixed_demo(live.app[DOSSIERS])}


async def test_follow_welcomes_with_the_oa_name_and_the_menu(live):
    replies = await live.act("c1", "follow")
    assert "Cổng hành chính công tỉnh Kon Tum" in replies[0]["text"]
    assert buttons(replies[-1]) == [
        ("Tra cứu hồ sơ", "#tracuuhoso"),
        ("Tra cứu thủ tục", "#tracuuthutuc"),
        ("Hướng dẫn", "#huongdan"),
        ("Thanh toán", "#thanhtoan"),
        ("Hỗ trợ", "#hotro"),
    ]
    chat = await live.act("c1b", "chatnow")
    assert "Chào mừng" in chat[0]["text"]


async def test_lookup_by_typed_code_after_the_menu_tap(live, demo):
    await live.act("c2", "follow")
    prompt = await live.say("c2", "#tracuuhoso")
    assert "(ví dụ 000.25.23.H34-261102-0001)" in prompt[0]["text"]  # a demo dossier, in emulator mode
    card = (await live.say("c2", "000.25.23.h34 261102 0001"))[0]
    text = card["text"]
    for expected in (
        "Hồ sơ 000.25.23.H34-261102-0001",
        "Cấp Phiếu Lý lịch tư pháp",
        "Công an tỉnh Kon Tum",
        "Nguyễn V*** A*",
        "Ngày hẹn trả: 17:00 ngày 13/11/2026",
        "Yêu cầu thực hiện nghĩa vụ tài chính",
        "200.000 đồng – Chưa thanh toán",
    ):
        assert expected in text
    assert "062090001234" not in text and "0905123456" not in text
    assert ("Xem tiến độ", "#tiendo 000.25.23.H34-261102-0001") in buttons(card)
    assert ("Thanh toán", "#thanhtoan 000.25.23.H34-261102-0001") in buttons(card)
    progress = (await live.say("c2", "#tiendo 000.25.23.H34-261102-0001"))[0]["text"]
    assert progress.count("\n") >= 4 and "Phòng Hồ sơ nghiệp vụ" in progress


@pytest.mark.parametrize(
    "message",
    [
        "cho em hỏi hồ sơ 000.09.23.H34-261015-0012 đến đâu rồi ạ",
        "https://dichvucong.kontum.gov.vn/tra-cuu?code=000.09.23.H34-261015-0012",
        "0000923h342610150012",
    ],
)
async def test_any_message_holding_a_code_shows_the_dossier(live, demo, message):
    card = (await live.say("c3", message))[0]["text"]
    assert "Hồ sơ 000.09.23.H34-261015-0012" in card and "quá hạn" in card


async def test_unknown_code_explains_the_format_and_guessing_is_slowed(live, demo, clock):
    # Second 59.75 of a minute on the service's clock: the misses are counted in windows of that clock
    # (they were counted on the wall clock, which could cross a minute between two of them).
    clock.now = clock.now.replace(second=59, microsecond=750_000)
    await live.say("c4", "#tracuuhoso")
    reply = (await live.say("c4", "000.25.23.H34-26110-001"))[0]["text"]  # a digit short: not a code
    assert "có dạng:\n000.25.23.H34-261102-0001\n" in reply and "“26110” có 5 chữ số, cần 6" in reply
    missing = (await live.say("c4", "000.25.23.H34-261102-0099"))[0]["text"]
    assert "Không tìm thấy hồ sơ có mã 000.25.23.H34-261102-0099" in missing
    await live.say("c4", "000.25.23.H34-261102-0098")
    slowed = (await live.say("c4", "000.25.23.H34-261102-0001"))[0]["text"]  # a real code, but too many misses
    assert "đợi khoảng 1 phút" in slowed
    clock.advance(minutes=1)  # a minute later the citizen may look up again
    card = (await live.say("c4", "000.25.23.H34-261102-0001"))[0]["text"]
    assert "Hồ sơ 000.25.23.H34-261102-0001" in card


async def test_procedure_branch_browses_life_events_and_shows_a_card(live):
    ask = await live.say("c5", "#tracuuthutuc")
    assert "Gõ tên thủ tục" in ask[0]["text"]
    groups = await live.say("c5", "#sukien")
    assert ("Có con nhỏ", "#nhom co-con-nho") in buttons(groups[0])
    first_steps = (await live.say("c5", "#nhom co-con-nho"))[0]  # what most parents do first
    assert "đăng ký khai sinh" in first_steps["text"] and ("Cả nhóm (32 thủ tục)", "#nhom co-con-nho 1") in buttons(
        first_steps
    )
    sub_groups = (await live.say("c5", "#nhom co-con-nho 1"))[0]
    assert "lĩnh vực" in sub_groups["text"]
    assert ("Hộ tịch (13)", "#nhomcon co-con-nho 0") in buttons(sub_groups)  # everyday fields first
    listing = await live.say("c5", "#nhomcon co-con-nho 0", expect=2)
    assert "Có con nhỏ › Hộ tịch: 13 thủ tục (trang 1/3)" in listing[0]["text"]
    elements = listing[1]["attachment"]["payload"]["elements"]
    assert len(elements) == 5 and elements[0]["default_action"]["payload"].startswith("#thutuc ")
    assert ("Xem thêm", "#nhomcon co-con-nho 0 2") in buttons(listing[1])
    # A group whose procedures share one field lists them straight away.
    marriage = await live.say("c5", "#nhom hon-nhan-gia-dinh")
    assert "Hôn nhân và gia đình: 20 thủ tục" in marriage[0]["text"]
    card = (await live.say("c5", "#thutuc 1.001193"))[0]
    assert "Thủ tục đăng ký khai sinh" in card["text"] and "Miễn phí" in card["text"]
    assert ("Hướng dẫn nộp trực tuyến", "#hd nophoso 1") in buttons(card)
    typed = (await live.say("c5", "1.004194"))[0]["text"]
    assert "Đăng ký tạm trú" in typed
    await live.say("c5", "#tracuuthutuc")
    found = await live.say("c5", "dang ky tam tru", expect=2)
    assert any("Đăng ký tạm trú" in e["title"] for e in found[1]["attachment"]["payload"]["elements"])
    await live.say("c5", "#tracuuthutuc")
    none = (await live.say("c5", "giá vàng hôm nay"))[0]["text"]
    assert "Không tìm thấy thủ tục" in none


async def test_every_guidance_step_is_reachable_with_next_and_back(live, clock):
    content = Content.load(load_province("kontum"))
    topics = await live.say("c6", "#huongdan")
    offered = [p for reply in topics for _, p in buttons(reply)]
    for topic in content.guides.values():
        clock.advance(minutes=1)  # a citizen's messages per minute are limited: read one topic a minute
        assert f"#hd {topic.id} 1" in offered
        for number in range(1, len(topic.steps) + 1):
            # By count: on a loaded machine a step's reply can come after the emulator's quiet gap.
            (reply,) = await live.say("c6", f"#hd {topic.id} {number}", expect=1)
            assert reply["text"].startswith(f"📘 {topic.title} ({number}/{len(topic.steps)})")
            nav = dict((p, t) for t, p in buttons(reply))
            assert (f"#hd {topic.id} {number + 1}" in nav) == (number < len(topic.steps))
            assert (f"#hd {topic.id} {number - 1}" in nav) == (number > 1)
    login = (await live.say("c6", "#hd dangky 2", expect=1))[0]["text"]
    assert "VNeID" in login and "15/6/2024" in login


async def test_payment_support_media_fallback_and_cancel(live, demo):
    pay = await live.say("c7", "#thanhtoan 000.25.23.H34-261102-0001")
    assert len(pay) == 1 and "200.000 đồng" in pay[0]["text"] and "mã bảo mật" in pay[0]["text"]
    support = (await live.say("c7", "#hotro"))[0]
    assert "0260.3797799" in support["text"] and "24/7" in support["text"]
    assert ("Gọi 0260.3797799", {"phone_code": "02603797799"}) in [
        (b["title"], b["payload"]) for b in support["attachment"]["payload"]["buttons"]
    ]
    async with live.http.post(
        f"{live.base}/emulator/users/c7/image", data=b"\x89PNG...", headers={"Content-Type": "image/png"}
    ) as r:
        photo = (await r.json())["replies"]
    assert "gõ mã hồ sơ" in photo[0]["text"]
    hello = (await live.say("c7", "alo alo"))[0]  # a greeting (it was "not understood" before issue 16)
    assert "Chào bạn" in hello["text"] and buttons(hello)[0] == ("Tra cứu hồ sơ", "#tracuuhoso")
    await live.say("c7", "#tracuuhoso")
    for word in ("huỷ", "Huy", "MENU", "0"):
        back = (await live.say("c7", word))[0]
        assert buttons(back)[0] == ("Tra cứu hồ sơ", "#tracuuhoso")


async def test_menu_taps_leave_a_waiting_state(live):
    await live.say("c8", "#tracuuhoso")
    guide = await live.say("c8", "#huongdan")
    assert "hướng dẫn" in guide[0]["text"]


async def send_photo(live, user: str, data: bytes, content_type: str = "image/jpeg") -> list[dict]:
    url = f"{live.base}/emulator/users/{user}/image"
    async with live.http.post(url, data=data, headers={"Content-Type": content_type}) as response:
        assert response.status == 200
        return (await response.json())["replies"]


async def test_a_slanted_dim_photo_of_a_receipt_gets_the_dossier_card(live, catalog, province):
    from bench.photoset import photos
    from bot.appkeys import DOSSIERS
    from lookup.dossiers import ReceiveRequest

    service = live.app[DOSSIERS]
    for photo in photos(catalog, province, 1, seed=8, buckets=("perspective", "dim"), negatives=0, frame=(1200, 1600)):
        # Store a dossier under the code the photographed receipt carries, then send the photo.
        agency_id = photo.code.split("-")[0]
        request = ReceiveRequest(procedure_code="1.004194", agency_id=agency_id, applicant={"full_name": "Lê Văn Hùng"})
        created = await service.receive(request)
        assert await service.store.insert(created.model_copy(update={"code": photo.code}))
        card = (await send_photo(live, f"photo-{photo.bucket}", photo.data))[0]["text"]
        assert photo.code in card and "Đăng ký tạm trú" in card, photo.bucket


async def test_a_qr_that_is_not_a_receipt_is_explained(live):
    import io

    from lookup.receipts import qr_image

    out = io.BytesIO()
    qr_image("https://zalo.me/s/cong-hanh-chinh-cong").save(out, format="PNG")
    reply = (await send_photo(live, "photo-other", out.getvalue(), "image/png"))[0]["text"]
    assert "https://zalo.me/s/cong-hanh-chinh-cong" in reply and "không phải mã QR của Phiếu tiếp nhận" in reply


async def test_a_photo_without_a_qr_gets_tips_and_the_typing_option(live, catalog, province):
    from bench.photoset import photos

    negative = next(p for p in photos(catalog, province, 0, seed=3, negatives=1, frame=(1200, 1600)))
    reply = (await send_photo(live, "photo-none", negative.data))[0]
    assert "chưa đọc được mã QR" in reply["text"] and "song song" in reply["text"]
    assert ("Gõ mã hồ sơ", "#tracuuhoso") in buttons(reply)


async def test_a_file_that_is_not_an_image_is_answered_clearly(live):
    reply = (await send_photo(live, "photo-bad", b"%PDF-1.7 not a photo", "image/jpeg"))[0]["text"]
    assert "không phải là ảnh" in reply


async def test_forgot_password_opens_the_step_that_says_what_to_do_and_office_hours_are_told(live):
    (guide,) = await live.say("hours-1", "quen mat khau dich vu cong")
    assert "Quên mật khẩu" in guide["text"] and "(1/" not in guide["text"]
    (hours,) = await live.say("hours-2", "ubnd phường mấy giờ mở cửa")
    assert hours["text"].startswith("🕗 Giờ làm việc")


async def test_a_receipts_date_and_sequence_without_its_agency_asks_for_the_whole_code(live):
    (reply,) = await live.say("c-partial", "cho hỏi hồ sơ 261020-0001 của tôi sao rồi")
    assert "thiếu phần mã cơ quan ở đầu" in reply["text"]
