"""Issue 22: the OA's Zalo authorization lost while the service runs. Before, every citizen message
failed with TokenRefreshFailed, was retried five times and dead-lettered (90 events in 13 minutes),
/readyz stayed green, the console showed nothing and only a restart with a new ZALO_REFRESH_TOKEN
helped (and the pair in Redis won over it). Now: readiness and the console say so at once, events
are held (nothing dead-lettered), and a supervisor authorizes the OA again from the console
(Zalo's OAuth with PKCE, played by the emulator) or a script sets a refresh token: every held
reply then goes out once, in order, without a restart."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.appkeys import REDIS, TRANSCRIPT, WORKER
from bot.conv_keys import ConversationKeys, UserKey
from bot.intake.keys import IntakeKeys
from bot.intake.worker import Worker
from bot.settings import Settings
from bot.staff.accounts import Role
from bot.staff.context import ACCOUNTS, AUDIT
from bot.zalo.auth import AuthKeeper
from bot.zalo.oa_client import OA_TOKENS, TokenRefreshFailed
from tests.conftest import APP_SECRET, OA_SECRET, REAL_REDIS_URL

OA = Settings().zalo_oa_id
PASSWORD = "correct horse battery"
BANNER_LOST = "Bot đang không gửi được tin nhắn"
TEXTS = ["#hotro", "menu", "#hotro"]


async def staff(live, name: str, role: Role) -> aiohttp.ClientSession:
    await live.app[ACCOUNTS].add(name, PASSWORD, role)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(f"{live.base}/staff/login") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    async with session.post(f"{live.base}/staff/login", data={"csrf": token, "name": name, "password": PASSWORD,
                                                              "next": "/staff/conversations"}) as r:  # fmt: skip
        assert r.status == 200
    return session


async def page_text(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as r:
        assert r.status == 200, url
        return await r.text()


async def readiness(live, **query: str) -> tuple[int, dict]:
    async with live.http.get(f"{live.base}/readyz", params=query) as r:
        return r.status, await r.json()


def pair_key(backend) -> str:
    return ConversationKeys(backend.prefix).oa_token(OA)


async def dead_and_counted(live) -> tuple[int, int]:
    """Events in the dead-letter streams, and attempts counted against events, over every shard."""
    redis, keys = live.app[REDIS], live.app[WORKER].keys
    dead = sum([await redis.xlen(keys.dead(s)) for s in range(keys.shards)])
    counted = sum([await redis.hlen(keys.attempts(s)) for s in range(keys.shards)])
    return dead, counted


async def wait_for(predicate, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not await predicate():
        assert time.monotonic() < deadline, "condition never met"
        await asyncio.sleep(0.05)


async def reauthorize(live, console: aiohttp.ClientSession) -> str:
    """What a supervisor does: the console's button, Zalo's permission page, "Cho phép", and the
    browser's return to the callback (a cross-site navigation: no console cookie goes with it)."""
    token = re.search(r'name="csrf" value="([^"]+)"', await page_text(console, f"{live.base}/staff/oa")).group(1)
    async with console.post(f"{live.base}/staff/oa/authorize", data={"csrf": token}, allow_redirects=False) as r:
        assert r.status == 303
        permission = r.headers["Location"]
    query = parse_qs(urlsplit(permission).query)
    assert permission.startswith(f"{live.base}/v4/oa/permission?")
    assert len(query["code_challenge"][0]) == 43 and query["state"][0] and query["app_id"][0]
    async with live.http.get(permission) as r:
        form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', await r.text()))
    async with live.http.post(f"{live.base}/v4/oa/permission", data=form, allow_redirects=False) as r:
        assert r.status == 302
        back = r.headers["Location"]
    # The callback is PUBLIC_BASE_URL's; on this machine that is the live server.
    assert back.startswith("https://tracuu.example.vn/zalo/oauth/callback?")
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(back.replace("https://tracuu.example.vn", live.base)) as r,
    ):
        return f"{r.status} {await r.text()}"


