"""Procedure search as citizens type it.

The index is built once per catalog: every procedure's name, colloquial aliases, results, field
and life-event groups are folded into words, and each word (and each pair of adjacent words of the
name, aliases and results) gets a posting array of (procedure, field weight). A query is parsed into
concepts (lookup.query_text); a procedure's score is the idf-weighted share of concepts it covers,
each concept by its best alternative, with adjacent-word pairs rewarding the right phrase. The best
few hundred are re-ranked by how much of the procedure's own name the query explains (so "đăng ký
khai sinh" prefers the plain procedure to its foreign-element variants), then by what a citizen of
the province can do (commune, province, online) before ministry-level ones.

"Nothing credible" is a threshold on coverage: a query whose meaningful words the best procedure
does not mostly cover gets [] and the conversation offers help instead of a confident wrong answer.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import weakref
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from lookup.catalog import Catalog, Procedure, load_catalog
from lookup.query_text import Alternative, Concept, QueryParser, tokens

# Field weights: a word in the name or a colloquial alias is worth more than one in the results,
# the field (lĩnh vực) or a life-event group name.
NAME, ALIAS, RESULT, FIELD, EVENT = 1.0, 1.0, 0.6, 0.45, 0.4
MIN_COVERAGE = 0.6  # below this, the best match explains too little of the query to be offered
MIN_FOLLOWER_COVERAGE = 0.5  # what may be listed after a credible best match
PAIR_SHARE = 0.45  # weight of the query's adjacent word pairs in the coverage
CONTEXT_WEIGHT = 0.25  # share of a context word's idf weight (lexicon "context")
RERANK = 300
COMPOUND_MIN_DOCS, COMPOUND_SHARE = 400, 0.45


@dataclass(frozen=True)
class Hit:
    code: str
    score: float
    coverage: float  # share of the query's meaning the procedure covers, 0..1
    matched: tuple[str, ...]  # how each concept matched, e.g. "sổ đỏ → giấy chứng nhận quyền sử dụng đất"


def _prior(p: Procedure) -> float:
    """Small preferences that break near-ties: procedures citizens ask for by colloquial names (the
    records give aliases to the common ones), then what a citizen of the province can do locally
    (commune, province) and online, before ministry-level ones."""
    keys = set(p.level_keys)
    local = 0.02 if keys & {"xa", "tinh"} else 0.0
    return (0.04 if p.aliases else 0.0) + local + (0.01 if p.online_submission else 0.0)


class ProcedureIndex:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # Recent answers: the conversation asks "does this text find procedures?" and then shows
        # them, and "Xem thêm" repeats a query with another offset; each costs one search, not two.
        self._codes = lru_cache(maxsize=1024)(self._search_codes)

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> ProcedureIndex:
        """One index per loaded catalog, shared by every app built on it (tests build many)."""
        index = _INDEXES.get(catalog)
        if index is None:
            index = _INDEXES[catalog] = cls(catalog)
        return index

    @cached_property
    def _built(self) -> _Built:
        """Built by warm() (the app does so at start-up, off the loop) or on first use."""
        return _Built(self.catalog)

    def warm(self) -> None:
        """Build now (at start-up) rather than on the first citizen's query."""
        _ = self._built

    def search(self, query: str, limit: int = 5, offset: int = 0) -> list[str]:
        return list(self._codes(query, limit, offset))

    def _search_codes(self, query: str, limit: int, offset: int) -> tuple[str, ...]:
        return tuple(hit.code for hit in self.hits(query, limit, offset))

    def hits(self, query: str, limit: int = 5, offset: int = 0) -> list[Hit]:
        return self._built.hits(query, limit, offset)


