"""Repairs of the crawled record texts, made once when the catalog is built.

The crawl cut long cells at a few hundred characters, often inside a word ("còn giá tr…", "Nghị
định số 10…"), split a document's form file off its name at the last space or slash ("… Thông tư
số 53/2025/" + "TT-BCA).1.MuCT01….doc") and repeated documents. What can be put back from the
record itself is put back (a legal number completed from the record's own legal basis, a name
joined again with the part the split carried into the form); what cannot is ended at the last whole
word with "…". Nothing is invented: every word kept is the source's.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

ELLIPSIS = "…"
_TRAILING_JUNK = " \t\n,;:-–/(+*•"
_WORD_STRIP = ".,;:!?)]}\"'”“’‘»"
_LEGAL_TYPES = {"nghị định": "NĐ", "thông tư": "TT", "quyết định": "QĐ", "nghị quyết": "NQ", "luật": "QH"}
_LEGAL_BEFORE = re.compile(r"(nghị định|thông tư(?: liên tịch)?|quyết định|nghị quyết|luật[^,;.]{0,40}?)\s+(?:số\s+)?$",
                           re.IGNORECASE)  # fmt: skip
_LEGAL_PARTIAL = re.compile(r"^\d+(?:/\d{0,4}(?:/[A-ZĐa-zđ\-]*)?)?$")
_GLUED_LABEL = re.compile(r"[^\s(](?:M[ẫa]u|MẪU|Mus|PL|Ph[ụu] ?l[ụu]c)")
_FILE_NAME = re.compile(r"\.(?:docx?|pdf|xlsx?|rar|zip|png|jpe?g)\s*$", re.IGNORECASE)
_FILE_START = re.compile(r"^(m[ẫa]u|mus|pl\b|ph[ụu] ?l[ụu]c|tk\b|bm\b|\d)", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return text.split()


def _core(token: str) -> str:
    return token.strip(_WORD_STRIP).lstrip("([{\"'“‘«").lower()


class Vocabulary:
    """Words the corpus writes whole: seen before a space or punctuation, never only before a cut."""

    def __init__(self, counts: Counter[str]) -> None:
        self.counts = counts
        # The highest count of a longer word each prefix begins: "hàn" begins "hành" and "hàng".
        self.longer: dict[str, int] = {}
        for word, n in counts.items():
            if n >= 20:
                for end in range(1, len(word)):
                    if self.longer.get(word[:end], 0) < n:
                        self.longer[word[:end]] = n

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        raw: Counter[str] = Counter()
        for text in texts:
            for piece in text.replace(ELLIPSIS, f"{ELLIPSIS} ").split(" | "):
                raw.update(piece.split()[:-1])
        counts: Counter[str] = Counter()
        for token, n in raw.items():
            if not token.endswith(ELLIPSIS):
                counts[unicodedata.normalize("NFC", _core(token))] += n
        return cls(counts)

    def is_whole(self, token: str, cut: bool = False) -> bool:
        """Whether `token` is a whole word; at a cut, not when it is mostly the start of a longer
        word (a cut "hàn" was far more likely "hành" or "hàng")."""
        core = _core(token.rstrip(ELLIPSIS))
        if not core or token.rstrip(ELLIPSIS).endswith(("/", "-", "(")):
            return False
        count = self.counts.get(core, 0)
        if (cut or count == 0) and self.longer.get(core, 0) > 20 * (count + 1):
            return False
        if count >= 2:
            return True
        # Codes and abbreviations ("NĐ-CP", "CT01", "UBND") are whole when they end in a letter or digit.
        return any(ch.isdigit() for ch in core) and core[-1].isalnum() and "/" not in core[-1:]


def complete_legal_number(text: str, legal_basis: Iterable[str]) -> str | None:
    """`… Nghị định số 104/2022/` -> `… Nghị định số 104/2022/NĐ-CP` when the record's legal basis
    holds exactly one number that starts so and is of that kind; else None."""
    words = text.rstrip(ELLIPSIS).rstrip().split(" ")
    if not words:
        return None
    partial = words[-1]
    before = " ".join(words[:-1])
    kind = _LEGAL_BEFORE.search(before[-60:] + " ")
    if not _LEGAL_PARTIAL.match(partial) or kind is None:
        return None
    name = kind.group(1).lower()
    code = next((v for k, v in _LEGAL_TYPES.items() if name.startswith(k)), None)
    matches = {n for n in legal_basis if n.startswith(partial) and len(n) > len(partial)}
    if code:
        matches = {n for n in matches if code in n.upper()}
    if len(matches) != 1:
        return None
    return f"{before} {matches.pop()}".strip()


def repair(text: str | None, vocabulary: Vocabulary, legal_basis: Iterable[str] = ()) -> str | None:
    """The text with its spacing tidied and its end made whole (see the module docstring)."""
    if text is None:
        return None
    pieces = [_repair_piece(p, vocabulary, tuple(legal_basis)) for p in text.split(" | ")]
    kept = [p for p in pieces if p]
    return " | ".join(kept) if kept else None


def _repair_piece(text: str, vocabulary: Vocabulary, legal_basis: tuple[str, ...]) -> str:
    text = unicodedata.normalize("NFC", text)
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    text = "\n".join(line for line in lines if line)
    if text.endswith((".", ";", ")", "!", "?")) and not text.endswith("..."):
        return text  # ends as a sentence or a bracket does: whole
    cut = text.endswith((ELLIPSIS, "..."))
    if cut:
        text = text.rstrip(ELLIPSIS).removesuffix("...").rstrip()
    elif text.endswith(("/", "-")) and not _LEGAL_PARTIAL.match(text.split(" ")[-1]):
        text = text.rstrip("/-").rstrip()  # "… nhà đầu tư/", "… thu nhập-": a stray mark
    completed = complete_legal_number(text, legal_basis)
    if completed is not None:
        return completed + (ELLIPSIS if cut else "")
    words = text.split(" ")
    last = words[-1] if words else ""
    dropped = False
    suspect = cut or len(_core(last)) <= 3 or last.endswith(("/", "-")) or not vocabulary.counts.get(_core(last))
    if len(words) > 1 and suspect and not vocabulary.is_whole(last, cut=cut):
        words.pop()
        dropped = True
    if (cut or dropped) and len(words) > 1 and _core(words[-1]).isdigit():
        words.pop()  # "… kiểm tra hồ sơ: 03" has lost its unit: a bare number says nothing
    text = " ".join(words).rstrip(_TRAILING_JUNK)
    if cut or dropped:
        text = text.rstrip(".") + ELLIPSIS if text else ""
    return text


def rejoin_form(name: str, form: str | None) -> tuple[str, str | None]:
    """A document's name and its form file as the source had them before the crawl split the file
    name off at its last space or slash: `(…53/2025/`, `TT-BCA).1.MuCT01….doc` ->
    `(…53/2025/TT-BCA)`, `1.MuCT01….doc`. Without a form, a form label glued to the end of the name
    (`… khoáng sảnMẫu 03`) is taken off it."""
    if form is not None:
        form = form.strip()
        if ";" in form:
            # "Đơn xin nhận con" + "nuôi;1.nxinnhnconnui.doc": the words before the ";" are the end of
            # the name (cut at its last space, as "bảo hiểm y" + "tế;Mau01-DS(BHYT).doc"), not a file.
            head, tail = form.split(";", 1)
            form = tail.rsplit(";", 1)[-1].strip() or form
            words = head.strip()
            if words and not _FILE_NAME.search(words) and len(words) <= 40 and not name.rstrip().endswith(ELLIPSIS):
                return name.rstrip() + ("" if name.endswith("/") else " ") + words, form
    if name.rstrip().endswith(ELLIPSIS):
        return name, form
    if form is None and not _GLUED_LABEL.search(name):
        return name, form
    joined = name if form is None else (name + form if name.endswith("/") else f"{name} {form}")
    start = max(0, len(joined) - 170)  # a form file's name is never longer than that
    for i in _glue_points(joined, start):
        head, tail = joined[:i].rstrip(), joined[i:].strip()
        if head.count("(") == head.count(")") and len(tail) <= 160 and len(head) >= 8:
            if form is None and not _FILE_START.match(tail):
                continue
            return head, tail
    return name, form


def _glue_points(text: str, start: int) -> list[int]:
    points = []
    for i in range(max(1, start), len(text)):
        a, b = text[i - 1], text[i]
        if a.isspace() or b.isspace():
            continue
        if (a in ").;" and b.isalnum()) or (a.islower() and b.isupper()):
            points.append(i)
    return points


def normalise_name(text: str) -> str:
    """For telling duplicates apart: lower case, bullets and end punctuation off, single spaces."""
    text = " ".join(text.split()).lower()
    return text.strip(" -+•*;.:,").rstrip(ELLIPSIS).strip()
