"""Outbound OA API behaviour against the emulator over loopback: token refresh rotation with
workers racing, invalid-token retry, rate-limit backoff, and the interaction window."""

import asyncio

from bot.appkeys import CONVERSATION, HTTP, REDIS, TRANSCRIPT
from bot.conv_keys import ConversationKeys, UserKey
from bot.settings import Settings
from bot.zalo.oa_client import OAClient, TokenManager
from tests.conftest import APP_SECRET

OA = Settings().zalo_oa_id


def worker(live, backend, http=None) -> tuple[TokenManager, OAClient]:
    """A second (or third) bot process: same Redis, same OA, its own objects."""
    tokens = TokenManager(
        live.app[REDIS],
        ConversationKeys(backend.prefix),
        http or live.app[HTTP],
        oa_id=OA,
        app_id="1234567890123456789",
        app_secret=APP_SECRET,
        oauth_base=live.base,
        seed_refresh_token="demo-refresh-token-0",
    )
    return tokens, OAClient(http or live.app[HTTP], tokens, live.base, backoff_seconds=0.01)


async def test_workers_racing_to_refresh_use_the_single_use_token_once(live, backend):
    await live.act("r1", "follow")  # first token obtained with the seed refresh token
    assert (await live.emulator_state())["refreshes"] == 1
    await live.control(expire_tokens=True)
    workers = [worker(live, backend) for _ in range(4)]
    # Every worker saw the same, now-dead token; all try to refresh at once.
    stale = (await workers[0][0].redis.hgetall(workers[0][0].key))["access_token"]
    new_tokens = await asyncio.gather(*(tokens.refresh(stale=stale) for tokens, _ in workers))
    assert len(set(new_tokens)) == 1  # one refresh, shared through Redis
    assert (await live.emulator_state())["refreshes"] == 2
    result = await workers[1][1].send("r1", {"text": "xin chào"})
    assert result.ok


async def test_expired_token_is_refreshed_and_the_message_retried_once(live):
    await live.act("r2", "follow")
    await live.control(expire_tokens=True)
    replies = await live.say("r2", "#hotro")
    assert len(replies) == 1 and "Hỗ trợ" in replies[0]["text"]
    assert (await live.emulator_state())["refreshes"] == 2


async def test_rate_limit_backs_off_and_succeeds(live, backend):
    await live.act("r3", "follow")
    _, client = worker(live, backend)
    await live.control(rate_limit_next=2)
    result = await client.send("r3", {"text": "sau khi chờ"})
    assert result.ok
    messages = (await (await live.http.get(f"{live.base}/emulator/users/r3/messages")).json())["messages"]
    assert [m["message"].get("text") for m in messages if m["direction"] == "oa"][-1] == "sau khi chờ"


async def test_outside_the_window_the_reply_is_recorded_not_retried(live):
    await live.act("r4", "follow")
    await live.control(age_user={"user_id": "r4", "days": 8})
    # The emulator refreshes the window on a new message, so age the user after the message is sent:
    # an event arriving from Zalo while the window is closed is played by a direct send.
    from bot.appkeys import CONVERSATION
    from bot.replies import Text

    conversation = live.app[CONVERSATION]
    calls = {"n": 0}
    original = conversation.oa.send

    async def counting(user_id, message):
        calls["n"] += 1
        return await original(user_id, message)

    conversation.oa.send = counting
    turn = await conversation.push(
        UserKey(OA, "r4"), [Text("Hồ sơ của bạn đã có kết quả"), Text("thứ hai")], "test.notice", "notice-r4"
    )
    assert turn.sent(0) == "undelivered:-230" and turn.sent(1) is None
    assert calls["n"] == 1  # not retried, and the second reply is not attempted either
    entries = await live.app[TRANSCRIPT].entries(UserKey(OA, "r4"))
    assert entries[-1]["error"] == "not delivered: -230"


async def test_server_errors_for_a_while_delay_the_reply_but_it_arrives_once(live):
    greeting = await live.act("r5", "follow")
    live.app[CONVERSATION].oa.backoff = 0.05
    await live.control(server_error_next=2)
    replies = await live.say("r5", "#hotro", wait="5")
    assert len(replies) == 1
    await asyncio.sleep(0.3)
    messages = (await (await live.http.get(f"{live.base}/emulator/users/r5/messages")).json())["messages"]
    assert sum(1 for m in messages if m["direction"] == "oa") == len(greeting) + 1
