"""Procedure search. This first version matches whole words of the folded query against folded
names and aliases (accent-free, case-free); the fuzzy, abbreviation-aware ranking is its own issue
and replaces `ProcedureIndex.search` behind the same `search_codes` signature."""

from __future__ import annotations

from functools import cached_property, lru_cache

from lookup.catalog import Catalog, Procedure, load_catalog
from lookup.text import words

# Words of questions that carry no meaning for matching ("cho em hỏi thủ tục ... ạ").
_NOISE = {"cho", "em", "hoi", "thu", "tuc", "lam", "sao", "a", "voi", "nhu", "the", "nao", "can", "gi", "giay", "to",
          "o", "dau", "minh", "toi", "muon", "xin", "ve", "la", "va", "de", "duoc", "khong", "nhe"}  # fmt: skip


def _level_rank(p: Procedure) -> int:
    # Ties go to what a citizen of the province can do locally: commune, then province, then ministry.
    keys = set(p.level_keys)
    return 0 if "xa" in keys else 1 if "tinh" in keys else 2


class ProcedureIndex:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @cached_property
    def entries(self) -> list[tuple[str, set[str], int, int]]:
        """Built on first use: processes that never search (API-only, tests) do not pay for it."""
        return [
            (p.code, set(words(" ".join([p.name, *p.aliases]))), _level_rank(p), len(p.name))
            for p in self.catalog.procedures.values()
        ]

    def search(self, query: str, limit: int = 5) -> list[str]:
        terms = [w for w in words(query) if w not in _NOISE] or words(query)
        if not terms:
            return []
        hits = [(rank, length, code) for code, vocab, rank, length in self.entries if all(t in vocab for t in terms)]
        return [code for _, _, code in sorted(hits)[:limit]]


@lru_cache(maxsize=1)
def _default_index() -> ProcedureIndex:
    return ProcedureIndex(load_catalog())


def search_codes(query: str, limit: int = 5) -> list[str]:
    """Procedure codes best first over the default catalog; [] when nothing matches."""
    return _default_index().search(query, limit)
