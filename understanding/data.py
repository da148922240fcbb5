"""The labelled utterances the intent model learns from: the hand-written training set
(`fixtures/understanding/train.jsonl`) plus examples mined from the catalog itself, so that every
real procedure name reads as a procedure (the hard negatives of "thanh toán", "chào", "hỗ trợ":
"Thanh toán chi phí khám bệnh...", "Chào bán cổ phiếu...", "Hỗ trợ học nghề..."). The test set
(`fixtures/eval/understanding_test.jsonl`) is never read here."""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lookup.catalog import DEFAULT_CATALOG_PATH, FIXTURES_DIR, Catalog
from understanding.intents import INTENTS, NEEDS_CONTEXT, PROCEDURE_FACETS, PROCEDURE_QUESTION, PROCEDURE_SEARCH

TRAIN_PATH = FIXTURES_DIR / "understanding" / "train.jsonl"
# A second hand-written file, grown where cross-validation showed the first one thin.
TRAIN_MORE_PATH = FIXTURES_DIR / "understanding" / "train_more.jsonl"
TEST_PATH = FIXTURES_DIR / "eval" / "understanding_test.jsonl"
MINED_NAMES = 900  # catalog names taken as procedure searches: enough to cover every ministry's words
MINED_QUESTIONS = 500
SEED = 2026
# Intents whose meaning depends on what was shown (never copied into another context).
CONTEXT_BOUND = frozenset({*NEEDS_CONTEXT, PROCEDURE_QUESTION})


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    context: str | None = None
    facet: str | None = None
    kind: str = ""


def read_jsonl(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["intent"] not in INTENTS:
            raise ValueError(f"{path.name}:{number}: unknown intent {row['intent']!r}")
        examples.append(Example(row["text"], row["intent"], row.get("context"), row.get("facet"), row.get("kind", "")))
    return examples


# How citizens wrap a procedure's name when they ask one fact about it (mined questions).
_FACET_ASKS: dict[str, tuple[str, ...]] = {
    "documents": (
        "cần giấy tờ gì",
        "hồ sơ gồm những gì",
        "cần chuẩn bị những gì",
        "can mang theo gi",
        "phải mang theo những giấy tờ gì",
        "hs gom nhung gi",
    ),
    "fee": ("lệ phí bao nhiêu", "mất bao nhiêu tiền", "có mất phí không", "phi bn", "hết bao nhiêu tiền vậy"),
    "time": (
        "mất bao lâu",
        "bao lâu thì xong",
        "mấy ngày thì có",
        "mat bao lau",
        "bao lâu thì lấy được",
        "mất mấy ngày làm việc",
    ),
    "where": (
        "nộp ở đâu",
        "làm ở đâu",
        "cơ quan nào giải quyết",
        "nop o dau",
        "lên xã hay lên tỉnh",
        "ở đâu giải quyết",
    ),
    "online": (
        "làm online được không",
        "có nộp trực tuyến được không",
        "nop online dc ko",
        "có thể nộp hồ sơ trực tuyến trên cổng dịch vụ công không",
        "nộp qua mạng được không",
    ),
    "form": ("mẫu đơn ở đâu", "tờ khai mẫu nào", "xin mau to khai"),
    "result": ("được nhận gì", "kết quả là gì"),
}
# How a question about a procedure opens and closes on Zalo ("có cách nào … không giúp em với").
_QUESTION_LEADS = ("", "", "", "cho em hỏi ", "có cách nào ", "em muốn ", "tôi cần ", "xin hỏi ", "ad ơi ")
_QUESTION_TAILS = ("", "", "", " ạ", " giúp em với", " vậy ad", " nhé", " z")
_LEADS = ("", "", "", "thủ tục ", "cho em hỏi ", "làm ", "tôi muốn ", "hỏi về ")
_CUT = re.compile(r"\s*(\(|;| - | – |, trừ | đối với | tại | theo | cho người | của ).*$")


def short_name(name: str) -> str:
    """How a citizen would name a procedure: its head, without the legal qualifiers."""
    text = re.sub(r"^(Thủ tục|TTHC)\s*:?\s*", "", name.strip(), flags=re.IGNORECASE)
    text = _CUT.sub("", text)
    return " ".join(text.split()[:9])


def mined(catalog: Catalog, seed: int = SEED) -> list[Example]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    coded = (p for p in catalog.procedures.values() if not p.code.startswith("LOCAL"))
    procedures = sorted(coded, key=lambda p: p.code)
    picked = rng.sample(procedures, min(MINED_NAMES, len(procedures)))
    out = [Example(rng.choice(_LEADS) + short_name(p.name).lower(), PROCEDURE_SEARCH, kind="mined")
           for p in picked]  # fmt: skip
    for p in rng.sample(procedures, min(MINED_QUESTIONS, len(procedures))):
        facet = rng.choice(PROCEDURE_FACETS[:5]) if rng.random() < 0.9 else rng.choice(PROCEDURE_FACETS[5:])
        text = f"{rng.choice(_QUESTION_LEADS)}{short_name(p.name).lower()} {rng.choice(_FACET_ASKS[facet])}"
        out.append(Example(text + rng.choice(_QUESTION_TAILS), PROCEDURE_QUESTION, facet=facet, kind="mined"))
    return out


def with_contexts(examples: list[Example], seed: int = SEED) -> list[Example]:
    """Each context-free utterance once more after something was shown (a dossier, a procedure, a
    list): "cảm ơn" stays thanks after a dossier card, so the context word alone never decides."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    contexts = ("dossier", "procedure", "list")
    extra = [Example(e.text, e.intent, rng.choice(contexts), e.facet, "context_copy")
             for e in examples if e.context is None and e.intent not in CONTEXT_BOUND]  # fmt: skip
    return examples + extra


def training_set(catalog: Catalog | None = None) -> list[Example]:
    from lookup.catalog import load_catalog

    return with_contexts(hand_written() + mined(catalog or load_catalog(DEFAULT_CATALOG_PATH)))


def hand_written() -> list[Example]:
    return [e for path in (TRAIN_PATH, TRAIN_MORE_PATH) if path.exists() for e in read_jsonl(path)]


def fingerprint(examples: Iterable[Example]) -> str:
    """What a model was trained on: the artifact is stale when today's training set differs."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(json.dumps([e.text, e.intent, e.context], ensure_ascii=False).encode())
    return digest.hexdigest()
