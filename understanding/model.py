"""The intent model: a linear classifier (scikit-learn's logistic regression) over character and
word n-grams of the normalised text, with what the bot showed last as one more word. Character
n-grams carry typos, missing accents and glued words; word pairs carry "giấy tờ gì" and "ở đâu".

Trained by one command (`python -m understanding train`) from the shipped utterances into
`fixtures/understanding/model.pkl`; its fingerprint and scikit-learn version sit beside it in
`model.json`. A model built by another scikit-learn version is never unpickled (that is not
supported across versions): it is retrained in memory from the same data, deterministically."""

from __future__ import annotations

import json
import logging
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from lookup.catalog import FIXTURES_DIR
from understanding.data import Example, fingerprint, training_set
from understanding.fast import FastReader
from understanding.normalize import Vocabulary, normalize

log = logging.getLogger(__name__)
MODEL_PATH = FIXTURES_DIR / "understanding" / "model.pkl"
META_PATH = FIXTURES_DIR / "understanding" / "model.json"


def model_input(normalized: str, context: str | None) -> str:
    return f"ctx{context or 'none'} {normalized}"


def _pipeline() -> Pipeline:
    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                  dtype=np.float32)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                  token_pattern=r"\S+",  # noqa: S106 - a regex, not a password
                                  dtype=np.float32)),
    ])  # fmt: skip
    classifier = LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced")
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class IntentModel:
    pipeline: Pipeline
    fingerprint: str
    vocabulary: Vocabulary

    @classmethod
    def train(cls, examples: list[Example], fingerprint: str = "") -> IntentModel:
        vocabulary = Vocabulary({w for e in examples for w in normalize(e.text).split()})
        inputs = [model_input(normalize(e.text, vocabulary), e.context) for e in examples]
        pipeline = _pipeline()
        pipeline.fit(inputs, [e.intent for e in examples])
        return cls(pipeline, fingerprint, vocabulary)

    def __post_init__(self) -> None:
        self.reader = FastReader(self.pipeline)

    def rank(self, normalized: str, context: str | None) -> list[tuple[str, float]]:
        """Every intent with its probability, most likely first."""
        probabilities = self.reader.probabilities(model_input(normalized, context))
        ranked = sorted(zip(self.reader.classes, probabilities, strict=True), key=lambda pair: -pair[1])
        return [(intent, float(p)) for intent, p in ranked]

    def save(self, path: Path = MODEL_PATH, meta_path: Path = META_PATH) -> None:
        with open(path, "wb") as fh:
            pickle.dump({"pipeline": self.pipeline, "vocabulary": sorted(self.vocabulary)}, fh, protocol=5)
        meta = {"fingerprint": self.fingerprint, "sklearn": sklearn.__version__,
                "classes": [str(c) for c in self.pipeline.classes_]}  # fmt: skip
        meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = MODEL_PATH, meta_path: Path = META_PATH) -> IntentModel:
        """The shipped artifact when this scikit-learn wrote it (a test keeps it in step with the
        training set); otherwise a model trained now from the shipped data, logged."""
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if meta.get("sklearn") == sklearn.__version__ and path.exists():
            with open(path, "rb") as fh:
                stored = pickle.load(fh)  # noqa: S301 - our own artifact, written by `save`
            return cls(stored["pipeline"], meta.get("fingerprint", ""), Vocabulary(stored["vocabulary"]))
        log.warning(
            "intent model artifact missing or written by another scikit-learn (%s, here %s): training in "
            "memory; `python -m understanding train` ships a new one",
            meta.get("sklearn"),
            sklearn.__version__,
        )
        examples = training_set()
        return cls.train(examples, fingerprint(examples))
