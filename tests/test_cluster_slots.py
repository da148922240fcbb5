"""Every multi-key operation stays in one Redis Cluster slot by construction: the keys one
transaction or script names share a hash tag. Checked per key family with the cluster's own slot
function (CRC16 of the tag, as every node computes it), and that the families do spread over the
cluster (different citizens, shards and dossiers in different slots), or a cluster would not help."""

from datetime import date

from redis.crc import key_slot

from bot.conv_keys import ConversationKeys, UserKey
from bot.intake.keys import IntakeKeys
from bot.staff.keys import StaffKeys
from lookup.keys import Keys

PREFIX = "tracuu"
CODE = "000.25.23.H34-261102-0001"


def slots(*keys: str) -> set[int]:
    return {key_slot(key.encode()) for key in keys}


def test_an_events_accept_and_acknowledgement_touch_one_slot():
    keys = IntakeKeys(PREFIX, 16)
    for shard in range(16):
        # accept: mark + append; ack and dead letter: stream, attempts, dead; lease beside them.
        family = [keys.stream(shard), keys.seen(shard, "msg-1"), keys.seen(shard, "msg-2"), keys.lease(shard),
                  keys.attempts(shard), keys.dead(shard)]  # fmt: skip
        assert len(slots(*family)) == 1, shard


def test_a_turns_outbox_state_lock_and_marks_touch_one_slot():
    keys = ConversationKeys(PREFIX)
    user = UserKey("3886132808798806450", "9000001")
    family = [keys.outbox(user, "evt-1"), keys.outbox(user, "evt-2"), keys.state(user), keys.data(user),
              keys.lock(user), keys.last_sent(user), keys.transcript(user), keys.summary(user),
              keys.facets(user, "flows"), keys.throttle(user, "messages", 60), keys.following(user),
              keys.looked_up(user), keys.last_seen(user), keys.held_notices(user), keys.handoff(user),
              keys.sandbox(user)]  # fmt: skip
    assert len(slots(*family)) == 1


def test_a_dossier_its_counters_followers_and_payments_touch_one_slot_each():
    keys, conv = Keys(PREFIX), ConversationKeys(PREFIX)
    dossier = [keys.dossier(CODE), keys.security_failures(CODE), keys.security_failures(CODE, "10.0.0.1"),
               keys.security_failures(CODE, "10.0.0.1", scope="replay:"), conv.followers(CODE)]  # fmt: skip
    assert len(slots(*dossier)) == 1
    assert len(slots(keys.payment_index("pay-1"), conv.payer("pay-1"))) == 1
    assert len(slots(keys.daily_sequence("000.25.23.H34", date(2026, 11, 2)))) == 1


def test_the_oa_token_and_the_outbound_budget_keep_their_own_slots():
    conv = ConversationKeys(PREFIX)
    oa = "3886132808798806450"
    assert len(slots(conv.oa_token(oa), conv.oa_token_lock(oa), f"{PREFIX}:{{zalo-token:{oa}}}:auth")) == 1
    budget = conv.oa_rate(oa)
    assert len(slots(f"{budget}:1700000000", f"{budget}:1700000001", f"{budget}:pause")) == 1


def test_staff_keys_share_one_slot():
    keys = StaffKeys(PREFIX)
    family = [keys.account("lan"), keys.session("s1"), keys.login_failures("lan"), keys.login_failures("lan", "c"),
              keys.client_login_failures("c"), keys.cookie_secret(), keys.audit()]  # fmt: skip
    assert len(slots(*family)) == 1


def test_shards_citizens_and_dossiers_spread_over_the_cluster():
    # A 3-primary cluster splits 16384 slots into thirds: the 16 shards must not all sit in one.
    thirds = {key_slot(IntakeKeys(PREFIX, 16).stream(s).encode()) * 3 // 16384 for s in range(16)}
    assert thirds == {0, 1, 2}
    conv = ConversationKeys(PREFIX)
    users = {key_slot(conv.state(UserKey("oa", f"9{i:08d}")).encode()) for i in range(100)}
    assert len(users) > 90