async def test_tokens_deleted_mid_conversation_are_held_shown_and_sent_once_in_order_after_the_console(
    live, backend, caplog
):
    caplog.set_level(logging.INFO)
    ref_greeting = await live.act("ref", "follow")
    for text in TEXTS:  # what a citizen gets while all is well
        await live.say("ref", text)
    expected = (await live.oa_messages("ref"))[len(ref_greeting) :]
    assert len(expected) >= len(TEXTS)
    await live.act("held", "follow")
    await live.say("held", "#hotro")
    before = len(await live.oa_messages("held"))
    supervisor, viewer = await staff(live, "super1", Role.SUPERVISOR), await staff(live, "viewer1", Role.VIEWER)
    try:
        assert BANNER_LOST not in await page_text(supervisor, f"{live.base}/staff/conversations")
        await live.app[REDIS].delete(pair_key(backend))  # Redis lost the pair, mid-conversation

        for text in TEXTS:
            assert await live.say("held", text, wait="0.3") == []
        await live.say("held-too", "#hotro", wait="0.3")  # another citizen, also held
        await wait_for(lambda: _true(live.app[WORKER].held >= 2))

        status, body = await readiness(live)
        assert status == 200 and body["receive"] == "ready"  # the webhook keeps taking events
        assert body["send"].startswith("not ready") and body["zalo_authorization"]["state"] == "lost"
        assert (await readiness(live, send="1"))[0] == 503
        async with live.http.get(f"{live.base}/metrics") as r:
            assert 'tracuu_oa_authorization{state="lost"} 1.0' in await r.text()
        console_page = await page_text(supervisor, f"{live.base}/staff/conversations")
        assert BANNER_LOST in console_page and 'href="/staff/oa"' in console_page
        assert BANNER_LOST not in await page_text(viewer, f"{live.base}/staff/conversations")  # supervisors'
        oa_page = await page_text(supervisor, f"{live.base}/staff/oa")
        assert "Mất ủy quyền" in oa_page and "Invalid refresh token" in oa_page
        waiting = int(re.search(r"Sự kiện đang chờ xử lý</th><td>(\d+)", oa_page).group(1))
        assert waiting == len(TEXTS) + 1  # all of "held" and "held-too": accepted, kept
        assert await dead_and_counted(live) == (0, 0)
        assert len(await live.oa_messages("held")) == before

        # One error line for the loss, then at most one a minute whatever the traffic.
        keeper = AuthKeeper(live.app[OA_TOKENS], lambda: live.app[WORKER].held)
        await keeper.tick()
        await keeper.tick()
        lines = [r for r in caplog.records if r.levelno >= logging.ERROR and "authorization" in r.getMessage()]
        assert len(lines) == 1, [r.getMessage() for r in lines]
        assert not any("handling an event failed" in r.getMessage() for r in caplog.records)

        assert (await reauthorize(live, supervisor)).startswith("200")
        messages = await live.settle("held", before + len(expected))
        assert messages[before:] == expected  # every held reply once, in the citizen's order
        assert len(await live.settle("held-too", 1)) == 1
        status, body = await readiness(live, send="1")
        assert status == 200 and body["zalo_authorization"]["state"] == "ok"
        assert BANNER_LOST not in await page_text(supervisor, f"{live.base}/staff/conversations")
        assert await dead_and_counted(live) == (0, 0)
        audit = [(e["who"], e["action"]) for e in await live.app[AUDIT].recent()]
        assert ("super1", "oa authorize: started") in audit and ("super1", "oa authorize: done") in audit
        assert (await live.emulator_state())["authorizations"] == 1
    finally:
        await supervisor.close()
        await viewer.close()


async def _true(value: bool) -> bool:
    return value


async def test_an_expired_refresh_token_holds_replies_until_the_console_authorizes_again(live):
    await live.act("quiet", "follow")
    before = len(await live.oa_messages("quiet"))
    # Months of quiet: the access token is long dead and Zalo's 3 months of the refresh token are over.
    await live.control(expire_tokens=True, expire_refresh_token=True)
    assert await live.say("quiet", "#hotro", wait="0.5") == []
    status, body = await readiness(live)
    assert status == 200 and body["zalo_authorization"]["state"] == "lost"
    assert "Refresh token expired" in body["zalo_authorization"]["error"]
    supervisor = await staff(live, "super2", Role.SUPERVISOR)
    try:
        assert BANNER_LOST in await page_text(supervisor, f"{live.base}/staff/dashboard")
        assert (await reauthorize(live, supervisor)).startswith("200")
        messages = await live.settle("quiet", before + 1)
        assert len(messages) == before + 1 and "Hỗ trợ" in messages[-1]["text"]
        assert await dead_and_counted(live) == (0, 0)
    finally:
        await supervisor.close()


