"""Sealing the unmasked text of transcript entries (AES-GCM). Transcripts are masked at rest; when a
message held a phone or ID number, the original is kept sealed beside it so that a supervisor can
reveal it (audited). Without a key (TRANSCRIPT_KEY unset) nothing is sealed: masked is all there is."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("TRANSCRIPT_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)")
        self._aead = AESGCM(key)

    @classmethod
    def from_setting(cls, value: str | None) -> Sealer | None:
        return cls(base64.b64decode(value)) if value else None

    def seal(self, text: str, context: str) -> str:
        """`context` (the conversation) is bound in: a sealed text copied to another conversation
        does not open there."""
        nonce = os.urandom(_NONCE_BYTES)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, text.encode(), context.encode())).decode()

    def open(self, sealed: str, context: str) -> str | None:
        raw = base64.b64decode(sealed)
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, ValueError):
            return None