class _Built:
    def __init__(self, catalog: Catalog) -> None:
        procedures = list(catalog.procedures.values())
        self.codes = [p.code for p in procedures]
        self.size = len(procedures)
        group_names = {g.id: g.name for g in catalog.groups.values()}
        words: dict[str, dict[int, float]] = defaultdict(dict)
        pairs: dict[str, dict[int, float]] = defaultdict(dict)
        self.name_words: list[frozenset[str]] = []
        for doc, p in enumerate(procedures):
            fields = [(NAME, p.name), *((ALIAS, a) for a in p.aliases), *((RESULT, r.name) for r in p.results[:3]),
                      (FIELD, p.field or ""), *((EVENT, group_names.get(g, "")) for g in p.life_events)]  # fmt: skip
            for weight, text in fields:
                seq = tokens(text)
                for w in seq:
                    words[w][doc] = max(words[w].get(doc, 0.0), weight)
                if weight >= RESULT:
                    for a, b in itertools.pairwise(seq):
                        key = f"{a} {b}"
                        pairs[key][doc] = max(pairs[key].get(doc, 0.0), weight)
            self.name_words.append(frozenset(tokens(_PARENTHESES.sub(" ", p.name))) - _NAME_FILLER)
        self.words = {w: _posting(d) for w, d in words.items()}
        self.pairs = {k: _posting(d) for k, d in pairs.items()}
        # idf from how many procedures name the word anywhere: "dang", "ky", "cap" weigh little.
        self.idf = {w: math.log(1 + self.size / len(ids)) for w, (ids, _) in self.words.items()}
        self.bonus = np.array([_prior(p) for p in procedures], dtype=np.float32)
        self.parser = QueryParser(set(self.words), compounds=self._compounds(words, pairs))

    @staticmethod
    def _compounds(
        words: dict[str, dict[int, float]], pairs: dict[str, dict[int, float]]
    ) -> frozenset[tuple[str, str]]:
        """Adjacent words the catalog mostly writes together, in many procedures ("đăng ký", "thay
        đổi", "giấy phép"): one word of two syllables, weighed once rather than twice."""
        out = set()
        for key, docs in pairs.items():
            a, b = key.split()
            if (
                a.isalpha()
                and b.isalpha()
                and len(docs) >= COMPOUND_MIN_DOCS
                and len(docs) >= COMPOUND_SHARE * min(len(words[a]), len(words[b]))
            ):
                out.add((a, b))
        return frozenset(out)

    def _idf(self, token: str) -> float:
        return self.idf.get(token, math.log(1 + self.size))  # unknown words are rare, so they weigh a lot

    def _alternative_scores(self, alt: Alternative) -> np.ndarray:
        """0..1 per procedure: the idf share of the alternative's words it contains (field-weighted),
        blended with the share of its adjacent pairs (phrase order) when there are any."""
        total = np.zeros(self.size, dtype=np.float32)
        idf_sum = 0.0
        for t in alt.tokens:
            idf = self._idf(t)
            idf_sum += idf
            if t in self.words:
                ids, weights = self.words[t]
                total[ids] += weights * idf
        score = total / max(idf_sum, 1e-6)
        if len(alt.tokens) > 1:
            # A phrase ("sổ đỏ", "đăng ký khai tử") counts whole and in order: its words scattered
            # over a name ("số", "độ"; "đăng ký khai thác tuyến") are worth little.
            pair_share = self._pair_share([f"{a} {b}" for a, b in itertools.pairwise(alt.tokens)])
            score = score * score * (0.15 + 0.85 * pair_share * pair_share)
        return score * alt.confidence

    def _concept_weight(self, concept: Concept) -> float:
        first = concept.alternatives[0]
        weight = max(self._idf(t) for t in first.tokens)
        if first.phrase:
            # A colloquial phrase or abbreviation ("cmnd", "để cưới") is absent from the catalog, so
            # its words would weigh as the rarest there are: weigh what the catalog knows of its spellings.
            known = [self.idf[t] for alt in concept.alternatives for t in alt.tokens if t in self.idf]
            weight = max(known, default=weight)
        # Who it is for and when ("cho mẹ", "em bé", "hết hạn") are rare words, so idf would make
        # them the heaviest part of the query; procedure names rarely say them.
        return weight * CONTEXT_WEIGHT if concept.context else weight

    def _pair_share(self, keys: list[str]) -> np.ndarray:
        """Per procedure, the field-weighted share of these adjacent word pairs it contains."""
        found = np.zeros(self.size, dtype=np.float32)
        for key in keys:
            if key in self.pairs:
                ids, weights = self.pairs[key]
                found[ids] += weights
        return found / len(keys)

    def _pair_coverage(self, concepts: list[Concept]) -> np.ndarray | None:
        """Share of the query's adjacent word pairs found adjacent in a procedure's name, aliases or
        results. Vietnamese words are mostly two syllables: "giá xăng" must not be found in "gia công xăng
        dầu", where both syllables occur but not as the word the citizen meant. A repaired word's
        pair counts in whichever of its spellings the procedure has ("pho thng": "phổ thông")."""
        found, count = np.zeros(self.size, dtype=np.float32), 0
        for left, right in itertools.pairwise(concepts):
            if left.context or right.context or left.alternatives[0].phrase or right.alternatives[0].phrase:
                continue
            count += 1
            spellings = [f"{a.tokens[-1]} {b.tokens[0]}" for a in left.alternatives for b in right.alternatives]
            found += np.max([self._pair_share([key]) for key in spellings], axis=0)
        return found / count if count else None

    def hits(self, query: str, limit: int, offset: int = 0) -> list[Hit]:
        concepts = [c for c in self.parser.parse(query) if c.alternatives]
        if not concepts or all(c.alternatives[0].why == "typo" for c in concepts):
            return []  # nothing typed is a catalog word: an answer made only of guesses is not credible
        weights = np.array([self._concept_weight(c) for c in concepts], dtype=np.float32)
        coverage = np.zeros(self.size, dtype=np.float32)
        per_concept: list[tuple[np.ndarray, np.ndarray]] = []
        for concept, weight in zip(concepts, weights, strict=True):
            alt_scores = np.stack([self._alternative_scores(a) for a in concept.alternatives])
            best = alt_scores.max(axis=0)
            coverage += weight * best
            per_concept.append((best, alt_scores.argmax(axis=0)))
        coverage /= weights.sum()
        pairs = self._pair_coverage(concepts)
        if pairs is not None:
            coverage = (1 - PAIR_SHARE) * coverage + PAIR_SHARE * pairs
        if coverage.max(initial=0.0) < MIN_COVERAGE:
            return []
        # Once one procedure is a credible answer, weaker ones may follow it in the list: "đăng ký
        # khai sinh cho trẻ" is best answered by the joint birth procedures, then by the plain one.
        candidates = np.flatnonzero(coverage >= MIN_FOLLOWER_COVERAGE)
        if candidates.size > RERANK:
            candidates = candidates[np.argpartition(-coverage[candidates], RERANK)[:RERANK]]
        query_words = {t for c in concepts for a in c.alternatives for t in a.tokens}
        ranked = []
        for doc in candidates:
            name = self.name_words[doc]
            explained = len(name & query_words) / max(len(name), 1)
            score = float(coverage[doc]) + 0.25 * explained + float(self.bonus[doc])
            ranked.append((score, float(coverage[doc]), int(doc)))
        ranked.sort(key=lambda r: (-r[0], self.codes[r[2]]))
        return [
            Hit(self.codes[doc], round(score, 4), round(cov, 4), self._why(concepts, per_concept, doc))
            for score, cov, doc in ranked[offset : offset + limit]
        ]

    @staticmethod
    def _why(concepts: list[Concept], per_concept: list[tuple[np.ndarray, np.ndarray]], doc: int) -> tuple[str, ...]:
        out = []
        for concept, (best, which) in zip(concepts, per_concept, strict=True):
            if best[doc] <= 0:
                out.append(f"{concept.typed}: không khớp")
                continue
            alt = concept.alternatives[int(which[doc])]
            shown = " ".join(alt.tokens)
            out.append(concept.typed if alt.why == "typed" else f"{concept.typed} → {shown} ({alt.why})")
        return tuple(out)