async def test_the_oauth_callback_refuses_a_used_or_unknown_state_and_another_oa(live):
    supervisor = await staff(live, "super3", Role.SUPERVISOR)
    try:
        token = re.search(r'name="csrf" value="([^"]+)"', await page_text(supervisor, f"{live.base}/staff/oa")).group(1)
        async with supervisor.post(f"{live.base}/staff/oa/authorize", data={"csrf": token},
                                   allow_redirects=False) as r:  # fmt: skip
            state = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
        async with live.http.get(f"{live.base}/zalo/oauth/callback",
                                 params={"code": "x", "oa_id": "999", "state": state}) as r:  # fmt: skip
            assert r.status == 400 and "Sai OA" in await r.text()
        async with live.http.get(f"{live.base}/zalo/oauth/callback",
                                 params={"code": "x", "oa_id": OA, "state": state}) as r:  # fmt: skip
            assert r.status == 400 and "đã được dùng" in await r.text()  # single use
        async with live.http.get(f"{live.base}/zalo/oauth/callback", params={"code": "x", "state": "made-up"}) as r:
            assert r.status == 400
        # A viewer cannot start the flow.
        viewer = await staff(live, "viewer3", Role.VIEWER)
        try:
            async with viewer.get(f"{live.base}/staff/oa") as r:
                assert r.status == 403
        finally:
            await viewer.close()
    finally:
        await supervisor.close()


async def test_the_emulated_exchange_refuses_a_wrong_verifier_and_a_reused_code(live):
    async def code_for(challenge: str) -> str:
        form = {"app_id": Settings().zalo_app_id, "redirect_uri": "https://x.example/cb", "code_challenge": challenge,
                "state": "s"}  # fmt: skip
        async with live.http.post(f"{live.base}/v4/oa/permission", data=form, allow_redirects=False) as r:
            return parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]

    from bot.zalo.auth import pkce_pair

    verifier, challenge = pkce_pair()

    async def exchange(code: str, verifier: str) -> dict:
        data = {"code": code, "app_id": Settings().zalo_app_id, "grant_type": "authorization_code",
                "code_verifier": verifier}  # fmt: skip
        async with live.http.post(
            f"{live.base}/v4/oa/access_token", data=data, headers={"secret_key": APP_SECRET}
        ) as r:
            return await r.json()

    async with live.http.get(f"{live.base}/v4/oa/permission", params={"app_id": "1", "code_challenge": challenge,
                             "redirect_uri": "https://x.example/cb"}) as r:  # fmt: skip
        assert r.status == 400 and "app_id sai" in await r.text()
    assert (await exchange(await code_for(challenge), verifier + "x"))["error"] == -14022
    code = await code_for(challenge)
    assert "access_token" in await exchange(code, verifier)
    assert (await exchange(code, verifier))["error"] == -14019


async def test_the_expiring_warning_shows_then_the_keeper_renews_well_before(live, backend):
    await live.act("k", "follow")
    await live.app[REDIS].hset(pair_key(backend), "refresh_expires_at", str(time.time() + 10.5 * 86400))
    supervisor = await staff(live, "super4", Role.SUPERVISOR)
    try:
        text = await page_text(supervisor, f"{live.base}/staff/conversations")
        assert "hết hạn sau 10 ngày" in text and BANNER_LOST not in text
        status, body = await readiness(live, send="1")
        assert status == 200 and body["zalo_authorization"]["state"] == "expiring"  # still sending
        refreshes = (await live.emulator_state())["refreshes"]
        await AuthKeeper(live.app[OA_TOKENS]).tick()
        assert (await live.emulator_state())["refreshes"] == refreshes + 1
        assert "hết hạn sau" not in await page_text(supervisor, f"{live.base}/staff/conversations")
        left = float(await live.app[REDIS].hget(pair_key(backend), "refresh_expires_at")) - time.time()
        assert left > 89 * 86400
    finally:
        await supervisor.close()


async def test_a_reply_held_past_zalos_window_is_skipped_with_a_record(live, backend, clock):
    await live.act("late", "follow")
    before = len(await live.oa_messages("late"))
    await live.app[REDIS].delete(pair_key(backend))
    await live.say("late", "#hotro", wait="0.3")
    await wait_for(lambda: _true(live.app[WORKER].held >= 1))
    clock.advance(days=8)  # the authorization comes back after Zalo's 7-day window closed
    supervisor = await staff(live, "super5", Role.SUPERVISOR)
    try:
        assert (await reauthorize(live, supervisor)).startswith("200")
    finally:
        await supervisor.close()
    await wait_for(lambda: _true(live.app[WORKER].held == 0))
    await asyncio.sleep(0.3)
    assert len(await live.oa_messages("late")) == before
    entries = await live.app[TRANSCRIPT].entries(UserKey(OA, "late"))
    assert "quá 7 ngày" in (entries[-1].get("error") or "")


