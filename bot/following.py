"""Who follows which dossier, when each citizen last wrote (Zalo's interaction window), and the
notices held while that window was closed."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey
from bot.transcript import conversation_id, user_of

WINDOW_SECONDS = 7 * 24 * 3600  # Zalo: customer-service messages only within 7 days of the user's last message
FREE_WINDOW_SECONDS = 48 * 3600  # ... and free of charge within 48 hours
HELD_TTL_SECONDS = 30 * 24 * 3600
FOLLOW_TTL_SECONDS = 365 * 24 * 3600
LOOKED_UP_TTL_SECONDS = 90 * 24 * 3600  # "Hồ sơ của tôi" forgets a citizen's lookups after a quiet season
LOOKED_UP_CAP = 20


class Following:
    def __init__(self, redis: Redis, keys: ConversationKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def follow(self, user: UserKey, code: str) -> None:
        # Two slots (the citizen's, the dossier's): two commands, each idempotent.
        await self.redis.sadd(self.keys.followers(code), conversation_id(user))
        await self.redis.expire(self.keys.followers(code), FOLLOW_TTL_SECONDS)
        await self.redis.sadd(self.keys.following(user), code)
        await self.redis.expire(self.keys.following(user), FOLLOW_TTL_SECONDS)

    async def unfollow(self, user: UserKey, code: str) -> bool:
        removed = await self.redis.srem(self.keys.followers(code), conversation_id(user))
        await self.redis.srem(self.keys.following(user), code)
        return bool(removed)

    async def looked_up(self, user: UserKey, code: str, at: float) -> None:
        """A dossier this citizen found (by code or QR): kept for "Hồ sơ của tôi", newest first, capped."""
        key = self.keys.looked_up(user)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {code: at})
            pipe.zremrangebyrank(key, 0, -LOOKED_UP_CAP - 1)
            pipe.expire(key, LOOKED_UP_TTL_SECONDS)
            await pipe.execute()

    async def my_dossiers(self, user: UserKey, limit: int = 10) -> list[tuple[str, bool]]:
        """(code, followed) for the dossiers this citizen looked up or follows, newest lookup first,
        followed ones never looked up (or forgotten) after them."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(self.keys.looked_up(user), 0, LOOKED_UP_CAP - 1)
            pipe.smembers(self.keys.following(user))
            recent, followed = await pipe.execute()
        codes = list(dict.fromkeys([*recent, *sorted(followed)]))
        return [(code, code in followed) for code in codes[:limit]]

    async def follows(self, user: UserKey, code: str) -> bool:
        return bool(await self.redis.sismember(self.keys.followers(code), conversation_id(user)))

    async def followers(self, code: str) -> list[UserKey]:
        return [user_of(member) for member in sorted(await self.redis.smembers(self.keys.followers(code)))]

    async def remember_payer(self, payment_id: str, user: UserKey) -> None:
        """Who opened a payment in the chat: the gateway's confirmation is told to them."""
        await self.redis.set(self.keys.payer(payment_id), conversation_id(user), ex=FOLLOW_TTL_SECONDS)

    async def payer_of(self, payment_id: str) -> UserKey | None:
        member = await self.redis.get(self.keys.payer(payment_id))
        return user_of(member) if member else None

    async def saw(self, user: UserKey, at: float) -> None:
        await self.redis.set(self.keys.last_seen(user), str(at), ex=WINDOW_SECONDS * 5)

    async def last_seen(self, user: UserKey) -> float | None:
        value = await self.redis.get(self.keys.last_seen(user))
        return float(value) if value else None

    async def hold(self, user: UserKey, key: str, notice: dict[str, Any]) -> None:
        item = json.dumps({"key": key, "notice": notice}, ensure_ascii=False)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self.keys.held_notices(user), item)
            pipe.expire(self.keys.held_notices(user), HELD_TTL_SECONDS)
            await pipe.execute()

    async def held(self, user: UserKey) -> list[dict[str, Any]]:
        return [json.loads(item) for item in await self.redis.lrange(self.keys.held_notices(user), 0, -1)]

    async def release(self, user: UserKey, item: dict[str, Any]) -> None:
        await self.redis.lrem(self.keys.held_notices(user), 1, json.dumps(item, ensure_ascii=False))
