"""Fit search's refusal model: when is the best hit credible?

    .venv/bin/python -m bench.search_fit          # refit, write fixtures/search_refusal.json, print calibration

Fitted on the sets we tune on (bench/search_queries.py and bench/search_dev.py), never on the held-out
or the blind set, whose calibration bench/search.py reports. For each query the index's evidence
for its best hit (lookup.search.FEATURES) is the input, and the label is whether that best hit is a
right answer ("none" queries: never). A logistic regression on standardised features gives a
probability; the threshold is the lowest one that rejects at least TARGET_NONE of the "none" fit
queries, so that the model says "không tìm thấy" to what the catalog lacks before it gives up on
answerable queries. Refit whenever the ranking, the parser or the lexicon changes: the features
move with them. Needs the optional "bench" extra (scikit-learn); the service reads only the JSON.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from bench.search_dev import dev_set
from bench.search_queries import Query, derived
from lookup.catalog import load_catalog
from lookup.search import FEATURES, REFUSAL_PATH, ProcedureIndex

TARGET_NONE = 0.92


def evidence(index: ProcedureIndex, queries: list[Query]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, label (best hit right), and whether the query has any answer; queries that find
    nothing at all are left out (they are refused whatever the model says)."""
    xs, ys, answerable = [], [], []
    for query in queries:
        ranking = index._built.rank(query.text, 1)
        if ranking is None:
            continue
        ranked, x = ranking
        xs.append(x)
        ys.append(int(bool(query.expect) and ranked[0][0] in query.expect))
        answerable.append(bool(query.expect))
    return np.array(xs), np.array(ys), np.array(answerable)


def fit(out=sys.stdout) -> dict:
    from sklearn.linear_model import LogisticRegression

    index = ProcedureIndex(load_catalog())
    x, y, answerable = evidence(index, derived() + dev_set())
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / scale, y)
    p = model.predict_proba((x - mean) / scale)[:, 1]
    none_p = np.sort(p[~answerable])
    # The lowest threshold under which TARGET_NONE of the "none" queries fall.
    threshold = float(none_p[min(len(none_p) - 1, int(np.ceil(TARGET_NONE * len(none_p))) - 1)]) + 1e-4
    kept = (p >= threshold) & answerable
    print(f"fit on {len(y)} queries ({int(y.sum())} with a right best hit, {int((~answerable).sum())} none); "
          f"threshold {threshold:.3f}: none rejected {np.mean(none_p < threshold):.1%}, right best hits kept "
          f"{kept[y == 1].mean():.1%}", file=out)  # fmt: skip
    for name, coef in sorted(zip(FEATURES, model.coef_[0], strict=True), key=lambda f: -abs(f[1])):
        print(f"  {name:15} {coef:+.3f}", file=out)
    doc = {
        "note": "Written by bench/search_fit.py; do not edit by hand. Logistic model over lookup.search.FEATURES "
        "(standardised with mean/scale): the probability that the best hit is right; refuse below threshold.",
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "threshold": round(threshold, 4),
    }
    REFUSAL_PATH.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return doc


if __name__ == "__main__":
    fit()
