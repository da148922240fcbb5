"""Conversation state per (OA, user): one storage contract, usable on the embedded store and on a
real Redis alike. Read and written only by the worker holding that user's lock, so plain GET/SET
are enough; the TTL forgets abandoned conversations."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.conv_keys import ConversationKeys, UserKey


class ConversationState:
    def __init__(self, redis: Redis, keys: ConversationKeys, ttl_seconds: int) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl = ttl_seconds

    async def load(self, user: UserKey) -> tuple[str | None, dict[str, Any]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.keys.state(user))
            pipe.get(self.keys.data(user))
            state, data = await pipe.execute()
        return state, (json.loads(data) if data else {})

    async def save(self, user: UserKey, state: str | None, data: dict[str, Any]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            self.queue_save(pipe, user, state, data)
            await pipe.execute()

    def queue_save(self, pipe: Pipeline, user: UserKey, state: str | None, data: dict[str, Any]) -> None:
        """The writes of `save`, queued on a transaction the caller executes (with a turn's outbox)."""
        if state is None:
            pipe.delete(self.keys.state(user))
        else:
            pipe.set(self.keys.state(user), state, ex=self.ttl)
        if data:
            pipe.set(self.keys.data(user), json.dumps(data, ensure_ascii=False), ex=self.ttl)
        else:
            pipe.delete(self.keys.data(user))

    async def clear(self, user: UserKey) -> None:
        await self.redis.delete(self.keys.state(user), self.keys.data(user))
