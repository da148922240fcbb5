"""Sandbox users: a replay speaks as `replay-...`, a user id Zalo never issues (Zalo's are digits).
The conversation runs exactly as for a citizen, through the webhook, the intake stream, a worker and
the lock, but its replies are captured in Redis instead of being sent, so no real citizen receives
anything; a mark after each turn tells the replay that the turn is complete. Nothing it does touches
real data or shows in the console (`bot.replay.isolation`), and all of it expires."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey

SANDBOX_PREFIX = "replay-"
SANDBOX_TTL_SECONDS = 3600


def is_sandbox(user: UserKey) -> bool:
    return user.user_id.startswith(SANDBOX_PREFIX)


class Sandbox:
    def __init__(self, redis: Redis, keys: ConversationKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def capture(self, user: UserKey, message: dict[str, Any]) -> None:
        await self._push(user, {"message": message})

    async def turn_done(self, user: UserKey, msg_id: str) -> None:
        from bot.replay.isolation import expire_user

        await self._push(user, {"done": msg_id})
        await expire_user(self.redis, self.keys, user)

    def isolate(self, deps: Any) -> Any:
        """The handlers' dependencies for sandbox users: followers, payers and handoffs kept apart."""
        from dataclasses import replace

        from bot.replay.isolation import sandbox_services

        following, handoffs = sandbox_services(self.redis, self.keys.prefix)
        return replace(deps, following=following, handoffs=handoffs)

    async def read(self, user: UserKey) -> list[dict[str, Any]]:
        return [json.loads(item) for item in await self.redis.lrange(self.keys.sandbox(user), 0, -1)]

    async def _push(self, user: UserKey, item: dict[str, Any]) -> None:
        key = self.keys.sandbox(user)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(item, ensure_ascii=False))
            pipe.expire(key, SANDBOX_TTL_SECONDS)
            await pipe.execute()
