"""Handing a conversation to a person: while a handoff is open the bot stays quiet for that citizen,
the console lists the conversation as waiting, staff answer through the OA API and hand it back."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey
from bot.transcript import conversation_id, user_of

HANDOFF_TTL_SECONDS = 7 * 24 * 3600  # nobody answered for a week: the bot speaks again


class Handoffs:
    def __init__(self, redis: Redis, keys: ConversationKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def start(self, user: UserKey, reason: str, at: float) -> bool:
        """Open a handoff; False when one was already open (the citizen asked again)."""
        key = self.keys.handoff(user)
        created = await self.redis.hsetnx(key, "since", str(at))
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={"reason": reason, "last_at": str(at)})
            pipe.expire(key, HANDOFF_TTL_SECONDS)
            pipe.zadd(self.keys.handoffs_waiting(), {conversation_id(user): at}, nx=True)
            await pipe.execute()
        return bool(created)

    async def active(self, user: UserKey) -> bool:
        return bool(await self.redis.exists(self.keys.handoff(user)))

    async def touch(self, user: UserKey, at: float) -> None:
        await self.redis.hset(self.keys.handoff(user), "last_at", str(at))

    async def end(self, user: UserKey) -> bool:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.keys.handoff(user))
            pipe.zrem(self.keys.handoffs_waiting(), conversation_id(user))
            removed, _ = await pipe.execute()
        return bool(removed)

    async def waiting(self) -> list[tuple[UserKey, dict[str, str]]]:
        """Open handoffs, oldest first; entries whose handoff expired are dropped on the way."""
        out = []
        for member in await self.redis.zrange(self.keys.handoffs_waiting(), 0, -1):
            user = user_of(member)
            info = await self.redis.hgetall(self.keys.handoff(user))
            if info:
                out.append((user, info))
            else:
                await self.redis.zrem(self.keys.handoffs_waiting(), member)
        return out
