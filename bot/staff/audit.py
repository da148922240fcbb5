"""The audit log: who revealed or exported unmasked personal data, when, of which conversation and
why. A Redis stream, never trimmed by the retention of transcripts (an audit outlives what it audits)."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from bot.staff.keys import StaffKeys


class AuditLog:
    def __init__(self, redis: Redis, keys: StaffKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def write(self, who: str, action: str, conversation: str, why: str) -> None:
        entry = {"who": who, "action": action, "conversation": conversation, "why": why,
                 "at_ms": str(int(time.time() * 1000))}  # fmt: skip
        await self.redis.xadd(self.keys.audit(), entry)

    async def recent(self, count: int = 100) -> list[dict[str, Any]]:
        return [fields for _, fields in await self.redis.xrevrange(self.keys.audit(), count=count)]
