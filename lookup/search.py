"""Procedure search as citizens type it.

The index is built once per catalog: every procedure's name, colloquial aliases, results, field,
life-event groups and first documents are folded into words (abbreviations also spelled out), and
each word (and each pair of adjacent words of the name, aliases and results) gets a posting list
of (procedure, field weight), stored as flat numpy arrays. A query is parsed into concepts
(lookup.query_text); a procedure's coverage is the idf-weighted share of the concepts the catalog
knows that it covers, each concept by its best alternative, with adjacent-word pairs rewarding
the right phrase. Words the catalog does not know
("mới đẻ", "17", "cty") weigh nothing: they cannot tell one procedure from another. The best few
hundred are re-ranked by how much of the procedure's own name the query explains, by the variant
the query asks for (first issue, re-issue, change; adult or child; foreign element or not), then by
what a citizen of the province can do (commune, province, online) before ministry-level ones.
The first RERANK_TOP of that hand ranking are then reordered by a learned linear score over
per-candidate features (CANDIDATE_FEATURES: the hand score and its parts, each variant signal
apart, the prior, the share of the query matched in the name or aliases, results, other fields),
fitted pairwise on the development sets by bench/search_fit.py (fixtures/search_rerank.json) and
kept only while its top-1, cross-validated by intent, beats the hand ranking's.

"Nothing credible" is decided from evidence, not from a coverage threshold: two small models
(fixtures/search_refusal.json, fitted by bench/search_fit.py on the development sets: boosted trees
for "a right procedure is listed", logistic for "the first is right") turn what the query and the
best match show (coverage, the share of the query's words the
catalog knows, phrase and pair evidence, the margin over the runner-up, typo guesses, whether the
best is a variant nobody asked for, the learned re-ranking's score of the best and its lead, the
off-topic phrases of the lexicon that the best name does not hold: prices, opinions, shops...) into
the probability that a right procedure is listed (below
the fitted threshold the answer is [] and the conversation offers help instead of a wrong
procedure) and the probability that the first one is right (`Hit.confidence`).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import weakref
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from lookup.catalog import FIXTURES_DIR, Catalog, Procedure
from lookup.memory import release_free_memory
from lookup.query_text import (
    Alternative,
    Concept,
    Lexicon,
    QueryParser,
    default_lexicon,
    is_syllable,
    marked_words,
    off_topic,
    tokens,
)

# Field weights: a word in the name or a colloquial alias is worth more than one in the results,
# the field (lĩnh vực) or a life-event group name.
NAME, ALIAS, RESULT, FIELD, EVENT, DOCUMENT = 1.0, 1.0, 0.6, 0.45, 0.4, 0.2
DOCUMENTS, DOCUMENT_WORDS = 6, 12  # the first documents of a dossier, their first words: what it is about
FOLLOWER_SHARE = 0.6  # a hit listed after a credible best one covers at least this share of its coverage
PAIR_SHARE = 0.45  # weight of the query's adjacent word pairs in the coverage
CONTEXT_WEIGHT = 0.25  # share of a context word's idf weight (lexicon "context")
RERANK = 300
COMPOUND_MIN_DOCS, COMPOUND_SHARE = 400, 0.45
ABBREVIATION_MIN_DOCS = 3  # a phrase whose initials are read as an abbreviation names this many procedures
REFUSAL_PATH = FIXTURES_DIR / "search_refusal.json"
FALLBACK_MIN_COVERAGE = 0.6  # without a fitted model: the coverage rule this module used before


@dataclass(frozen=True)
class Hit:
    code: str
    score: float
    coverage: float  # share of the query's known meaning the procedure covers, 0..1
    matched: tuple[str, ...]  # how each concept matched, e.g. "sổ đỏ → giấy chứng nhận quyền sử dụng đất"
    # Probability (calibrated on the development sets) that the best hit is what was asked; every
    # hit of one answer carries the best hit's value. credible: the refusal model found it likely
    # that a right procedure is among the first five (else search answers "nothing credible").
    confidence: float = 1.0
    credible: bool = True


def _prior(p: Procedure) -> float:
    """Small preferences that break near-ties: procedures citizens ask for by colloquial names (the
    records give aliases to the common ones), then what a citizen of the province can do locally
    (commune, province) and online, before ministry-level ones. A record without a national code
    cannot be opened on the national portal from its card: it comes after one that can."""
    keys = set(p.level_keys)
    local = 0.02 if keys & {"xa", "tinh"} else 0.0
    codeless = -0.05 if p.code.startswith("LOCAL-") else 0.0
    return (0.04 if p.aliases else 0.0) + local + (0.01 if p.online_submission else 0.0) + codeless


# --- variants: what kind of act a procedure is, and whom it is restricted to -------------------
# Read from the start of the folded name (after "thủ tục").
_ACTIONS: tuple[tuple[str, str], ...] = (
    ("trinh bao mat", "lost"), ("cap lai", "reissue"), ("dang ky lai", "reissue"), ("cap doi", "change"),
    ("doi ", "change"), ("gia han", "extend"), ("thu hoi", "end"), ("xoa ", "end"), ("cham dut", "end"),
    ("dinh chinh", "modify"), ("dieu chinh", "modify"), ("thay doi", "modify"), ("cai chinh", "modify"),
    ("khoa ", "end"), ("mo khoa", "modify"), ("khoi phuc", "modify"), ("chuyen doi", "change"),
    ("giai the", "end"), ("thong bao", "notify"), ("de nghi dung", "withdraw"),
)  # fmt: skip
# What the query says it wants, word sequences folded: each kind with the kinds of procedure that
# answer it. The first kind found wins, so "đổi tên" is a correction, "mất ... mới" a re-issue and
# "đổi sổ mới" a change; losing a passport is reported, losing a card is re-issued.
_QUERY_ACTIONS: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset({"modify"}), ("doi ten", "doi ho", "sua", "sai", "dinh chinh", "dieu chinh", "cai chinh", "thay doi")),
    (frozenset({"reissue", "lost"}), ("mat", "bi mat", "danh roi", "that lac", "lam lai", "cap lai", "xin lai",
                                      "dang ky lai")),
    (frozenset({"change"}), ("doi", "cap doi", "het han", "rach", "hong", "nat", "chuyen doi")),
    (frozenset({"extend"}), ("gia han",)),
    (frozenset({"end"}), ("xoa", "cham dut", "dong", "giai the", "thu hoi", "huy", "cat")),
    (frozenset({"new"}), ("lan dau", "moi", "moi mua", "moi sinh", "moi de", "dau tien")),
    (frozenset({"notify"}), ("thong bao",)),
    (frozenset({"withdraw"}), ("dung thu tuc", "rut ho so", "huy ho so")),
)  # fmt: skip
# Restrictions in a name, and the query words (or ages) that ask for them. A restricted variant
# the query does not ask for comes after the common case: the adult card before the under-14 one,
# the plain marriage before the one with a foreign element, a household's land before an
# organisation's.
# Not bare "nước ngoài": going abroad ("bằng lái đi nước ngoài") is no foreign element.
_FOREIGN = ("nguoi nuoc ngoai", "viet kieu", "ngoai quoc", "han quoc", "trung quoc", "dai loan", "nhat ban",
            "campuchia", "nuoc lao", "nguoi lao", "nguoi my", "nuoc my", "nguoi tay", "yeu to nuoc ngoai",
            "chong nuoc ngoai", "vo nuoc ngoai", "o nuoc ngoai ve")  # fmt: skip
_RESTRICTIONS: dict[str, tuple[str, ...]] = {
    "duoi 06 tuoi": ("duoi 6", "duoi 06", "so sinh", "moi sinh", "moi de"),
    "duoi 6 tuoi": ("duoi 6", "duoi 06", "so sinh", "moi sinh", "moi de"),
    "duoi 14 tuoi": ("duoi 14", "tre em", "tre", "be", "em be", "chau be", "con nho"),
    "co yeu to nuoc ngoai": _FOREIGN,
    "nguoi nuoc ngoai": _FOREIGN,
    "khu vuc bien gioi": ("bien gioi",),
    "luu dong": ("luu dong",),
    "quan su": ("quan su", "quan doi", "bo doi", "quan nhan"),
    "cong an nhan dan": ("cong an nhan dan", "nganh cong an"),
    "lien thong": ("lien thong", "4 trong 1", "3 trong 1", "cung luc", "cung mot luc"),
    "doi voi to chuc": ("to chuc", "cong ty", "doanh nghiep", "co quan"),
    "bo sung": ("bo sung",),
    "chuyen di": ("chuyen di", "chuyen noi o", "chuyen cho o", "chuyen nha", "di noi khac"),
    "chuyen den": ("chuyen den", "chuyen ve"),
    "cap dac biet": ("dac biet", "cap i", "cap ii"),
    "uy quyen": ("uy quyen", "nhan thay", "linh thay", "lanh thay"),
    "to chuc tin dung": ("to chuc tin dung", "ngan hang thuong mai", "chi nhanh ngan hang"),
    # The army's own bodies, and ships and aircraft: a citizen's complaint, a land mortgage come
    # before the Ministry of Defence's or a ship's unless the query says so.
    "bo quoc phong": ("quoc phong", "quan doi", "bo doi", "quan nhan", "quan su"),
    "quan khu": ("quan khu", "quan doi", "bo doi", "quan nhan"),
    "tau bien": ("tau bien", "tau", "tau thuyen", "hang hai"),
    "tau bay": ("tau bay", "may bay", "hang khong"),
    # Vocational and university schools: a pupil's fee waiver or transfer comes before a student's
    # unless the query names that kind of school or its learners.
    "giao duc nghe nghiep": ("giao duc nghe nghiep", "truong nghe", "cao dang", "trung cap", "dai hoc", "sinh vien"),
    "giao duc dai hoc": ("giao duc dai hoc", "dai hoc", "cao dang", "sinh vien", "hoc vien"),
}
# A name that also names Vietnamese citizens is not restricted to foreigners ("cho công dân Việt
# Nam, người nước ngoài đang cư trú tại Việt Nam").
_INCLUSIVE = {
    "nguoi nuoc ngoai": "cong dan viet nam",
    "giao duc nghe nghiep": "pho thong",
    "giao duc dai hoc": "pho thong",
}
# Restrictions that only set an unasked variant back: naming them ("bằng đại học") does not set back
# the procedures without them.
_DEMOTE_ONLY = frozenset({"giao duc nghe nghiep", "giao duc dai hoc"})
_AGE = re.compile(r"\b(\d{1,3}) (?:tuoi|t)\b")
_AGE_BANDS = (("duoi 06 tuoi", 6), ("duoi 6 tuoi", 6), ("duoi 14 tuoi", 14))
VARIANT_MATCH, VARIANT_MISMATCH, RESTRICTED_UNASKED, RESTRICTED_ASKED = 0.08, 0.08, 0.09, 0.12
LIFE_BONUS = 0.06
VARIANT_SIGNALS = ("action", "restriction", "asked_missing", "first_issue", "life", "subject", "organisation")
# Whom a name says the procedure is for, when near-twins differ by it: a household business, an
# enterprise, a cooperative (folded phrases of the name). The query asks for one by its words or
# by what its lexicon phrases spell out ("mở quán" -> hộ kinh doanh, "cty" -> công ty).
_SUBJECTS: dict[str, tuple[str, ...]] = {
    "household": ("ho kinh doanh", "ca nhan kinh doanh"),
    "enterprise": ("doanh nghiep", "cong ty"),
    "cooperative": ("hop tac xa", "to hop tac"),
}
SUBJECT_MATCH, SUBJECT_MISMATCH = 0.04, 0.06
# Who may file, from the record's subjects ("Công dân Việt Nam", "Doanh nghiệp", "Tổ chức ..."): a
# procedure no person may file (only organisations, enterprises, cooperatives) comes after the
# others unless the query names an organisation. Near-twins differ so: "yêu cầu trợ giúp pháp lý"
# (a citizen's) and "đăng ký tham gia trợ giúp pháp lý" (a legal-aid organisation's).
_PERSONS = ("cong dan", "nguoi", "can bo", "cong chuc", "vien chuc", "dang vien", "hoc sinh")
_ORGANISATIONS = ("to chuc", "co quan", "don vi", "doanh nghiep", "cong ty", "hop tac xa", "to hop tac",
                  "chi nhanh", "nha dau tu", "ngan hang", "benh vien", "nha truong")  # fmt: skip
ORGANISATIONS_ONLY = 0.05
RERANK_TOP = 20  # the learned re-ranking reorders this many of the hand ranking's first
RERANK_PATH = FIXTURES_DIR / "search_rerank.json"
ASKED_MISSING, FIRST_ISSUE = 0.05, 0.03
LITERAL_MIN_DOCS = 3
PHRASE_PAIR_BONUS = 0.04
# The pairs' part of the coverage shrinks with the share of the query's weight they are made of
# (to this power: a pair is still better evidence than its two words apart).
PAIR_SPAN = 0.5
PROSE_FACTOR = 0.5  # a word weighs at most this times its idf over the catalog's prose


def _for_organisations(subjects: str | None) -> bool:
    """The record names who may file it and no person is among them."""
    parts = [" ".join(tokens(part)) for part in (subjects or "").split(",") if part.strip()]
    return bool(parts) and not any(part.startswith(_PERSONS) for part in parts)


def _doc_action(folded_name: str) -> str:
    name = folded_name.removeprefix("thu tuc ")
    return next((kind for prefix, kind in _ACTIONS if name.startswith(prefix)), "new")


def _contains(text: str, phrase: str) -> bool:
    return f" {phrase} " in f" {text} "


# Action words that fold onto other words: "đóng" (close) is also "đóng thuế" (pay), and folded it
# is "động" (hoạt động, lao động, động vật), "đồng" (hợp đồng, đồng ý); "hỏng" (broken) is "hồng"
# (sổ hồng); "đổi" (change) is "đời" (qua đời), "đội" (bộ đội), "đối" (đối với); "mất" (lost) is
# "mặt" (mặt bằng), "mật" (mật khẩu); "mới" (new) is "môi" (môi trường), "mỗi"; "cắt" is "cát"
# (sand); "hủy" is "huy" (chỉ huy). Typed with marks, only the marked action counts; either way, not
# next to the words that make it another word or another act ("đóng" + "thuế" pays, not closes).
_AMBIGUOUS_ACTIONS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    # folded word: (its marked forms, words before it, words after it that make it another word)
    "dong": (
        frozenset({"đóng"}),
        frozenset(
            {
                "hop",
                "lao",
                "hoat",
                "cong",
                "bien",
                "tu",
                "di",
                "khoi",
                "tac",
                "bat",
                "van",
                "chuyen",
                "kich",
                "luu",
                "xuc",
                "dao",
            }
        ),
        frozenset(
            {
                "san",
                "vat",
                "thue",
                "tien",
                "bao",
                "bhxh",
                "bhyt",
                "bhtn",
                "phi",
                "hoc",
                "gop",
                "co",
                "luc",
                "y",
                "bang",
                "dau",
                "quy",
                "le",
                "vien",
                "nai",
            }
        ),
    ),
    "hong": (frozenset({"hỏng"}), frozenset({"so", "mau", "hoa", "cam"}), frozenset()),
    "doi": (
        frozenset({"đổi"}),
        frozenset({"qua", "bo", "tu", "doan", "cuoc", "song", "hai", "muon"}),
        frozenset({"voi", "tuong", "ngoai", "chieu", "dien", "ung", "khang", "xu", "tac", "thu"}),
    ),
    "mat": (frozenset({"mất"}), frozenset({"tien", "be"}), frozenset({"khau", "bang", "nuoc", "duong", "pho"})),
    "moi": (frozenset({"mới"}), frozenset({"hang"}), frozenset({"truong", "gioi", "nguoi", "nam", "thang", "lan"})),
    "cat": (frozenset({"cắt"}), frozenset({"thac", "bai", "mo", "hut"}), frozenset({"soi", "san", "lap", "tang"})),
    "huy": (frozenset({"hủy", "huỷ"}), frozenset({"chi", "phat"}), frozenset({"chuong", "hieu", "dong"})),
}


def _says(words: list[str], marked: list[str], phrase: str) -> bool:
    """The query's words hold the phrase (folded); an ambiguous one-word action only as that action."""
    parts = phrase.split()
    n = len(parts)
    for i in range(len(words) - n + 1):
        if words[i : i + n] != parts:
            continue
        rule = _AMBIGUOUS_ACTIONS.get(phrase) if n == 1 else None
        if rule is None:
            return True
        forms, before, after = rule
        if marked[i] != words[i] and marked[i] not in forms:
            continue  # typed with marks, and they make it another word
        if (i == 0 or words[i - 1] not in before) and (i + 1 >= len(words) or words[i + 1] not in after):
            return True
    return False


