"""Redis keys of the staff console. They share the hash tag `{staff}`: accounts, sessions, login
failures and the audit log are few and small, and one slot lets a login be one transaction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffKeys:
    prefix: str = "tracuu"

    def _k(self, name: str) -> str:
        return f"{self.prefix}:{{staff}}:{name}"

    def account(self, name: str) -> str:
        return self._k(f"account:{name}")

    def session(self, session_id: str) -> str:
        return self._k(f"session:{session_id}")

    def login_failures(self, name: str, client: str | None = None) -> str:
        """Failed logins of an account from everyone, or from one client."""
        return self._k(f"login-failures:{name}" + (f":{client}" if client else ""))

    def client_login_failures(self, client: str) -> str:
        """Failed logins from one client, whichever names it tried."""
        return self._k(f"login-failures-from:{client}")

    def cookie_secret(self) -> str:
        return self._k("cookie-secret")

    def audit(self) -> str:
        return self._k("audit")
