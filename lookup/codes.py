"""Dossier (hồ sơ) codes: `<agency id>-<yyMMdd>-<4-digit daily sequence>`.

The agency identifier follows the national notation `ddd.dd.dd.Hxx` (Hxx is the province, H34
Kon Tum, H48 Quảng Ngãi), e.g. `000.09.23.H34-241015-0012`. Citizens retype these from paper,
so matching is tolerant: any case, spaces, and dots or dashes misplaced or missing.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import unquote_plus

# Digits grouped as on the receipt, with any run of separators (or none) between the groups.
# The lookarounds stop a longer run of digits (a phone number, say) from being read as a code.
_SEP = r"[\s.\-_/]*"
_CODE_RE = re.compile(
    rf"(?<![0-9A-Za-z])(\d{{3}}){_SEP}(\d{{2}}){_SEP}(\d{{2}}){_SEP}[Hh]{_SEP}(\d{{2}})"
    rf"{_SEP}(\d{{6}}){_SEP}(\d{{4}})(?!\d)"
)
AGENCY_ID_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}$")
CANONICAL_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}$")
# The shape only, for messages to developers (an exception's text). Citizens are shown
# `example_code(...)` of their province, or a demo dossier's code in demo mode: this one does not exist.
EXAMPLE_CODE = "000.09.23.H34-241015-0012"
_EXAMPLE_DAY = date(2025, 10, 15)


class InvalidDossierCode(ValueError):
    """The text holds nothing shaped like a dossier code."""


def format_code(agency_id: str, day: date, sequence: int) -> str:
    if not AGENCY_ID_RE.match(agency_id):
        raise ValueError(f"agency id {agency_id!r} is not in the form ddd.dd.dd.Hxx")
    if not 1 <= sequence <= 9999:
        raise ValueError(f"daily sequence {sequence} is outside 1..9999")
    return f"{agency_id}-{day:%y%m%d}-{sequence:04d}"


def example_code(agency_id: str) -> str:
    """A code in the province's own notation (its agency, a date, a sequence) for prompts that
    show citizens the shape of what to type, where no real dossier is known to name."""
    return format_code(agency_id, _EXAMPLE_DAY, 12)


def _canonical(match: re.Match[str]) -> str:
    a, b, c, province, day, seq = match.groups()
    return f"{a}.{b}.{c}.H{province}-{day}-{seq}"


def find_codes(text: str) -> list[str]:
    """Every dossier code in free text, canonicalised, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in _CODE_RE.finditer(text):
        seen.setdefault(_canonical(match), None)
    return list(seen)


def normalize_code(text: str) -> str:
    """The canonical form of the one dossier code in `text`; raises InvalidDossierCode."""
    codes = find_codes(text)
    if not codes:
        raise InvalidDossierCode(f"no dossier code in {text[:60]!r}; expected e.g. {EXAMPLE_CODE}")
    return codes[0]


def agency_of(code: str) -> str:
    return code.split("-", 1)[0]


def extract_dossier_code(text: str) -> str | None:
    """The dossier code in any text a receipt QR or a citizen may hold: a bare code, a lookup URL
    (`?code=`, `MHS=`, percent-encoded or not), or a JSON/text block with the code inside."""
    for candidate in (text, unquote_plus(text)):
        codes = find_codes(candidate)
        if codes:
            return codes[0]
    return None