def query_action(folded: str, marked: str | None = None) -> frozenset[str] | None:
    """The kinds of procedure the query's wording asks for, or None when it says nothing of it.
    `marked`: the same words as typed, marks kept (lower case), when there are any."""
    words = folded.split()
    typed = marked.split() if marked is not None else words
    if len(typed) != len(words):
        typed = words
    return next((kinds for kinds, phrases in _QUERY_ACTIONS if any(_says(words, typed, w) for w in phrases)), None)


# Restrictions read from the name without its notes in parentheses: "(trừ tàu thuyền …, tàu biển
# …)" excepts ships from the registration fee for other assets, it does not restrict it to them.
_OUTSIDE_NOTES = frozenset({"bo quoc phong", "quan khu", "tau bien", "tau bay"})


def _restrictions(folded_name: str, plain: str | None = None) -> tuple[str, ...]:
    """The name's restrictions; `plain`, the folded name without its parenthesised notes."""
    return tuple(
        r
        for r in _RESTRICTIONS
        if _contains(plain if plain is not None and r in _OUTSIDE_NOTES else folded_name, r)
        and not _contains(folded_name, _INCLUSIVE.get(r, "~"))
    )


class ProcedureIndex:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # Recent answers: the conversation asks "does this text find procedures?" and then shows
        # them, and "Xem thêm" repeats a query with another offset; each costs one search, not two.
        self._codes = lru_cache(maxsize=1024)(self._search_codes)

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> ProcedureIndex:
        """One index per loaded catalog, shared by every app built on it (tests build many). The
        last one asked for is also what `search_hits` uses, so the process loads its catalog once."""
        global _LAST
        index = _INDEXES.get(catalog)
        if index is None:
            index = _INDEXES[catalog] = cls(catalog)
        _LAST = (weakref.ref(index), os.environ.get("CATALOG_PATH") or None)
        return index

    @cached_property
    def _built(self) -> _Built:
        """Built by warm() (the app does so at start-up, off the loop) or on first use."""
        return _Built(self.catalog)

    def warm(self) -> None:
        """Build now (at start-up) rather than on the first citizen's query."""
        if "_built" in self.__dict__:
            return  # built already (another app on the same catalog): nothing new to give back
        _ = self._built
        release_free_memory()  # the build's freed temporaries would otherwise stay in the process

    def search(self, query: str, limit: int = 5, offset: int = 0) -> list[str]:
        return list(self._codes(query, limit, offset))

    def _search_codes(self, query: str, limit: int, offset: int) -> tuple[str, ...]:
        return tuple(hit.code for hit in self.hits(query, limit, offset))

    def hits(self, query: str, limit: int = 5, offset: int = 0, credible_only: bool = True) -> list[Hit]:
        """Best first; [] when the best is not credible (unless credible_only=False, which returns
        the ranking anyway, each hit carrying the best one's confidence and credible flag)."""
        return self._built.hits(query, limit, offset, credible_only)

    def best(self, query: str) -> Hit | None:
        """The best hit whether or not it is credible (None when nothing matches at all)."""
        found = self._built.hits(query, 1, 0, credible_only=False)
        return found[0] if found else None


