"""What keeps a replay's sandbox user apart from real data: the keys shared with real citizens
(a dossier's followers, a payment's payer, the staff's waiting list) point to sandbox-only keys, so
the console never lists a sandbox user as a follower or as waiting for a person and no notice is
ever meant for one; everything of a sandbox user expires within SANDBOX_TTL_SECONDS. Security-code
checks count in the sandbox's own scope (`DossierService.for_client`), never on a real dossier's
counters; the transcript keeps sandbox conversations out of the console's lists and dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey
from bot.following import Following
from bot.handoff import Handoffs
from bot.replay.sandbox import SANDBOX_TTL_SECONDS

# A sandbox user's own keys (one slot): their expiry is brought down to the sandbox's after each turn.
_USER_KEYS = ("state", "data", "transcript", "summary", "following", "looked_up", "last_seen", "held_notices",
              "handoff", "last_sent", "sandbox")  # fmt: skip


@dataclass(frozen=True)
class SandboxKeys(ConversationKeys):
    def followers(self, code: str) -> str:
        return f"{self.prefix}:{{{code}}}:sandbox-followers"

    def payer(self, payment_id: str) -> str:
        return f"{self.prefix}:{{pay:{payment_id}}}:sandbox-payer"

    def handoffs_waiting(self) -> str:
        return f"{self.prefix}:{{handoff}}:sandbox-waiting"


class SandboxFollowing(Following):
    async def follow(self, user: UserKey, code: str) -> None:
        await super().follow(user, code)
        await self.redis.expire(self.keys.followers(code), SANDBOX_TTL_SECONDS)

    async def remember_payer(self, payment_id: str, user: UserKey) -> None:
        await super().remember_payer(payment_id, user)
        await self.redis.expire(self.keys.payer(payment_id), SANDBOX_TTL_SECONDS)


class SandboxHandoffs(Handoffs):
    async def start(self, user: UserKey, reason: str, at: float) -> bool:
        created = await super().start(user, reason, at)
        await self.redis.expire(self.keys.handoffs_waiting(), SANDBOX_TTL_SECONDS)
        return created


def sandbox_services(redis: Redis, prefix: str) -> tuple[SandboxFollowing, SandboxHandoffs]:
    keys = SandboxKeys(prefix)
    return SandboxFollowing(redis, keys), SandboxHandoffs(redis, keys)


async def expire_user(redis: Redis, keys: ConversationKeys, user: UserKey) -> None:
    """Bring every key of a sandbox user down to the sandbox's lifetime (those that exist)."""
    names = [getattr(keys, name)(user) for name in _USER_KEYS if hasattr(keys, name)]
    names += [keys.facets(user, facet) for facet in ("flows", "outcomes", "codes")]
    async with redis.pipeline(transaction=False) as pipe:
        for key in names:
            pipe.expire(key, SANDBOX_TTL_SECONDS)
        await pipe.execute()
