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

from lookup.text import fold

COMPOUNDS_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "understanding" / "name_compounds.json"
MIN_NAMES = 2  # a pair in one name only is as likely an accident of wording as a term
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


@cache
def name_compounds() -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """(marked pairs, the same pairs folded): a word typed with its marks is matched marked ("bản
    sao" but not "bán sao"), one typed without them folded."""
    pairs = [tuple(p.split()) for p in json.loads(COMPOUNDS_PATH.read_text(encoding="utf-8"))]
    marked = frozenset((a, b) for a, b in pairs)
    return marked, frozenset((fold(a), fold(b)) for a, b in marked)


def _main() -> None:
    from lookup.catalog import load_catalog
    from understanding.entities import QUESTION_WORDS, TERM_LIKE_QUESTION_WORDS

    names = [p.name for p in load_catalog().procedures.values()]
    pairs = mine(names, QUESTION_WORDS, TERM_LIKE_QUESTION_WORDS)
    COMPOUNDS_PATH.write_text(json.dumps(pairs, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {COMPOUNDS_PATH}")


if __name__ == "__main__":
    _main()