# The command is another process: it needs the real Redis.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_set_refresh_token_from_a_script_recovers_without_a_restart(live, backend):
    await live.act("cli", "follow")
    before = len(await live.oa_messages("cli"))
    # The OA was authorized again elsewhere (a colleague's tool): our refresh token is void.
    from bot.zalo.auth import pkce_pair

    verifier, challenge = pkce_pair()
    form = {"app_id": Settings().zalo_app_id, "redirect_uri": "https://x.example/cb", "code_challenge": challenge}
    async with live.http.post(f"{live.base}/v4/oa/permission", data=form, allow_redirects=False) as r:
        code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
    async with live.http.post(f"{live.base}/v4/oa/access_token", headers={"secret_key": APP_SECRET},
                              data={"code": code, "app_id": form["app_id"], "grant_type": "authorization_code",
                                    "code_verifier": verifier}) as r:  # fmt: skip
        refresh_token = (await r.json())["refresh_token"]
    await live.control(expire_tokens=True)
    assert await live.say("cli", "#hotro", wait="0.5") == []
    assert (await readiness(live))[1]["zalo_authorization"]["state"] == "lost"

    env = {**os.environ, "REDIS_URL": REAL_REDIS_URL, "REDIS_KEY_PREFIX": backend.prefix,
           "ZALO_EMULATOR_URL": live.base, "ZALO_APP_SECRET": APP_SECRET, "ZALO_OA_SECRET_KEY": OA_SECRET}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "oa", "set-refresh-token", env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(f"{refresh_token}\n".encode()), 60)
    assert process.returncode == 0, err.decode()
    assert "authorized again" in out.decode() and refresh_token not in out.decode() + err.decode()
    messages = await live.settle("cli", before + 1)
    assert len(messages) == before + 1 and "Hỗ trợ" in messages[-1]["text"]
    assert (await readiness(live, send="1"))[0] == 200


async def test_a_mistyped_refresh_token_changes_nothing(live, backend):
    await live.act("typo", "follow")
    pair = await live.app[REDIS].hgetall(pair_key(backend))
    with pytest.raises(TokenRefreshFailed, match="-14014"):
        await live.app[OA_TOKENS].set_refresh_token("emu-rt-mistyped", who="cli:test")
    assert await live.app[REDIS].hgetall(pair_key(backend)) == pair  # the working pair is kept
    assert len(await live.say("typo", "#hotro")) == 1


class Hold(Exception):
    pass


async def test_a_reclaimed_event_held_for_authorization_is_not_counted_towards_dead_letters(redis_client, backend):
    """A held event a dead worker left pending is taken over without an attempt counted (with
    max_attempts=1, one count would have dead-lettered it), and handled once sending is allowed."""
    keys = IntakeKeys(backend.prefix, 1)
    stream = keys.stream(0)
    await redis_client.xgroup_create(stream, "workers", id="0", mkstream=True)
    await redis_client.xadd(stream, {"oa": OA, "user": "u", "key": "k1", "event": "{}"})
    await redis_client.xreadgroup("workers", "dead-worker", {stream: ">"})  # it died holding this
    allowed = {"now": False}
    handled: list[str] = []

    async def handle(event: dict, key: str) -> None:
        if not allowed["now"]:
            raise Hold()
        handled.append(key)

    async def may_send() -> bool:
        return allowed["now"]

    worker = Worker(redis_client, keys, handle, max_attempts=1, hold_on=(Hold,), may_send=may_send,
                    hold_poll_seconds=0.05)  # fmt: skip
    worker.readers[0] = asyncio.create_task(asyncio.sleep(3600))  # the shard is this worker's
    try:
        for _ in range(3):
            await worker._reclaim(0, min_idle_ms=0)
            await asyncio.sleep(0.1)
        assert await redis_client.hlen(keys.attempts(0)) == 0 and await redis_client.xlen(keys.dead(0)) == 0
        assert worker.held == 1 and handled == []
        allowed["now"] = True
        await asyncio.wait_for(asyncio.gather(*worker.chain_tasks), 5)
        assert handled == ["k1"] and await redis_client.xlen(stream) == 0
    finally:
        worker.readers[0].cancel()


async def test_an_officers_reply_while_authorization_is_lost_says_it_was_not_sent(live):
    # It was a 500 (push raised AuthorizationLost): the officer could not tell the reply was lost.
    await live.say("waiting", "gặp cán bộ")
    await live.control(expire_tokens=True, expire_refresh_token=True)
    officer = await staff(live, "officer9", Role.VIEWER)
    try:
        conversation = f"{OA}:waiting"
        page = await page_text(officer, f"{live.base}/staff/conversations/{conversation}")
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        async with officer.post(f"{live.base}/staff/conversations/{conversation}/reply",
                                data={"csrf": token, "text": "Chào anh, em kiểm tra giúp anh nhé"}) as r:  # fmt: skip
            assert r.status == 503
            assert "chưa được gửi" in await r.text()
    finally:
        await officer.close()
