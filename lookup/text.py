"""Vietnamese text folding for matching what citizens type."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d, which NFD does not fold), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", stripped).strip().lower()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


def format_vnd(amount: int) -> str:
    """`200000` -> `200.000 đồng`: Vietnamese groups thousands with dots."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a whole word and ended with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–/(") + "…"
