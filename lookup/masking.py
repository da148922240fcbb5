"""Masking of citizens' personal data for viewers who are not entitled to it, and for logs."""

from __future__ import annotations

import re

_PHONE_RE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_RE = re.compile(r"(?<!\d)\d{9}(?:\d{3})?(?!\d)")  # old 9-digit CMND, 12-digit CCCD


def mask_name(full_name: str) -> str:
    """`Nguyễn Văn An` -> `Nguyễn V*** A*`: the family name stays (it identifies no one), the
    other words keep only their initial, and the stars do not reveal the words' lengths."""
    words = full_name.split()
    if len(words) <= 1:
        return f"{words[0][0]}***" if words else ""
    middle = [f"{w[0]}***" for w in words[1:-1]]
    return " ".join([words[0], *middle, f"{words[-1][0]}*"])


def mask_digits(value: str, keep_start: int = 2, keep_end: int = 2) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) <= keep_start + keep_end:
        return "*" * len(digits)
    return digits[:keep_start] + "*" * (len(digits) - keep_start - keep_end) + digits[-keep_end:]


def mask_phone(phone: str) -> str:
    """`0912345678` -> `09******78`."""
    return mask_digits(phone, 2, 2)


def mask_id_number(id_number: str) -> str:
    """`001099012345` -> `001*******45`: keeps the province-of-birth prefix only."""
    return mask_digits(id_number, 3, 2)


def redact(text: str) -> str:
    """Mask every phone and ID number inside free text (for logs and transcripts)."""
    text = _PHONE_RE.sub(lambda m: mask_phone(m.group()), text)
    return _ID_RE.sub(lambda m: mask_id_number(m.group()), text)


def mask_secret(text: str) -> str:
    """A secret the citizen typed (a receipt's security code): its length shows, nothing else."""
    return "•" * min(len(text.strip()), 12)
