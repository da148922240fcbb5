"""Zalo webhook signature: `X-ZEvent-Signature: mac=<hex>` where the mac is plain SHA-256 (not HMAC)
of `app_id + raw_body + timestamp + OA secret key`; timestamp is the body's own `timestamp` string.
The raw bytes received are hashed: re-serialising the JSON would change them."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-ZEvent-Signature"


def webhook_mac(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def verify_webhook(header_value: str | None, app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> bool:
    if not header_value:
        return False
    given = header_value.strip()
    given = given.removeprefix("mac=")
    expected = webhook_mac(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(given.lower().encode(), expected.encode())