# Words of procedure names that say nothing about which procedure it is ("Thủ tục ...", the default
# actions "đăng ký" and "cấp"), and the "(thực hiện tại cấp tỉnh)" notes.
_NAME_FILLER = frozenset({"thu", "tuc", "dang", "ky", "cap", "va", "cho", "cua", "cac", "theo", "voi", "o", "trong"})
_PARENTHESES = re.compile(r"\([^)]*\)")


def _posting(docs: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter(docs.keys(), dtype=np.int32, count=len(docs))
    return ids, np.fromiter(docs.values(), dtype=np.float32, count=len(docs))


_INDEXES: weakref.WeakKeyDictionary[Catalog, ProcedureIndex] = weakref.WeakKeyDictionary()


@lru_cache(maxsize=1)
def _default_index() -> ProcedureIndex:
    # The same catalog the service loads: CATALOG_PATH (an operator's own JSONL or built file) or fixtures.
    return ProcedureIndex(load_catalog(os.environ.get("CATALOG_PATH") or None))


def search_codes(query: str, limit: int = 5) -> list[str]:
    """Procedure codes (or local ids) best first over the configured catalog; [] when nothing is a
    credible match."""
    return _default_index().search(query, limit)


def search_hits(query: str, limit: int = 5) -> list[Hit]:
    """Like search_codes, with the score, coverage and how each part of the query matched."""
    return _default_index().hits(query, limit)
