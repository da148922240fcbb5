"""Server-side scripts: a check-then-write that was a WATCH/MULTI retry loop becomes one EVALSHA,
one round trip that runs atomically and behaves the same on the embedded store (fakeredis runs Lua
through `lupa`), one Redis and a Redis Cluster (every key a script names shares one hash tag, so one
slot and one node). A script is sent by its SHA1; the first call on a node that does not know it yet
(a fresh server, a replica just promoted) falls back to EVAL, which also caches it there."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.exceptions import NoScriptError


class Lua:
    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, redis: Any, keys: Sequence[str], args: Sequence[Any] = ()) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)


# A key held by one owner (a shard lease, a citizen's lock): only the holder's token may prolong it
# or let it go. KEYS[1] the key; ARGV[1] the holder's token; ARGV[2] the new TTL in ms.
PEXPIRE_IF_HOLDER = Lua("""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
""")
DELETE_IF_HOLDER = Lua("""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
""")
