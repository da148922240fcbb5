"""Zalo wire format: the webhook signature, event parsing, and reply rendering."""

import pytest

from bot.replies import Button, Image, ListItem, ListReply, Text
from bot.zalo.events import MalformedEvent, parse_event
from bot.zalo.render import render, split_text
from bot.zalo.signature import verify_webhook, webhook_mac

VECTOR_BODY = (
    b'{"app_id":"1234567890123456789","sender":{"id":"2468458835296197922"},"recipient":{"id":"3886132808798806450"},'
    b'"user_id_by_app":"5521727797175877300","event_name":"user_send_text","message":{"text":"#tracuu",'
    b'"msg_id":"96d3cdf3af150460909"},"timestamp":"1718000000000"}'
)
APP, SECRET, TS = "1234567890123456789", "TEST_OA_SECRET_KEY", "1718000000000"
VECTOR_MAC = "5b2789faa224d94339920d58acccb104e8ab26ad23ef70034d9738a9346325a7"


def test_signature_matches_the_published_test_vector():
    assert webhook_mac(APP, VECTOR_BODY, TS, SECRET) == VECTOR_MAC
    assert verify_webhook(f"mac={VECTOR_MAC}", APP, VECTOR_BODY, TS, SECRET)


@pytest.mark.parametrize(
    "header", [None, "", "mac=", f"mac={VECTOR_MAC[:-1]}0", "mac=" + "0" * 64, f"mac={VECTOR_MAC} extra"]
)
def test_wrong_or_missing_signatures_are_refused(header):
    assert not verify_webhook(header, APP, VECTOR_BODY, TS, SECRET)


def test_the_signature_covers_the_exact_bytes():
    reformatted = VECTOR_BODY.replace(b'","', b'", "')  # same JSON, other bytes
    assert not verify_webhook(f"mac={VECTOR_MAC}", APP, reformatted, TS, SECRET)


def test_events_of_every_shape_name_their_user():
    text = parse_event(
        {
            "event_name": "user_send_text",
            "sender": {"id": "u"},
            "recipient": {"id": "oa"},
            "message": {"text": "hi", "msg_id": "m1"},
            "timestamp": "1",
        }
    )
    assert (text.user_id, text.oa_id, text.text, text.dedupe_id) == ("u", "oa", "hi", "msg:m1")
    follow = parse_event(
        {"event_name": "follow", "oa_id": "oa", "follower": {"id": "u"}, "source": "qr", "timestamp": "5"}
    )
    assert (follow.user_id, follow.dedupe_id) == ("u", "follow:u:5")
    chat = parse_event({"event_name": "user_click_chatnow", "user_id": "u", "oa_id": "oa", "timestamp": "6"})
    assert chat.user_id == "u"
    image = parse_event(
        {
            "event_name": "user_send_image",
            "sender": {"id": "u"},
            "recipient": {"id": "oa"},
            "message": {
                "msg_id": "m2",
                "attachments": [
                    {"type": "image", "payload": {"url": "https://img/x.jpg", "thumbnail": "https://img/t.jpg"}}
                ],
            },
            "timestamp": "7",
        }
    )
    assert image.attachments[0].url == "https://img/x.jpg"
    echo = parse_event(
        {
            "event_name": "oa_send_text",
            "sender": {"id": "oa"},
            "recipient": {"id": "u"},
            "message": {"text": "x", "msg_id": "m3"},
            "timestamp": "8",
        }
    )
    assert echo.is_echo and echo.user_id == "u"


@pytest.mark.parametrize(
    "body",
    [[], "x", {}, {"event_name": "user_send_text"}, {"event_name": "follow", "follower": {"id": ["u"]}, "oa_id": "o"}],
)
def test_malformed_events_are_refused(body):
    with pytest.raises(MalformedEvent):
        parse_event(body)


def test_rendering_of_each_reply_kind():
    text = render(
        Text(
            "Chào",
            (
                Button("Tra cứu", "#tracuuhoso"),
                Button("Gọi", "0260.3797799", "phone"),
                Button("Cổng", "https://dichvucong.gov.vn", "url"),
            ),
        )
    )
    assert text == [
        {
            "text": "Chào",
            "attachment": {
                "type": "template",
                "payload": {
                    "buttons": [
                        {"title": "Tra cứu", "type": "oa.query.show", "payload": "#tracuuhoso"},
                        {"title": "Gọi", "type": "oa.open.phone", "payload": {"phone_code": "02603797799"}},
                        {"title": "Cổng", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}},
                    ]
                },
            },
        }
    ]
    listing = render(ListReply((ListItem("A", "a", action=Button("A", "#thutuc 1.000001")),)))
    assert listing[0]["attachment"]["payload"]["template_type"] == "list"
    assert listing[0]["attachment"]["payload"]["elements"][0]["default_action"] == {
        "type": "oa.query.show",
        "payload": "#thutuc 1.000001",
    }
    image = render(Image(b"png", caption="Phiếu"), attachment_id="att1")
    assert image[0]["attachment"]["payload"]["elements"] == [{"media_type": "image", "attachment_id": "att1"}]
    with pytest.raises(ValueError, match="uploaded"):
        render(Image(b"png"))


def test_long_texts_are_split_under_zalos_limit_with_buttons_on_the_last_part():
    paragraph = "Thành phần hồ sơ gồm nhiều giấy tờ. " * 40
    messages = render(Text("\n\n".join([paragraph] * 4), (Button("Menu", "#menu"),)))
    assert len(messages) > 1 and all(len(m["text"]) <= 2000 for m in messages)
    assert "attachment" in messages[-1] and all("attachment" not in m for m in messages[:-1])
    assert "".join(split_text("x" * 4500)) == "x" * 4500
