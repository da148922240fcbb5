"""Fit search's refusal models: is a right procedure listed, and is the first one right?

    .venv/bin/python -m bench.search_fit          # refit, write fixtures/search_refusal.json, print the fit

Fitted on the sets we tune on (bench/search_queries.py, bench/search_dev.py) and on queries made
from the catalog's own names (the formal wording officials and some citizens type: a name cut to
its first words, with one typo, without accents; right = a procedure whose name starts the same
way), never on the held-out or the blind set, whose calibration bench/search.py reports. For each
query the index's evidence for its best hit (lookup.search.FEATURES) is the input; two logistic
regressions on standardised features give the probability that a right procedure is among the
first five ("answer") and that the first one is right ("best", Hit.confidence). The threshold on
"answer" is the lowest that rejects at least TARGET_NONE of the "none" fit queries. Refit whenever
the ranking, the parser or the lexicon changes: the features move with them. Needs the optional
"bench" extra (scikit-learn); the service reads only the JSON.
"""

from __future__ import annotations

import json
import random
import re
import sys

import numpy as np

from bench.search_dev import dev_set
from bench.search_queries import Query, derived, one_typo
from lookup.catalog import Catalog, load_catalog
from lookup.search import FEATURES, REFUSAL_PATH, ProcedureIndex
from lookup.text import fold

TARGET_NONE = 0.92
FORMAL_NAMES = 250  # catalog names sampled for formal queries
# Each formal query weighs this much in the fit: they teach the models that the catalog's own wording
# is credible even when near-twins tie, without outnumbering the citizens' phrasings.
FORMAL_WEIGHT = 0.4
_NOTES = re.compile(r"\([^)]*\)")


def formal_queries(catalog: Catalog, seed: int = 11) -> list[Query]:
    """A name's first words as typed, with a typo, and without accents; every procedure whose
    name starts with those words counts as right (the catalog has near-twins)."""
    rng = random.Random(seed)
    names = {p.code: _NOTES.sub(" ", p.name).removeprefix("Thủ tục ").split() for p in catalog.procedures.values()}
    folded = {code: fold(" ".join(words)) for code, words in names.items()}
    out = []
    for code in rng.sample(sorted(names), FORMAL_NAMES):
        head = " ".join(names[code][: rng.randint(4, 8)])
        right = tuple(c for c, name in folded.items() if name.startswith(fold(head)))
        out += [Query(head, "formal", right), Query(one_typo(rng, head), "formal", right),
                Query(fold(head), "formal", right)]  # fmt: skip
    return out


def evidence(index: ProcedureIndex, queries: list[Query]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features; a right procedure in the first five; the first one right; the query has an
    answer. Queries that find nothing at all are left out (refused whatever the models say)."""
    xs, listed, first, answerable = [], [], [], []
    for query in queries:
        ranking = index._built.rank(query.text, 5)
        if ranking is None:
            continue
        ranked, x = ranking
        codes = [code for code, *_ in ranked]
        xs.append(x)
        listed.append(int(bool(set(codes) & set(query.expect))))
        first.append(int(codes[0] in query.expect))
        answerable.append(bool(query.expect))
    return np.array(xs), np.array(listed), np.array(first), np.array(answerable)


def _found(index: ProcedureIndex, queries: list[Query]) -> list[Query]:
    return [q for q in queries if index._built.rank(q.text, 1) is not None]


def fit(out=sys.stdout) -> dict:
    from sklearn.linear_model import LogisticRegression

    catalog = load_catalog()
    index = ProcedureIndex(catalog)
    tuned, formal = derived() + dev_set(), formal_queries(catalog)
    x, listed, first, answerable = evidence(index, tuned + formal)
    weight = np.array([FORMAL_WEIGHT if q.kind == "formal" else 1.0 for q in _found(index, tuned + formal)])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    models = {name: LogisticRegression(C=1.0, max_iter=2000).fit(z, y, sample_weight=weight)
              for name, y in (("answer", listed), ("best", first))}  # fmt: skip
    p = models["answer"].predict_proba(z)[:, 1]
    none_p = np.sort(p[~answerable])
    # The lowest threshold under which TARGET_NONE of the "none" queries fall.
    threshold = float(none_p[min(len(none_p) - 1, int(np.ceil(TARGET_NONE * len(none_p))) - 1)]) + 1e-4
    kept = (p >= threshold) & answerable
    print(f"fit on {len(x)} queries ({int(listed.sum())} with a right procedure listed, {int(first.sum())} right "
          f"first, {int((~answerable).sum())} none); threshold {threshold:.3f}: none rejected "
          f"{np.mean(none_p < threshold):.1%}, listed-right answers kept {kept[listed == 1].mean():.1%}",
          file=out)  # fmt: skip
    for name, model in models.items():
        coefs = sorted(zip(FEATURES, model.coef_[0], strict=True), key=lambda f: -abs(f[1]))
        print(f"  {name}: " + ", ".join(f"{f} {c:+.2f}" for f, c in coefs), file=out)
    doc = {
        "note": "Written by bench/search_fit.py; do not edit by hand. Two logistic models over "
        "lookup.search.FEATURES (standardised with mean/scale): 'answer', the probability that a right "
        "procedure is among the first five (refuse below threshold), and 'best', that the first is right.",
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        **{
            name: {"coef": [round(float(v), 6) for v in m.coef_[0]], "intercept": round(float(m.intercept_[0]), 6)}
            for name, m in models.items()
        },
        "threshold": round(threshold, 4),
    }
    REFUSAL_PATH.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return doc


if __name__ == "__main__":
    fit()