class _Which:
    """Which of a concept's alternatives matched a procedure best, worked out only for the few
    procedures asked about: an argmax over the whole catalog for every concept took a quarter of a
    query's time at 10x."""

    __slots__ = ("scores",)

    def __init__(self, scores: np.ndarray | None) -> None:
        self.scores = scores  # alternatives x procedures; None for a concept with one alternative

    def __getitem__(self, doc: int) -> int:
        return 0 if self.scores is None else int(self.scores[:, doc].argmax())


class _Postings:
    """Posting lists of many terms in three flat arrays (CSR): far less memory than a dict of
    dicts or an array pair per term, and built with one sort instead of per-entry dict updates."""

    def __init__(self, terms: dict[str, int], runs: list[np.ndarray], docs: array, weights: array) -> None:
        """`runs[k]` are the term ids of one field of procedure `docs[k]`, of weight `weights[k]`."""
        lengths = np.fromiter((r.size for r in runs), dtype=np.int64, count=len(runs))
        t = np.concatenate(runs) if runs else np.zeros(0, dtype=np.int32)
        d = np.repeat(np.frombuffer(docs, dtype=np.int32), lengths)
        w = np.repeat(np.frombuffer(weights, dtype=np.float32), lengths)
        order = np.lexsort((w, d, t))  # by term, then doc, then weight: the last of a (term, doc) run is its max
        t, d, w = t[order], d[order], w[order]
        last = np.ones(t.size, dtype=bool)
        last[:-1] = (t[1:] != t[:-1]) | (d[1:] != d[:-1])
        self.docs, self.weights, t = d[last].copy(), w[last].copy(), t[last]
        self.offsets = np.searchsorted(t, np.arange(len(terms) + 1)).astype(np.int64)
        self.terms = terms

    def get(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        tid = self.terms.get(term)
        if tid is None:
            return None
        start, end = self.offsets[tid], self.offsets[tid + 1]
        return self.docs[start:end], self.weights[start:end]

    def doc_count(self, term: str) -> int:
        tid = self.terms.get(term)
        return 0 if tid is None else int(self.offsets[tid + 1] - self.offsets[tid])


@dataclass(frozen=True)
class _Logistic:
    coef: np.ndarray
    intercept: float

    def probability(self, z: np.ndarray) -> float:
        return 1 / (1 + math.exp(-float(z @ self.coef + self.intercept)))


@dataclass(frozen=True)
class _Trees:
    """Gradient-boosted regression trees (bench/search_fit.py, scikit-learn's
    GradientBoostingClassifier), each stored complete to `depth` so that all trees step down
    together: node k's children are 2k+1 (feature <= threshold) and 2k+2; a leaf above the last
    level was padded with an always-left split. The probability is the logistic of `base` plus the
    leaves reached (learning rate already applied)."""

    feature: np.ndarray  # (trees, 2**depth - 1) feature index of each split
    threshold: np.ndarray  # (trees, 2**depth - 1)
    leaf: np.ndarray  # (trees, 2**depth) value of each leaf
    base: float
    depth: int

    @classmethod
    def from_json(cls, raw: dict) -> _Trees:
        return cls(np.array(raw["feature"], dtype=np.intp), np.array(raw["threshold"]), np.array(raw["leaf"]),
                   float(raw["base"]), int(raw["depth"]))  # fmt: skip

    def probability(self, z: np.ndarray) -> float:
        rows = np.arange(self.feature.shape[0])
        node = np.zeros(rows.size, dtype=np.intp)
        for _ in range(self.depth):
            node = 2 * node + 1 + (z[self.feature[rows, node]] > self.threshold[rows, node])
        margin = self.base + float(self.leaf[rows, node - (2**self.depth - 1)].sum())
        return 1 / (1 + math.exp(-margin))


def _model(raw: dict) -> _Logistic | _Trees:
    if "trees" in raw:
        return _Trees.from_json(raw["trees"])
    return _Logistic(np.array(raw["coef"]), float(raw["intercept"]))


@dataclass(frozen=True)
class _Refusal:
    """Two models over the same standardised evidence: `answer`, the probability that a right
    procedure is among the first five (below `threshold` the answer is "nothing credible"; boosted
    trees, or a logistic model), and `best`, the probability that the first one is right
    (Hit.confidence, logistic: a caller asks "which one?" when it is low although the list is
    credible)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    answer: _Logistic | _Trees
    best: _Logistic | _Trees
    threshold: float

    @classmethod
    def load(cls, path: Path = REFUSAL_PATH) -> _Refusal | None:
        if not path.exists():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        if tuple(raw["features"]) != FEATURES or not {"answer", "best"} <= raw.keys():
            return None  # fitted for another feature set or format: refit with bench/search_fit.py
        return cls(tuple(raw["features"]), np.array(raw["mean"]), np.array(raw["scale"]), _model(raw["answer"]),
                   _model(raw["best"]), float(raw["threshold"]))  # fmt: skip

    def probabilities(self, x: np.ndarray) -> tuple[float, float]:
        """(a right answer in the first five, the first one right)."""
        z = (x - self.mean) / self.scale
        return self.answer.probability(z), self.best.probability(z)


@dataclass(frozen=True)
class _Reranker:
    """A linear model over CANDIDATE_FEATURES, fitted by bench/search_fit.py on the development
    sets (pairwise: a right candidate against a wrong one of the same query): it reorders the hand
    ranking's first RERANK_TOP by the weighted sum."""

    coef: np.ndarray

    @classmethod
    def load(cls, path: Path = RERANK_PATH) -> _Reranker | None:
        if not path.exists():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        if tuple(raw["features"]) != CANDIDATE_FEATURES:
            return None  # fitted for another feature set: refit with bench/search_fit.py
        return cls(np.array(raw["coef"]))

    def scores(self, x: np.ndarray) -> np.ndarray:
        return x @ self.coef


# What the re-ranking weighs per candidate: the hand score and its parts, how much of the query
# the candidate's name (or aliases) and results hold, its place in the hand ranking.
CANDIDATE_FEATURES = (
    "score", "coverage", "pairs", "explained", "name_weight_explained", "phrase_pairs", *VARIANT_SIGNALS,
    "prior", "codeless", "name_length", "in_name", "in_results", "in_other", "central_only", "has_alias",
)  # fmt: skip

FEATURES = (
    "coverage", "known_share", "known_concepts", "pairs", "has_pairs", "margin", "lexicon_match",
    "rarest_matched", "explained", "guessed_share", "context_share", "rare_unmatched", "variant", "unmatched_share",
    "matched_weight", "best_score", "name_weight_explained", "phrase_match", "core_matched",
    "tied", "strong_share", "life_match", "learned_best", "learned_margin", "off_topic", "name_pairs",
    "name_pairs_short",
)  # fmt: skip
NAME_PAIRS_CAP = 2.0
LONG_QUERY = 4  # concepts from which a query is long enough for its name pairs to be weighed apart
LEARNED_MARGIN_CAP = 2.0
TIED_SCALE = 3000  # procedures tied with the best are counted on the scale of the national list


class _Built:
    def __init__(self, catalog: Catalog) -> None:
        procedures = list(catalog.procedures.values())
        self.codes = [p.code for p in procedures]
        self.size = len(procedures)
        group_names = {g.id: g.name for g in catalog.groups.values()}
        lexicon = default_lexicon()
        word_ids: dict[str, int] = {}
        pair_ids: dict[str, int] = {}
        # Per field of each procedure: its words' ids and its pairs' ids, each text encoded once
        # (a big catalog repeats names, results, fields and groups across procedures).
        w_runs: list[np.ndarray] = []
        p_runs: list[np.ndarray] = []
        w_d, w_w, p_d, p_w = array("i"), array("f"), array("i"), array("f")
        encoded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        marked: set[str] = set()  # every indexed word as written, with its marks
        self.name_words: list[frozenset[str]] = []
        self.actions: list[str] = []
        self.restrictions: list[tuple[str, ...]] = []
        phrase_docs: Counter[tuple[str, ...]] = Counter()
        seen_names: dict[str, tuple[frozenset[str], str, tuple[str, ...], bool, frozenset[str], bool]] = {}
        self.first_issue: list[bool] = []
        self.subjects: list[frozenset[str]] = []
        for_organisations: list[bool] = []
        for doc, p in enumerate(procedures):
            documents = (" ".join(d.name.split()[:DOCUMENT_WORDS]) for d in p.documents[:DOCUMENTS])
            fields = [(NAME, p.name), *((ALIAS, a) for a in p.aliases), *((RESULT, r.name) for r in p.results[:3]),
                      (FIELD, p.field or ""), *((EVENT, group_names.get(g, "")) for g in p.life_events),
                      *((DOCUMENT, d) for d in documents)]  # fmt: skip
            for weight, text in fields:
                if (runs := encoded.get(text)) is None:
                    marked.update(marked_words(text))
                    seq = _spelled_out(tokens(text), lexicon)
                    runs = encoded[text] = (
                        np.array([word_ids.setdefault(w, len(word_ids)) for w in seq], dtype=np.int32),
                        np.array([pair_ids.setdefault(f"{a} {b}", len(pair_ids)) for a, b in itertools.pairwise(seq)],
                                 dtype=np.int32),
                    )  # fmt: skip
                w_runs.append(runs[0])
                w_d.append(doc)
                w_w.append(weight)
                if weight >= RESULT:
                    p_runs.append(runs[1])
                    p_d.append(doc)
                    p_w.append(weight)
            # Procedures of a big catalog share names (a province's copies of national ones): parse each once.
            known = seen_names.get(p.name)
            if known is None:
                seq = tokens(p.name)
                folded = " ".join(seq)
                plain = " ".join(tokens(_PARENTHESES.sub(" ", p.name)))
                known = seen_names[p.name] = (
                    frozenset(plain.split()) - _NAME_FILLER,
                    _doc_action(folded),
                    _restrictions(folded, plain),
                    _contains(folded, "lan dau"),
                    frozenset(k for k, phrases in _SUBJECTS.items() if any(_contains(folded, w) for w in phrases)),
                    _for_organisations(p.subjects),
                )
                _count_phrases(seq, phrase_docs)
            self.name_words.append(known[0])
            self.actions.append(known[1])
            self.restrictions.append(known[2])
            self.first_issue.append(known[3])
            self.subjects.append(known[4])
            for_organisations.append(known[5])
        self.prose_idf = self._prose_idf(procedures)
        self.for_organisations = np.array(for_organisations, dtype=bool)
        self.words = _Postings(word_ids, w_runs, w_d, w_w)
        self.pairs = _Postings(pair_ids, p_runs, p_d, p_w)
        # idf from how many procedures name the word anywhere: "dang", "ky", "cap" weigh little.
        self.idf = {w: math.log(1 + self.size / self.words.doc_count(w)) for w in word_ids}
        self.max_idf = math.log(1 + self.size)
        self.bonus = np.array([_prior(p) for p in procedures], dtype=np.float32)
        self.codeless = np.array([c.startswith("LOCAL-") for c in self.codes])
        # Done only at a ministry (no commune or province level) and given no everyday name by the
        # records: after the local ones. (The records name the few ministry-level procedures
        # citizens go through, the driving licence among them: those are not set back.)
        self.central_only = np.array([set(p.level_keys) == {"bo"} and not p.aliases for p in procedures])
        self.has_alias = np.array([bool(p.aliases) for p in procedures])
        bigrams = {key: n for key in pair_ids if (n := self.pairs.doc_count(key)) >= 2}
        self.parser = QueryParser(
            set(word_ids), compounds=self._compounds(),
            abbreviations=_abbreviations(phrase_docs, set(word_ids), lexicon), bigrams=bigrams,
            marked_vocabulary=frozenset(marked),
        )  # fmt: skip
        self.refusal = _Refusal.load()
        self.reranker = _Reranker.load() if os.environ.get("TRACUU_SEARCH_RERANK", "1") != "0" else None
        # Which procedures belong to each life concept: by field (prefix) or life-event group.
        fields = {f: " ".join(tokens(f)) for f in {p.field or "" for p in procedures}}
        self.life_docs = {}
        for name, prefixes in lexicon.concept_fields.items():
            starts = tuple(" ".join(tokens(prefix)) for prefix in prefixes)
            events = set(lexicon.concept_events.get(name, ()))
            field_in = {f for f, folded in fields.items() if folded.startswith(starts)}
            self.life_docs[name] = np.array(
                [(p.field or "") in field_in or bool(events.intersection(p.life_events)) for p in procedures]
            )

    def _prose_idf(self, procedures: list[Procedure]) -> dict[str, float]:
        """idf of each word over the catalog's own prose (documents, steps, conditions, subjects):
        a word the records use freely in their prose but rarely in names ("trước", "tháng", "một",
        "hết", "nhà") is everyday language, and says little about which procedure a query means
        ("chặt cây xanh trước nhà", "quán nghỉ tết một tháng"). Counted once per distinct name: a
        province's copies of national procedures say the same, and a big catalog must not cost
        more time or memory here than the national list does."""
        df: Counter[str] = Counter()
        names: set[str] = set()
        for p in procedures:
            if p.name in names:
                continue
            names.add(p.name)
            words: set[str] = set()
            for text in (*(d.name for d in p.documents), *p.steps, p.conditions or "", p.subjects or ""):
                words.update(tokens(text))
            df.update(words)
        return {w: math.log(1 + len(names) / n) for w, n in df.items()}

    def _compounds(self) -> frozenset[tuple[str, str]]:
        """Adjacent words the catalog mostly writes together, in many procedures ("đăng ký", "thay
        đổi", "giấy phép"): one word of two syllables, weighed once rather than twice."""
        out = set()
        for key in self.pairs.terms:
            docs = self.pairs.doc_count(key)
            if docs < COMPOUND_MIN_DOCS:
                continue
            a, b = key.split()
            if (
                a.isalpha()
                and b.isalpha()
                and docs >= COMPOUND_SHARE * min(self.words.doc_count(a), self.words.doc_count(b))
            ):
                out.add((a, b))
        return frozenset(out)

    def _idf(self, token: str) -> float:
        return self.idf.get(token, self.max_idf)

    def _alternative_scores(self, alt: Alternative) -> np.ndarray:
        """0..1 per procedure: the idf share of the alternative's words it contains (field-weighted),
        blended with the share of its adjacent pairs (phrase order) when there are any."""
        total = np.zeros(self.size, dtype=np.float32)
        idf_sum = 0.0
        for t in alt.tokens:
            idf = self._idf(t)
            idf_sum += idf
            posting = self.words.get(t)
            if posting is not None:
                ids, weights = posting
                total[ids] += weights * idf
        score = total / max(idf_sum, 1e-6)
        if len(alt.tokens) > 1:
            # A phrase ("sổ đỏ", "đăng ký khai tử") counts whole and in order: its words scattered
            # over a name ("số", "độ"; "đăng ký khai thác tuyến") are worth little.
            pair_share = self._pair_share([f"{a} {b}" for a, b in itertools.pairwise(alt.tokens)])
            score = score * score * (0.15 + 0.85 * pair_share * pair_share)
        return score * alt.confidence

    def _word_weight(self, word: str) -> float:
        """A catalog word's weight: its idf, at most PROSE_FACTOR times its idf over the prose."""
        return min(self.idf.get(word, 0.0), PROSE_FACTOR * self.prose_idf.get(word, self.max_idf))

    def _concept_weight(self, concept: Concept) -> float:
        known = [self.idf[t] for alt in concept.alternatives for t in alt.tokens if t in self.idf]
        first = concept.alternatives[0]
        if first.phrase or first.why == "abbreviation":
            # A colloquial phrase or abbreviation ("cmnd", "để cưới") is absent from the catalog, so
            # its words would weigh as the rarest there are: weigh what the catalog knows of its spellings.
            weight = max(known, default=0.0)
        else:
            weight = max((self._word_weight(t) for t in first.tokens), default=0.0) or max(known, default=0.0)
        # Who it is for and when ("cho mẹ", "em bé", "hết hạn") are rare words, so idf would make
        # them the heaviest part of the query; procedure names rarely say them.
        return weight * CONTEXT_WEIGHT if concept.context else weight

    def _pair_share(self, keys: list[str]) -> np.ndarray:
        """Per procedure, the field-weighted share of these adjacent word pairs it contains."""
        found = np.zeros(self.size, dtype=np.float32)
        for key in keys:
            posting = self.pairs.get(key)
            if posting is not None:
                ids, weights = posting
                found[ids] += weights
        return found / len(keys)

    def _pair_weight_share(self, concepts: list[Concept], weights: np.ndarray) -> float:
        """The share of the query's weight that the pairs _pair_coverage counts are made of: "ngân
        hàng" is one pair of a query mostly made of a phrase ("chuyển lĩnh lương hưu từ tiền mặt
        sang tài khoản ngân hàng"), and must not weigh as if it were the whole query."""
        spanned = np.zeros(len(concepts), dtype=bool)
        for k, (left, right) in enumerate(itertools.pairwise(concepts)):
            if not (left.context or right.context or left.alternatives[0].phrase or right.alternatives[0].phrase):
                spanned[k : k + 2] = True
        return float(weights[spanned].sum() / max(float(weights.sum()), 1e-6))

    def _pair_coverage(self, concepts: list[Concept]) -> np.ndarray | None:
        """Share of the query's adjacent word pairs found adjacent in a procedure's name, aliases or
        results. Vietnamese words are mostly two syllables: "giá xăng" must not be found in "gia công xăng
        dầu", where both syllables occur but not as the word the citizen meant. A repaired word's
        pair counts in whichever of its spellings the procedure has ("pho thng": "phổ thông")."""
        found, count = np.zeros(self.size, dtype=np.float32), 0
        for left, right in itertools.pairwise(concepts):
            if left.context or right.context:
                continue
            if left.alternatives[0].phrase or right.alternatives[0].phrase:
                continue  # a lexicon phrase's neighbours are scored by _phrase_pairs (a bonus only)
            count += 1
            spellings = {f"{a.tokens[-1]} {b.tokens[0]}" for a in left.alternatives for b in right.alternatives}
            found += np.max([self._pair_share([key]) for key in sorted(spellings)], axis=0)
        return found / count if count else None

    def _phrase_pairs(self, concepts: list[Concept], candidates: np.ndarray) -> np.ndarray:
        """Per candidate, a bonus for each lexicon phrase written next to its neighbour as the query
        has them ("chứng thực" + "bản sao"), when both are the catalog's own wording. A bonus, not a
        share of the coverage: a colloquial phrase ("sổ đỏ", "làm lại") borders whatever the catalog
        writes next to its words by accident ("lại giấy"), so a missing pair proves nothing."""
        bonus = np.zeros(candidates.size, dtype=np.float32)
        for left, right in itertools.pairwise(concepts):
            if left.context or right.context or not (left.alternatives[0].phrase or right.alternatives[0].phrase):
                continue
            if not (self._literal(left) and self._literal(right)):
                continue
            posting = self.pairs.get(f"{left.alternatives[0].tokens[-1]} {right.alternatives[0].tokens[0]}")
            if posting is not None:
                bonus += PHRASE_PAIR_BONUS * np.isin(candidates, posting[0])
        return np.minimum(bonus, 2 * PHRASE_PAIR_BONUS)

    def _literal(self, concept: Concept) -> bool:
        """The concept as typed is how the catalog words it: one word, or a phrase whose adjacent
        words the catalog writes together in several procedures."""
        typed = concept.alternatives[0].tokens
        return all(self.pairs.doc_count(f"{a} {b}") >= LITERAL_MIN_DOCS for a, b in itertools.pairwise(typed))

    @staticmethod
    def _asked(restriction: str, folded: str, ages: list[int]) -> bool:
        band = dict(_AGE_BANDS).get(restriction)
        if band is not None and ages:
            # The narrowest band the age falls in: "con 15 tuổi" is no under-14 card, "bé 10 tuổi"
            # is, "bé 5 tuổi" is an under-6 one.
            fitting = [b for _, b in _AGE_BANDS if min(ages) < b]
            return bool(fitting) and band == min(fitting)
        return any(_contains(folded, w) for w in _RESTRICTIONS[restriction])

    def _variant_adjustment(
        self, folded: str, candidates: np.ndarray, life: set[str], spelled: str = "", marked: str | None = None
    ) -> np.ndarray:
        """Per candidate: the common case first, the variant asked for when the query names one, and
        procedures of the life concept the query's phrases belong to ("sổ đỏ": land) before others.
        One column per signal (VARIANT_SIGNALS), each already weighted: the hand ranking adds them
        up, the learned re-ranking weighs them apart. `spelled`: the query's words with what its
        lexicon phrases spell out (whom it is for may be said either way)."""
        out = np.zeros((candidates.size, len(VARIANT_SIGNALS)), dtype=np.float32)
        said = f"{folded} ~ {spelled}"
        subjects = {k for k, phrases in _SUBJECTS.items() if any(_contains(said, w) for w in phrases)}
        organisation_asked = any(_contains(said, w) for w in _ORGANISATIONS)
        wanted = query_action(folded, marked)
        ages = [int(a) for a in _AGE.findall(folded)]
        # Variants asked for by words (an age alone says no more than which age band fits).
        wanted_restrictions = {r for r, words in _RESTRICTIONS.items() if any(_contains(folded, w) for w in words)}
        wanted_restrictions -= {"duoi 06 tuoi", "duoi 6 tuoi", "duoi 14 tuoi", *_DEMOTE_ONLY}
        in_life = np.zeros(self.size, dtype=bool)
        for name in life:
            if name in self.life_docs:
                in_life |= self.life_docs[name]
        for i, doc in enumerate(candidates):
            action = self.actions[doc]
            if wanted is not None and action in wanted:
                out[i, 0] += VARIANT_MATCH
            elif action != "new" and wanted is not None:
                out[i, 0] -= VARIANT_MISMATCH
            elif action != "new":
                out[i, 0] -= VARIANT_MISMATCH / 2  # asked for nothing in particular: first issue first
            if self.restrictions[doc]:
                # A restricted variant comes first only when the query asks for all it is restricted to.
                asked = all(self._asked(r, folded, ages) for r in self.restrictions[doc])
                out[i, 1] += RESTRICTED_ASKED if asked else -RESTRICTED_UNASKED
            # ... and when the query asks for a variant, the procedures without it come after.
            out[i, 2] -= ASKED_MISSING * sum(1 for r in wanted_restrictions if r not in self.restrictions[doc])
            if self.first_issue[doc] and (wanted is None or "new" in wanted):
                # The "lần đầu" procedure first when nothing else is asked, more so when it is.
                out[i, 3] += FIRST_ISSUE if wanted is None else 2 * FIRST_ISSUE
            if in_life[doc]:
                out[i, 4] += LIFE_BONUS
            if self.subjects[doc]:
                # A name for a household, an enterprise or a cooperative: first when the query is
                # about that one, after the others when it names another or none.
                if subjects & self.subjects[doc]:
                    out[i, 5] += SUBJECT_MATCH
                else:
                    out[i, 5] -= SUBJECT_MISMATCH if subjects else SUBJECT_MISMATCH / 3
            if self.for_organisations[doc] and not organisation_asked:
                out[i, 6] -= ORGANISATIONS_ONLY
        return out

    def hits(self, query: str, limit: int, offset: int = 0, credible_only: bool = True) -> list[Hit]:
        ranking = self.rank(query, offset + limit)
        if ranking is None:
            return []
        ranked, x = ranking
        if self.refusal is None:
            credible = x[0] >= FALLBACK_MIN_COVERAGE
            confidence = float(credible)
        else:
            answer, confidence = self.refusal.probabilities(x)
            credible = answer >= self.refusal.threshold
        if credible_only and not credible:
            return []
        return [
            Hit(code, score, cov, why, round(confidence, 4), credible)
            for code, score, cov, why in ranked[offset : offset + limit]
        ]

    def rank(
        self, query: str, upto: int = 10, head_out: list | None = None
    ) -> tuple[list[tuple[str, float, float, tuple[str, ...]]], np.ndarray] | None:
        """The first `upto` of the ranking (code, score, coverage, how it matched), and the refusal
        model's evidence for its best hit; None when no catalog word was typed. With `head_out`
        (the re-ranking's fit), the hand ranking's first RERANK_TOP codes and their
        CANDIDATE_FEATURES are appended to it."""
        parsed = [c for c in self.parser.parse(query) if c.alternatives]
        content = [c for c in parsed if c.alternatives[0].why != "number"]
        concepts = [c for c in content if c.alternatives[0].why != "unknown"]
        if not concepts or all(c.alternatives[0].why == "typo" for c in concepts):
            return None  # nothing typed is a catalog word: an answer made only of guesses is not credible
        weights = np.array([self._concept_weight(c) for c in concepts], dtype=np.float32)
        if weights.sum() <= 0:
            return None
        coverage = np.zeros(self.size, dtype=np.float32)
        per_concept: list[tuple[np.ndarray, _Which]] = []
        for concept, weight in zip(concepts, weights, strict=True):
            if len(concept.alternatives) == 1:
                best = self._alternative_scores(concept.alternatives[0])
                which = _Which(None)
            else:
                alt_scores = np.stack([self._alternative_scores(a) for a in concept.alternatives])
                best, which = alt_scores.max(axis=0), _Which(alt_scores)
            coverage += weight * best
            per_concept.append((best, which))
        coverage /= weights.sum()
        pairs = self._pair_coverage(concepts)
        if pairs is not None:
            share = PAIR_SHARE * self._pair_weight_share(concepts, weights) ** PAIR_SPAN
            coverage = (1 - share) * coverage + share * pairs
        top = float(coverage.max(initial=0.0))
        if top <= 0:
            return None
        # Weaker matches may follow the best in the list: "đăng ký khai sinh cho trẻ" is best
        # answered by the joint birth procedures, then by the plain one.
        candidates = np.flatnonzero(coverage >= FOLLOWER_SHARE * top)
        if candidates.size > RERANK:
            candidates = candidates[np.argpartition(-coverage[candidates], RERANK)[:RERANK]]
        query_words = {t for c in concepts for a in c.alternatives for t in a.tokens}
        folded = " ".join(w for c in parsed for w in c.typed.split())
        marked = " ".join(
            c.marked.lower() if len(c.marked.split()) == len(c.typed.split()) else c.typed for c in parsed
        )
        life = {name for c in concepts for name in c.life}
        spelled = " ~ ".join(" ".join(a.tokens) for c in concepts for a in c.alternatives)
        signals = self._variant_adjustment(folded, candidates, life, spelled, marked)
        phrase_pairs = self._phrase_pairs(concepts, candidates)
        adjust = signals.sum(axis=1) + phrase_pairs
        explained = np.array([len(self.name_words[d] & query_words) / max(len(self.name_words[d]), 1)
                              for d in candidates], dtype=np.float32)  # fmt: skip
        scores = coverage[candidates] + 0.25 * explained + self.bonus[candidates] + adjust
        order = sorted(range(candidates.size), key=lambda i: (-scores[i], self.codes[candidates[i]]))
        if self.reranker is not None or head_out is not None:
            head = order[:RERANK_TOP]
            cx = self.candidate_features(concepts, weights, per_concept, coverage, pairs, candidates, scores, head,
                                         explained, signals, phrase_pairs)  # fmt: skip
            if head_out is not None:
                head_out.append(([self.codes[int(candidates[i])] for i in head], cx))
        if self.reranker is not None:
            learned = self.reranker.scores(cx)
            # Stable: equal learned scores keep the hand order.
            head = [head[k] for k in sorted(range(len(head)), key=lambda k: -learned[k])]
            order = head + order[RERANK_TOP:]
        else:  # the hand scores stand in (the re-ranking's own fit, or TRACUU_SEARCH_RERANK=0)
            learned = scores[np.array(order[:RERANK_TOP])]
        order = self._openable_first(candidates, order, concepts, per_concept, coverage)
        first = int(candidates[order[0]])
        life_match = (
            (1.0 if any(self.life_docs[n][first] for n in life if n in self.life_docs) else -1.0) if life else 0.0
        )
        # The learned score of the best and its lead over the runner-up: how much better than the
        # rest the best fits, as the re-ranking judges fit.
        ranked_learned = np.sort(np.asarray(learned, dtype=np.float64))[::-1]
        lead = float(ranked_learned[0] - ranked_learned[1]) if ranked_learned.size > 1 else LEARNED_MARGIN_CAP
        # Off-topic phrases (prices, opinions, shops...) that the best hit's name does not hold.
        name = self.name_words[first] | _NAME_FILLER
        strays = sum(1 for phrase in off_topic(query, self.parser.lexicon) if not set(phrase) <= name)
        x = self.features(concepts, content, weights, per_concept, coverage, pairs, candidates, scores, order,
                          float(explained[order[0]]), float(adjust[order[0]]), life_match,
                          (float(ranked_learned[0]), min(lead, LEARNED_MARGIN_CAP), min(strays, 2)))  # fmt: skip
        ranked = [
            (self.codes[doc := int(candidates[i])], round(float(scores[i]), 4), round(float(coverage[doc]), 4),
             self._why(concepts, per_concept, doc))
            for i in order[:upto]
        ]  # fmt: skip
        return ranked, x

    def _openable_first(
        self, candidates: np.ndarray, order: list[int], concepts: list[Concept], per_concept: list, coverage: np.ndarray
    ) -> list[int]:
        """A code-less record (LOCAL-…) cannot be opened on the national portal from its card: it is
        never the first answer while one that can, and answers the same thing, follows it in the
        first five (it matches every lexicon phrase the record matches, with most of its coverage)."""
        local = int(candidates[order[0]])
        if not self.codeless[local]:
            return order
        phrases = [best for c, (best, _) in zip(concepts, per_concept, strict=True) if c.alternatives[0].phrase]
        for k, i in enumerate(order[1:5], start=1):
            doc = int(candidates[i])
            if self.codeless[doc] or coverage[doc] < 0.75 * coverage[local]:
                continue
            if all(best[doc] >= 0.5 or best[local] < 0.5 for best in phrases):
                return [i, *order[:k], *order[k + 1 :]]
        return order

    def _field_weights(self, alt: Alternative, docs: np.ndarray) -> np.ndarray:
        """tokens x docs: the weight of the field each token of the alternative is found in (0 when
        absent); the postings keep each (word, procedure)'s best field."""
        out = np.zeros((len(alt.tokens), docs.size), dtype=np.float32)
        for k, t in enumerate(alt.tokens):
            posting = self.words.get(t)
            if posting is None:
                continue
            ids, w = posting
            pos = np.minimum(np.searchsorted(ids, docs), ids.size - 1)
            found = ids[pos] == docs
            out[k, found] = w[pos[found]]
        return out

    def candidate_features(
        self,
        concepts: list[Concept],
        weights: np.ndarray,
        per_concept: list[tuple[np.ndarray, _Which]],
        coverage: np.ndarray,
        pairs: np.ndarray | None,
        candidates: np.ndarray,
        scores: np.ndarray,
        head: list[int],
        explained: np.ndarray,
        signals: np.ndarray,
        phrase_pairs: np.ndarray,
    ) -> np.ndarray:
        """CANDIDATE_FEATURES of the candidates at `head` (positions in `candidates`), hand order."""
        idx = np.array(head)
        docs = candidates[idx].astype(np.int64)
        total = max(float(weights.sum()), 1e-6)
        # Per field, the query's weight matched there: each concept by its best alternative for the
        # candidate, each of its tokens by the best field holding it.
        fields = np.zeros((3, docs.size), dtype=np.float32)
        columns = np.arange(docs.size)
        for concept, weight, (_, which) in zip(concepts, weights, per_concept, strict=True):
            shares = np.zeros((len(concept.alternatives), 3, docs.size), dtype=np.float32)
            for k, alt in enumerate(concept.alternatives):
                f = self._field_weights(alt, docs)
                shares[k] = ((f >= NAME).mean(axis=0), ((f >= RESULT) & (f < NAME)).mean(axis=0),
                             ((f > 0) & (f < RESULT)).mean(axis=0))  # fmt: skip
            chosen = np.array([which[int(doc)] for doc in docs]) if len(concept.alternatives) > 1 else 0
            fields += weight * shares[chosen, :, columns].T
        query_words = {t for c in concepts for a in c.alternatives for t in a.tokens}
        name_explained = []
        for doc in docs:
            name_w = {w: self._word_weight(w) for w in self.name_words[int(doc)]}
            name_explained.append(
                sum(v for w, v in name_w.items() if w in query_words) / max(sum(name_w.values()), 1e-6)
            )
        head_scores = scores[idx]
        return np.column_stack([
            head_scores, coverage[docs], pairs[docs] if pairs is not None else np.zeros(docs.size),
            explained[idx], np.array(name_explained), phrase_pairs[idx], signals[idx],
            self.bonus[docs], self.codeless[docs].astype(np.float32),
            np.array([min(len(self.name_words[int(d)]), 30) / 30 for d in docs]),
            fields[0] / total, fields[1] / total, fields[2] / total,
            self.central_only[docs].astype(np.float32), self.has_alias[docs].astype(np.float32),
        ]).astype(np.float64)  # fmt: skip

    def features(
        self,
        concepts: list[Concept],
        content: list[Concept],
        weights: np.ndarray,
        per_concept: list[tuple[np.ndarray, _Which]],
        coverage: np.ndarray,
        pairs: np.ndarray | None,
        candidates: np.ndarray,
        scores: np.ndarray,
        order: list[int],
        explained: float,
        variant: float,
        life: float = 0.0,
        extra: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> np.ndarray:
        """The evidence the refusal model weighs, in FEATURES order. `variant`: the best hit's
        variant and life-concept adjustment (negative when it is a variant the query did not ask for);
        `extra`: the learned score of the best, its lead over the runner-up, off-topic phrases."""
        doc = int(candidates[order[0]])
        matched = np.array([best[doc] for best, _ in per_concept], dtype=np.float32)
        total = float(weights.sum())
        lexicon = any(
            matched[k] > 0
            and (concept.alternatives[0].phrase or concept.alternatives[int(which[doc])].why == "abbreviation")
            for k, (concept, (_, which)) in enumerate(zip(concepts, per_concept, strict=True))
        )
        rarest = max((self._concept_weight(c) for c, m in zip(concepts, matched, strict=True) if m > 0.5), default=0.0)
        unmatched = max((self._concept_weight(c) for c, m in zip(concepts, matched, strict=True) if m < 0.2),
                        default=0.0)  # fmt: skip
        guessed = sum(w for c, w in zip(concepts, weights, strict=True) if c.alternatives[0].why == "typo")
        context = sum(w for c, w in zip(concepts, weights, strict=True) if c.context)
        missed = sum(w for w, m in zip(weights, matched, strict=True) if m < 0.2)
        margin = float(scores[order[0]] - scores[order[1]]) if len(order) > 1 else 0.5
        # How much of the best name's distinctive meaning the query asks for, each name word by its
        # weight (so "thực hiện tại cấp tỉnh" and other boilerplate count little).
        query_words = {t for c in concepts for a in c.alternatives for t in a.tokens}
        name_w = {w: self._word_weight(w) for w in self.name_words[doc]}
        name_explained = sum(v for w, v in name_w.items() if w in query_words) / max(sum(name_w.values()), 1e-6)
        # The best graded evidence of a lexicon phrase or a multiword concept, and how the query's
        # heaviest concept is matched.
        phrase = max((float(m) for c, m in zip(concepts, matched, strict=True)
                      if len(c.alternatives[0].tokens) > 1 or c.alternatives[0].phrase), default=0.0)  # fmt: skip
        core = float(matched[int(np.argmax(weights))])
        # How many procedures the query's words fit as well as the best: a category ("đất đai",
        # "việc làm") fits hundreds alike and names no one procedure.
        # Counted, not as a share of the catalog: in a catalog of a few records everything ties.
        tied = min(math.log1p(int(np.count_nonzero(coverage >= 0.98 * coverage[doc]))) / math.log1p(TIED_SCALE), 1.0)
        # The share of the query's weight the best matches well (half its idf or more).
        strong = float(weights @ (matched >= 0.5)) / total
        return np.array([
            float(coverage[doc]), len(concepts) / max(len(content), 1), min(len(concepts), 5) / 5,
            float(pairs[doc]) if pairs is not None else 0.0, float(pairs is not None), min(margin, 0.5),
            float(lexicon), rarest / self.max_idf, explained, guessed / total, context / total,
            unmatched / self.max_idf, variant, missed / total,
            min(float(weights @ matched) / self.max_idf, 3.0),
            float(scores[order[0]]), name_explained, phrase, core, tied,
            strong, life, *extra, *self._name_pairs_by_length(concepts, per_concept, doc),
        ], dtype=np.float64)  # fmt: skip

    def _name_pairs_by_length(
        self, concepts: list[Concept], per_concept: list[tuple[np.ndarray, _Which]], doc: int
    ) -> tuple[float, float]:
        """_name_pairs apart for long queries and short ones (fewer than LONG_QUERY concepts): a
        short query has few pairs to give, and that says little against its answer."""
        found = self._name_pairs(concepts, per_concept, doc)
        return (found, 0.0) if len(concepts) >= LONG_QUERY else (0.0, found)

    def _name_pairs(self, concepts: list[Concept], per_concept: list[tuple[np.ndarray, _Which]], doc: int) -> float:
        """The query's adjacent words (each concept as it matched the procedure, context left out)
        that the procedure's name or aliases write side by side, each pair by its rarer word's
        weight: evidence that does not thin out as a long question adds everyday words around it
        ("cây xanh trước nhà sắp đổ muốn xin chặt": "cây xanh" is the name's own phrase)."""
        seq: list[str | None] = []
        for concept, (best, which) in zip(concepts, per_concept, strict=True):
            if concept.context or best[doc] <= 0:
                seq.append(None)  # a break: no pair across a context word or an unmatched one
                continue
            seq += concept.alternatives[which[doc]].tokens
        total = 0.0
        for a, b in {(a, b) for a, b in itertools.pairwise(seq) if a is not None and b is not None}:
            posting = self.pairs.get(f"{a} {b}")
            if posting is None:
                continue
            ids, weights = posting
            k = int(np.searchsorted(ids, doc))
            if k < ids.size and ids[k] == doc and weights[k] >= ALIAS:
                total += min(self._word_weight(a), self._word_weight(b)) / self.max_idf
        return min(total, NAME_PAIRS_CAP)

    @staticmethod
    def _why(concepts: list[Concept], per_concept: list[tuple[np.ndarray, _Which]], doc: int) -> tuple[str, ...]:
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
_VOWELS = frozenset("aeiouy")
_EXPANDED = frozenset({"synonym", "abbreviation"})  # alternatives that are not the words typed


def _spelled_out(seq: list[str], lexicon: Lexicon) -> list[str]:
    """The words of a name or alias with its abbreviations also spelled out as the lexicon spells
    them ("chuyển trường THPT" also reads "trung học phổ thông", "công ty TNHH" "trách nhiệm hữu
    hạn"), so a query in full words finds what the record abbreviates."""
    out: list[str] = []
    for word in seq:
        out.append(word)
        expansions = lexicon.synonyms.get((word,)) if not is_syllable(word) else None
        if expansions:
            out += [w for w in expansions[0] if w != word]
    return out


def _count_phrases(seq: list[str], counts: Counter[tuple[str, ...]]) -> None:
    """Count, once per name, the runs of 2-6 words it contains: the candidates for abbreviations."""
    words = [w for w in seq if w.isalpha()]
    counts.update({tuple(words[i : i + n]) for n in range(2, 7) for i in range(len(words) - n + 1)})


def _lexicon_mentions(lexicon: Lexicon) -> Counter[tuple[str, ...]]:
    """How many lexicon entries (an everyday phrase with what it spells out) hold each run of 2-6
    words: how much citizens talk about it. "khai sinh" is in dozens, "khoáng sản" in a few."""
    mentions: Counter[tuple[str, ...]] = Counter()
    for key, expansions in lexicon.synonyms.items():
        mentions.update(
            {ph[i : i + n] for ph in (key, *expansions) for n in range(2, 7) for i in range(len(ph) - n + 1)}
        )
    return mentions


def _abbreviations(
    phrase_docs: Counter[tuple[str, ...]], vocabulary: set[str], lexicon: Lexicon | None = None
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Initials of the catalog's frequent phrases and of the lexicon's phrases -> those phrases,
    three at most: "gcn" -> giấy chứng nhận, "qsdd" -> quyền sử dụng đất, "tncn" -> thu nhập cá
    nhân, "htx" -> hợp tác xã. Catalog phrases only when they name several procedures. The phrases
    citizens talk about most (in the most lexicon entries) come first, then the catalog's most
    frequent: "ks" is khai sinh before khoáng sản, "kd" kinh doanh before kiểm dịch."""
    mentions = _lexicon_mentions(lexicon) if lexicon is not None else Counter()
    candidates = {phrase: docs for phrase, docs in phrase_docs.items() if docs >= ABBREVIATION_MIN_DOCS}
    for key, expansions in lexicon.synonyms.items() if lexicon is not None else ():
        for phrase in (key, *expansions):
            if 2 <= len(phrase) <= 6 and all(w.isalpha() and w in vocabulary for w in phrase):
                candidates.setdefault(phrase, phrase_docs.get(phrase, 0))
    by_initials: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
    for phrase, docs in candidates.items():
        by_initials.setdefault("".join(w[0] for w in phrase), []).append((mentions[phrase], docs, phrase))
    out = {}
    for initials, found in by_initials.items():
        if initials in vocabulary and _VOWELS & set(initials):
            continue  # a real syllable ("an", "the"), never read as initials
        found.sort(key=lambda f: (-f[0], -f[1], f[2]))
        out[initials] = tuple(phrase for _, _, phrase in found[:3])
    return out


_INDEXES: weakref.WeakKeyDictionary[Catalog, ProcedureIndex] = weakref.WeakKeyDictionary()
_LAST: tuple[weakref.ReferenceType[ProcedureIndex], str | None] | None = None


@lru_cache(maxsize=1)
def _loaded_index(path: str | None) -> ProcedureIndex:
    from lookup.catalog import load_catalog

    return ProcedureIndex(load_catalog(path))


def _default_index() -> ProcedureIndex:
    """The index of the app's catalog when an app built one in this process under the same
    CATALOG_PATH (the catalog is not loaded a second time), else one loaded from CATALOG_PATH (an
    operator's own JSONL or built file) or the fixtures."""
    path = os.environ.get("CATALOG_PATH") or None
    if _LAST is not None and _LAST[1] == path and (index := _LAST[0]()) is not None:
        return index
    return _loaded_index(path)


def search_codes(query: str, limit: int = 5) -> list[str]:
    """Procedure codes (or local ids) best first over the configured catalog; [] when nothing is a
    credible match."""
    return _default_index().search(query, limit)


def search_hits(query: str, limit: int = 5, credible_only: bool = True) -> list[Hit]:
    """Like search_codes, with the score, coverage, how each part of the query matched, and the
    calibrated confidence of the best hit. credible_only=False returns the ranking even when it is
    not credible (each hit then says credible=False), for a caller that asks "did you mean…"."""
    return _default_index().hits(query, limit, credible_only=credible_only)
