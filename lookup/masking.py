"""Masking of citizens' personal data for viewers who are not entitled to it, and for logs."""

from __future__ import annotations

import re

# A run of digit groups as people write numbers: `(+84) 905 123 456`, `0905.123.456`, `0621-9000-0111`,
# `+84 (0) 905...`. Groups are joined by a space, dot or dash, or a bracket with a space either side.
# Not after a letter or digit, nor after one and a dot or dash (a dossier code's `H34-261102-0001`).
_SEP = r"(?:[ \u00a0.\-]?[()][ \u00a0.\-]?|[ \u00a0.\-])"
_RUN_RE = re.compile(rf"(?<!\w)(?<!\w[.\-])\(?\+?\d+(?:{_SEP}\d+)*\)?")
_GROUP_RE = re.compile(r"\d+")
_CLOSE_RE = re.compile(r"[ \u00a0.\-]?\)")
_MONEY_AFTER_RE = re.compile(r"\s*(?:đồng|đ\b|vn[dđ]\b)", re.IGNORECASE)


def _kind(digits: str) -> str | None:
    """phone (with 84 or 0 in front), id (9-digit CMND, 12-digit CCCD) or None."""
    if digits.startswith("84") and len(digits) in (11, 12):  # +84 and a 9-digit mobile or 10-digit landline
        return "phone"
    if digits.startswith("0") and len(digits) in (10, 11):
        return "phone"
    if len(digits) in (9, 12):
        return "id"
    return None


def _redact_run(run: str) -> str:
    """The run with every phone or ID number in it masked: from each group on, the longest stretch of
    whole groups that makes one (two numbers side by side are two stretches)."""
    groups = list(_GROUP_RE.finditer(run))
    out, done, i = [], 0, 0
    while i < len(groups):
        found = None
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j].group()
            if len(digits) > 12:
                break
            if kind := _kind(digits):
                found = (j, kind, digits)
                # A bracket closing right after a whole number ends it: `(0905 123 456) 12 lần` is
                # a phone and a 12, not one 12-digit ID (`(+84) 905...`: 84 alone is no number).
                if _CLOSE_RE.match(run, groups[j].end()):
                    break
        if found is None:
            i += 1
            continue
        j, kind, digits = found
        start = 0 if i == 0 else groups[i].start()
        masked = mask_phone(digits) if kind == "phone" else mask_id_number(digits)
        out += [run[done:start], masked]
        done = groups[j].end()
        if run[start:done].count("(") > run[start:done].count(")") and run[done : done + 1] == ")":
            done += 1
        i = j + 1
    return "".join(out) + run[done:]


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
    """Mask every Vietnamese phone number (0, 84 or +84 in front; spaces, dots, dashes, brackets) and
    9- or 12-digit ID number, however grouped, inside free text (for logs and transcripts). Amounts of
    money (`150.000.000 đồng`) and dossier codes are left alone."""

    def run(match: re.Match[str]) -> str:
        if _MONEY_AFTER_RE.match(text, match.end()):
            return match.group()
        return _redact_run(match.group())

    return _RUN_RE.sub(run, text)


def mask_secret(text: str) -> str:
    """A secret the citizen typed (a receipt's security code): its length shows, nothing else."""
    return "•" * min(len(text.strip()), 12)
