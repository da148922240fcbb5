"""Two-word compounds of procedures' names that hold a word a question also uses ("bản sao", "trợ
giúp", "hết hạn", "thế chấp", "mất tích", "bị mất"), mined from the catalog's names. Taking the
question words out of a message ("… làm sao?", "giúp em với", "hết bao nhiêu") must leave these in,
or "chứng thực bản sao" is searched as "chứng thực bản".

    .venv/bin/python -m understanding.compounds     # rewrite the fixture from the built catalog
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lookup.text import fold

if TYPE_CHECKING:
    from lookup.catalog import Catalog

COMPOUNDS_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "understanding" / "name_compounds.json"
MIN_NAMES = 2  # a pair in one name only is as likely an accident of wording as a term
MIN_FOLDED_NAMES = 3  # folded pairs meet by accident more often ("co", "la", "the" are several words)
_WORD = re.compile(r"\w+")


def mine(names: Iterable[str], question_words: frozenset[str], term_like: frozenset[str],
         min_names: int = MIN_NAMES) -> list[str]:  # fmt: skip
    """Adjacent word pairs (as written, lower case) of a `term_like` word and a word that is no
    question word, found in at least `min_names` names; sorted."""
    counts: Counter[str] = Counter()
    for name in names:
        words = _WORD.findall(name.lower())
        counts.update({f"{a} {b}" for a, b in itertools.pairwise(words) if _a_term(a, b, question_words, term_like)})
    return sorted(pair for pair, n in counts.items() if n >= min_names)


def _a_term(a: str, b: str, question_words: frozenset[str], term_like: frozenset[str]) -> bool:
    return (a in term_like and b not in question_words) or (b in term_like and a not in question_words)


def mine_folded(names: Iterable[str], unmarked_question_words: frozenset[str], min_names: int = MIN_FOLDED_NAMES,
                ) -> list[str]:  # fmt: skip
    """The same for words typed without marks: folded pairs of an unmarked question word and a word
    that is none, in at least `min_names` names. Typed bare, "bao hiem", "xa hoi", "kham chua benh",
    "lan dau", "tre em" hold a question word's spelling ("bao", "hoi", "chua", "dau", "em")."""
    counts: Counter[str] = Counter()
    for name in names:
        words = _WORD.findall(fold(name))
        counts.update({f"{a} {b}" for a, b in itertools.pairwise(words)
                       if (a in unmarked_question_words) != (b in unmarked_question_words)})  # fmt: skip
    return sorted(pair for pair, n in counts.items() if n >= min_names)


@cache
def name_compounds() -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """(pairs as marked, pairs folded): a word typed with its marks is matched marked ("bản sao" but
    not "bán sao"), one typed without them folded."""
    stored = json.loads(COMPOUNDS_PATH.read_text(encoding="utf-8"))
    marked = frozenset(tuple(p.split()) for p in stored["marked"])
    folded = frozenset(tuple(p.split()) for p in stored["folded"])
    return marked, folded  # type: ignore[return-value]


def mined(catalog: Catalog) -> dict[str, list[str]]:
    """What the fixture holds for `catalog`."""
    from understanding.entities import QUESTION_WORDS, TERM_LIKE_QUESTION_WORDS, UNMARKED_QUESTION_WORDS

    names = [p.name for p in catalog.procedures.values()]
    return {"marked": mine(names, QUESTION_WORDS, TERM_LIKE_QUESTION_WORDS),
            "folded": mine_folded(names, UNMARKED_QUESTION_WORDS)}  # fmt: skip


def _main() -> None:
    from lookup.catalog import load_catalog

    text = json.dumps(mined(load_catalog()), ensure_ascii=False, indent=0)
    COMPOUNDS_PATH.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {COMPOUNDS_PATH}")


if __name__ == "__main__":
    _main()
