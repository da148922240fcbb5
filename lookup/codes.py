"""Dossier (hồ sơ) codes: `<agency id>-<yyMMdd>-<4-digit daily sequence>`.

The agency identifier follows the national notation `ddd.dd.dd.Hxx` (Hxx is the province, H34
Kon Tum, H48 Quảng Ngãi), e.g. `000.09.23.H34-241015-0012`. Citizens retype these from paper,
so matching is tolerant: any case, spaces, and dots or dashes misplaced or missing.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import unquote_plus

# Digits grouped as on the receipt, with any run of separators (or none) between the groups, and
# between the digits of a group too: "000310 1h34 261110 0001" is 000.31.01.H34-261110-0001 with its
# spaces typed in the wrong places. The lookarounds stop a longer run of digits (a phone number,
# say) from being read as a code.
_SEP = r"[\s.\-_/]*"


def _digits(n: int) -> str:
    return "(" + _SEP.join([r"\d"] * n) + ")"


_CODE_RE = re.compile(
    rf"(?<![0-9A-Za-z]){_digits(3)}{_SEP}{_digits(2)}{_SEP}{_digits(2)}{_SEP}[Hh]{_SEP}{_digits(2)}"
    rf"{_SEP}{_digits(6)}{_SEP}{_digits(4)}(?!\d)"
)
_AGENCY_TYPED = re.compile(rf"(?<![0-9A-Za-z]){_digits(3)}{_SEP}{_digits(2)}{_SEP}{_digits(2)}{_SEP}[Hh]{_SEP}\d\d")
# A receipt's date and sequence without the agency before them ("hồ sơ 261020-0001"): a plausible
# yyMMdd, a separator, four digits.
DATE_AND_SEQUENCE = re.compile(r"(?<![\d.])\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[.\-]\d{4}(?!\d)")
# An agency typed short ("000.25.23.H3-…"): digits and separators, then an H and a digit.
_AGENCY_TRIED = re.compile(r"(?<![0-9A-Za-z])\d[\d\s.\-_/]{2,}[Hh]\d")
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
    a, b, c, province, day, seq = (re.sub(r"\D", "", g) for g in match.groups())
    return f"{a}.{b}.{c}.H{province}-{day}-{seq}"


def code_problem(text: str) -> str | None:
    """What is wrong with a code typed almost right, in the words a citizen can act on: the part
    of the receipt's code that has a digit too few or too many, or the agency missing before the
    date and sequence; None when nothing like a code is there (or it is a whole one)."""
    if find_codes(text):
        return None
    agency = _AGENCY_TYPED.search(text)
    if agency is None:
        if _AGENCY_TRIED.search(text):
            return "phần mã cơ quan chưa đủ (như trên phiếu: 000.xx.xx.Hxx)"
        if DATE_AND_SEQUENCE.search(text):
            return "mã còn thiếu phần mã cơ quan ở đầu (như trên phiếu: 000.xx.xx.Hxx-…)"
        return None
    groups = re.findall(r"\d+", text[agency.end() :])[:3]
    typed = sum(len(g) for g in groups)
    if len(groups) == 2 and len(groups[0]) != 6:
        return f"phần ngày nhận “{groups[0]}” có {len(groups[0])} chữ số, cần 6 (năm, tháng, ngày)"
    if len(groups) == 2 and len(groups[1]) != 4:
        return f"số thứ tự “{groups[1]}” có {len(groups[1])} chữ số, cần 4"
    if len(groups) == 1 and len(groups[0]) == 6:
        return "còn thiếu số thứ tự (4 chữ số) sau ngày nhận"
    if not groups:
        return "sau mã cơ quan còn cần ngày nhận (6 chữ số) và số thứ tự (4 chữ số)"
    return f"sau mã cơ quan cần 10 chữ số (ngày nhận 6, số thứ tự 4), mã bạn gõ có {typed}"


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
