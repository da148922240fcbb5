"""Redis key layout. Every key of one dossier shares the hash tag `{<dossier code>}` so that a
dossier's document, payments and counters live in one Redis Cluster slot and can be updated in
one transaction; keys that span dossiers carry their own tag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Keys:
    prefix: str = "tracuu"

    def dossier(self, code: str) -> str:
        return f"{self.prefix}:{{{code}}}:dossier"

    def security_failures(self, code: str, client: str | None = None, scope: str = "") -> str:
        """Wrong security codes for a dossier from every client, or from one (`client`). A replay's
        sandbox counts in its own `scope`, never on the real counters."""
        base = f"{self.prefix}:{{{code}}}:{scope}{':' if scope else ''}security-failures"
        return f"{base}:{client}" if client else base

    def client_security_failures(self, client: str, scope: str = "") -> str:
        """Wrong security codes from one client, whichever dossiers they named."""
        return f"{self.prefix}:{{sec-client:{client}}}:{scope}{':' if scope else ''}security-failures"

    def daily_sequence(self, agency_id: str, day: date) -> str:
        return f"{self.prefix}:{{seq:{agency_id}:{day:%y%m%d}}}:sequence"

    def payment_index(self, payment_id: str) -> str:
        """payment id -> dossier code, so a gateway callback finds its dossier."""
        return f"{self.prefix}:{{pay:{payment_id}}}:dossier-code"
