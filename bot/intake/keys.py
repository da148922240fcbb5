"""Redis keys of the intake. Events are spread over a fixed number of shards by user; each shard's
stream, dedupe marks, lease and retry counts share the hash tag `{intake:<n>}`, so accepting an
event (dedupe mark + append) is one transaction in one Redis Cluster slot, and a citizen's events
always land in the same stream, in order."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from bot.conv_keys import UserKey

GROUP = "workers"


@dataclass(frozen=True)
class IntakeKeys:
    prefix: str = "tracuu"
    shards: int = 16

    def shard_of(self, user: UserKey) -> int:
        # crc32, not hash(): the same in every process and every run.
        return zlib.crc32(f"{user.oa_id}:{user.user_id}".encode()) % self.shards

    def _k(self, shard: int, name: str) -> str:
        return f"{self.prefix}:{{intake:{shard}}}:{name}"

    def stream(self, shard: int) -> str:
        return self._k(shard, "events")

    def seen(self, shard: int, dedupe_id: str) -> str:
        return self._k(shard, f"seen:{dedupe_id}")

    def lease(self, shard: int) -> str:
        """Which worker reads the shard now (SET NX PX, renewed while it lives)."""
        return self._k(shard, "lease")

    def attempts(self, shard: int) -> str:
        """Hash: entry id -> times it was claimed again after a worker failed to finish it."""
        return self._k(shard, "attempts")

    def dead(self, shard: int) -> str:
        """Events that failed too often, kept for an operator instead of blocking the citizen."""
        return self._k(shard, "dead")

    def workers(self) -> str:
        """Sorted set of live workers by last heartbeat: how many share the shards."""
        return f"{self.prefix}:{{workers}}:alive"
