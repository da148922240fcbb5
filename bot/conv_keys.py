"""Redis keys of one conversation. All share the hash tag `{zalo:<oa>:<user>}`: a user's state,
lock, turn outboxes and transcript sit in one Redis Cluster slot, so a turn's state and its replies
are stored in one transaction. (The intake's keys are in `bot.intake.keys`.)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserKey:
    oa_id: str
    user_id: str

    @property
    def tag(self) -> str:
        return f"{{zalo:{self.oa_id}:{self.user_id}}}"


@dataclass(frozen=True)
class ConversationKeys:
    prefix: str = "tracuu"

    def _k(self, user: UserKey, name: str) -> str:
        return f"{self.prefix}:{user.tag}:{name}"

    def state(self, user: UserKey) -> str:
        return self._k(user, "state")

    def data(self, user: UserKey) -> str:
        return self._k(user, "data")

    def lock(self, user: UserKey) -> str:
        return self._k(user, "lock")

    def outbox(self, user: UserKey, event_key: str) -> str:
        """Hash: the replies one event produced and which of them went out (see `bot.outbox`)."""
        return self._k(user, f"outbox:{event_key}")

    def transcript(self, user: UserKey) -> str:
        return self._k(user, "transcript")

    def sandbox(self, user: UserKey) -> str:
        """List of what the bot said to a replay's sandbox user, with a mark where each turn ended."""
        return self._k(user, "sandbox")

    def summary(self, user: UserKey) -> str:
        """Hash: first/last activity, turns, not-understood and error counts (for the console)."""
        return self._k(user, "summary")

    def facets(self, user: UserKey, name: str) -> str:
        """Set of what the conversation reached: `flows`, `outcomes`, `codes` (dossiers mentioned)."""
        return self._k(user, f"facet:{name}")

    def day_stats(self, day: str) -> str:
        """Hash of one day's counters (messages, not understood, lookups by code and by QR)."""
        return f"{self.prefix}:{{stats}}:day:{day}"

    def day_users(self, day: str) -> str:
        """HyperLogLog of the conversations active that day."""
        return f"{self.prefix}:{{stats}}:users:{day}"

    def day_procedures(self, day: str) -> str:
        """Sorted set: procedures shown that day (cards opened, first search results), by count."""
        return f"{self.prefix}:{{stats}}:procedures:{day}"

    def throttle(self, user: UserKey, name: str, window: int) -> str:
        return self._k(user, f"throttle:{name}:{window}")

    def conversations(self) -> str:
        """Sorted set of every conversation by last activity (for the staff console)."""
        return f"{self.prefix}:{{conversations}}:by-activity"

    def last_sent(self, user: UserKey) -> str:
        """Zalo's id of the OA's latest message to the citizen (see `bot.outbox`)."""
        return self._k(user, "last_sent")

    def following(self, user: UserKey) -> str:
        """Set of dossier codes the citizen follows."""
        return self._k(user, "following")

    def looked_up(self, user: UserKey) -> str:
        """Sorted set: dossier codes the citizen found by lookup, scored by when ("Hồ sơ của tôi")."""
        return self._k(user, "looked_up")

    def followers(self, code: str) -> str:
        """Set of conversations following a dossier; in the dossier's slot, beside its document."""
        return f"{self.prefix}:{{{code}}}:followers"

    def payer(self, payment_id: str) -> str:
        """The conversation that opened a payment, in the payment's slot."""
        return f"{self.prefix}:{{pay:{payment_id}}}:payer"

    def last_seen(self, user: UserKey) -> str:
        """When the citizen last wrote (epoch seconds): Zalo's interaction window starts there."""
        return self._k(user, "last_seen")

    def held_notices(self, user: UserKey) -> str:
        """List of notices kept while the window was closed, sent when the citizen next writes."""
        return self._k(user, "held_notices")

    def announcements_pending(self) -> str:
        """Sorted set: dossiers whose change may not have been announced yet (see `bot.notify`)."""
        return f"{self.prefix}:{{notify}}:pending"

    def handoff(self, user: UserKey) -> str:
        """Hash while a person, not the bot, answers this citizen (since, reason)."""
        return self._k(user, "handoff")

    def handoffs_waiting(self) -> str:
        """Sorted set of conversations handed to staff, by when they asked."""
        return f"{self.prefix}:{{handoff}}:waiting"

    def oa_token(self, oa_id: str) -> str:
        return f"{self.prefix}:{{zalo-token:{oa_id}}}:pair"

    def oa_rate(self, oa_id: str) -> str:
        """Prefix of the shared outbound budget: `<prefix>:<second>` counters and `<prefix>:pause`."""
        return f"{self.prefix}:{{zalo-rate:{oa_id}}}"

    def oa_token_lock(self, oa_id: str) -> str:
        return f"{self.prefix}:{{zalo-token:{oa_id}}}:refresh-lock"
