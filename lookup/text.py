"""Vietnamese text folding for matching what citizens type."""

from __future__ import annotations

import re
import unicodedata


def _nonspacing_marks() -> re.Pattern[str]:
    """Every non-spacing mark (category Mn) of the Basic Multilingual Plane, as one character class:
    the search index folds every name, alias and result of the catalog at start-up, and a
    per-character category test was most of that time."""
    marks = [cp for cp in range(0x10000) if unicodedata.category(chr(cp)) == "Mn"]
    ranges, start = [], marks[0]
    for prev, cp in zip(marks, [*marks[1:], None], strict=True):
        if cp != prev + 1 if cp is not None else True:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}" if prev > start else re.escape(chr(start)))
            start = cp if cp is not None else start
    return re.compile("[" + "".join(ranges) + "]+")


_MARKS = _nonspacing_marks()
_SPACES = re.compile(r"\s+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d, which NFD does not fold), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = _MARKS.sub("", decomposed)
    if _ASTRAL.search(stripped):
        stripped = "".join(ch for ch in stripped if unicodedata.category(ch) != "Mn")  # marks beyond the BMP
    return _SPACES.sub(" ", stripped).strip().lower()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


def format_vnd(amount: int) -> str:
    """`200000` -> `200.000 đồng`: Vietnamese groups thousands with dots."""
    return f"{amount:,}".replace(",", ".") + " đồng"


_LONG_ASIDE = re.compile(r"\s*\([^()]{30,}\)")


def short_name(name: str, limit: int) -> str:
    """A procedure's name in at most `limit` characters, its long asides elided first: "Cấp giấy phép
    xây dựng mới đối với công trình cấp III, cấp IV (Công trình không theo tuyến/…/Dự án) và nhà ở
    riêng lẻ" keeps "và nhà ở riêng lẻ", what a family building its house looks for, where cutting
    at the limit left only the list of kinds of works."""
    name = " ".join(name.split())
    if len(name) > limit:
        name = _LONG_ASIDE.sub(" (…)", name)
    return shorten(name, limit)


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a whole word and ended with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–/(") + "…"
