"""Every inbound event and outbound message, appended to the conversation's transcript (a Redis
stream: ordered, timestamped), with phone and ID numbers masked at rest."""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys, UserKey
from lookup.masking import redact

MAX_ENTRIES = 2000


class Transcript:
    def __init__(self, redis: Redis, keys: ConversationKeys, retention_seconds: int) -> None:
        self.redis = redis
        self.keys = keys
        self.retention = retention_seconds

    async def record(self, user: UserKey, direction: str, kind: str, *, text: str | None = None,
                     handler: str | None = None, body: dict[str, Any] | None = None,
                     error: str | None = None) -> None:  # fmt: skip
        entry = {"direction": direction, "kind": kind, "at_ms": str(int(time.time() * 1000))}
        if text:
            entry["text"] = redact(text)
        if handler:
            entry["handler"] = handler
        if body is not None:
            entry["body"] = redact(json.dumps(body, ensure_ascii=False))
        if error:
            entry["error"] = error
        key = self.keys.transcript(user)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, entry, maxlen=MAX_ENTRIES, approximate=True)
            pipe.expire(key, self.retention)
            pipe.zadd(self.keys.conversations(), {f"{user.oa_id}:{user.user_id}": time.time()})
            await pipe.execute()

    async def entries(self, user: UserKey) -> list[dict[str, Any]]:
        rows = await self.redis.xrange(self.keys.transcript(user))
        out = []
        for entry_id, fields in rows:
            item: dict[str, Any] = {"id": entry_id, **fields}
            if "body" in item:
                item["body"] = json.loads(item["body"])
            out.append(item)
        return out
