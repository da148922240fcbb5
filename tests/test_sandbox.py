"""Replay from the console touches no real data (issue 15, item 8): a recorded security code, kept
only as dots, is replayed as dots and marked not replayable, and no real dossier's counters move;
sandbox users are never followers, never waiting for a person, never in the conversation list or
the dashboard, and everything of theirs expires."""

from datetime import datetime

from bot.appkeys import DOSSIERS, HANDOFFS, HTTP, REDIS, SANDBOX, SETTINGS, TRANSCRIPT
from bot.conv_keys import ConversationKeys, UserKey
from bot.following import Following
from bot.replay.runner import Target, replay
from bot.replay.sandbox import SANDBOX_PREFIX, SANDBOX_TTL_SECONDS
from bot.replay.transcript_file import export_lines, parse_turns
from bot.transcript import conversation_id
from lookup.calendar import VN_TZ
from lookup.demo import load_fixed_demo
from lookup.keys import Keys

FEES_DUE = "000.25.23.H34-261102-0001"  # demo dossier waiting for fees, security code KTDEMA23


async def replay_from_console(live, conversation: str):
    """What "Chạy lại với bot hiện tại" does (bot.staff.views.replay_conversation)."""
    settings = live.app[SETTINGS]
    user = UserKey(settings.zalo_oa_id, conversation.partition(":")[2])
    turns = parse_turns(export_lines(conversation, await live.app[TRANSCRIPT].entries(user)))

    async def read(user_id: str) -> list[dict]:
        return await live.app[SANDBOX].read(UserKey(settings.zalo_oa_id, user_id))

    target = Target(settings.loopback_url, settings.zalo_app_id, settings.zalo_oa_id,
                    settings.zalo_oa_secret_key.get_secret_value(), "", live.app[HTTP], read_captured=read)  # fmt: skip
    diffs, _ = await replay(turns, target)
    return turns, diffs


async def test_a_console_replay_changes_no_real_data_and_leaves_no_sandbox_user_behind(live):
    await load_fixed_demo(live.app[DOSSIERS])
    settings, redis = live.app[SETTINGS], live.app[REDIS]
    citizen = "citizen-real"
    await live.act(citizen, "follow")
    await live.say(citizen, f"#thanhtoan {FEES_DUE}")
    assert "chưa đúng" in (await live.say(citizen, "ABCD2345"))[0]["text"]  # kept as dots in the transcript
    await live.say(citizen, f"#theodoi {FEES_DUE}")
    await live.say(citizen, "gặp cán bộ")
    conversation = conversation_id(UserKey(settings.zalo_oa_id, citizen))
    keys, conv_keys = Keys(settings.redis_key_prefix), ConversationKeys(settings.redis_key_prefix)
    failures_key = keys.security_failures(FEES_DUE)
    before = await redis.get(failures_key)
    today = datetime.now(VN_TZ).date().isoformat()  # the transcript's counters follow the wall clock
    stats_before = await redis.hgetall(conv_keys.day_stats(today))

    for _ in range(6):  # more than the five wrong codes that used to lock the dossier
        turns, diffs = await replay_from_console(live, conversation)
    secret_turn = next(i for i, t in enumerate(turns) if "•" in (t.inbound.get("text") or ""))
    assert turns[secret_turn].masked and diffs[secret_turn].status == "not_replayable"
    assert turns[secret_turn].inbound["text"] == "••••••••"  # replayed as masked, never a made-up secret
    assert all(d.status != "not_replayable" for i, d in enumerate(diffs) if i != secret_turn)

    # The real dossier: its counters did not move, and its owner's right code works.
    assert await redis.get(failures_key) == before
    dossier = await live.app[DOSSIERS].get(FEES_DUE)
    await live.app[DOSSIERS].check_security_code(dossier, dossier.security_code, client="ip:198.51.100.1")
    # Followers, handoffs, the conversation list and the dashboard know only the real citizen.
    followers = await Following(redis, conv_keys).followers(FEES_DUE)
    assert [u.user_id for u in followers] == [citizen]
    assert [u.user_id for u, _ in await live.app[HANDOFFS].waiting()] == [citizen]
    listed = await redis.zrange(conv_keys.conversations(), 0, -1)
    assert listed and not any(SANDBOX_PREFIX in member for member in listed)
    assert stats_before and await redis.hgetall(conv_keys.day_stats(today)) == stats_before
    # What the sandbox users left expires soon.
    sandbox_keys = [k async for k in redis.scan_iter(match=f"{settings.redis_key_prefix}:*{SANDBOX_PREFIX}*")]
    assert sandbox_keys
    for key in sandbox_keys:
        ttl = await redis.ttl(key)
        assert ttl > 0, key  # everything expires; what the sandbox user holds, within the hour
        if "{zalo:" in key and ":outbox:" not in key and ":throttle:" not in key:
            assert ttl <= SANDBOX_TTL_SECONDS, (key, ttl)
    sandbox_shared = [k async for k in redis.scan_iter(match=f"{settings.redis_key_prefix}:*sandbox-*")]
    assert {k.rsplit(":", 1)[1] for k in sandbox_shared} == {"sandbox-followers", "sandbox-waiting"}
    for key in sandbox_shared:
        assert 0 < await redis.ttl(key) <= SANDBOX_TTL_SECONDS, key
