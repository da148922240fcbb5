"""Direct answers, measured: the frozen facet questions (`fixtures/eval/answers_test.jsonl`, written
before tuning by someone who had not read the code: documents / fee / time / where / online across
130 procedures, typed as citizens type) through the same decision the chat makes
(`handlers.understood.decide` on the interpreter's reading), beside today's baseline in the same
run: the bot before direct answers, which listed search results (the fact needed a tap on the right
card, at best).

    .venv/bin/python -m bench.answers [--show-misses N]

Prints the share answered with the right fact of the right procedure in the first reply, the share
that needs a second tap (a right procedure offered as a variant button or in the list), misses by
facet and kind, and the length distribution of answers and of every card in the catalog."""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from handlers.answers import ANSWER_LIMIT, CARD_LIMIT, facet_answer, procedure_card
from handlers.content import Content
from handlers.understood import ProcedureReply, decide, names_from, suggest_from
from lookup.catalog import FIXTURES_DIR, Catalog, load_catalog
from lookup.province import Province, load_province
from lookup.search import ProcedureIndex
from understanding import Interpreter
from understanding import intents as I
from understanding.evidence import with_catalog
from understanding.interpreter import Interpretation, default_model

TEST_PATH = FIXTURES_DIR / "eval" / "answers_test.jsonl"
DEV_PATH = Path(__file__).resolve().parent / "answers_dev.jsonl"  # tuned on
# Written apart by someone who had not read the code (bench/DEV3_README.md); first measured before
# any tuning on it (the closing note of issue 17 says from when it was tuned on).
DEV2_PATH = Path(__file__).resolve().parent / "answers_dev2.jsonl"
# Written apart for session 9 (bench/DEV4_README.md), held out through it; tuned on since session 10.
DEV3_PATH = Path(__file__).resolve().parent / "answers_dev3.jsonl"
# Written apart for session 10 (bench/DEV5_README.md) and kept apart from its tuning: its misses are
# never shown, its figures compare the session's start and end.
DEV4_PATH = Path(__file__).resolve().parent / "answers_dev4.jsonl"
# name -> (path, title); the sets whose misses may be shown while tuning
SETS = {
    "dev": (DEV_PATH, "development set (tuned on)"),
    "dev2": (DEV2_PATH, "second development set (written apart, tuned on)"),
    "dev3": (DEV3_PATH, "third development set (written apart, tuned on since session 10)"),
    "dev4": (DEV4_PATH, "fourth development set (held out this session)"),
}
TUNING = ("dev", "dev2", "dev3")
HELD_OUT = ("dev4",)  # measured only with --held-out: its figures are read at the session's start and end
BASE_URL = "https://tracuu.example.vn"


@dataclass(frozen=True)
class Question:
    text: str
    facet: str
    codes: frozenset[str]
    kind: str


def load(path: Path = TEST_PATH) -> list[Question]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(r["text"], r["facet"], frozenset(r["codes"]), r.get("kind", "")) for r in rows]


def _offered(reply: ProcedureReply, q: Question, index: ProcedureIndex) -> bool:
    """A right procedure one tap away: a variant button, a "did you mean" button, or in the list."""
    if reply.kind in ("answer", "confirm"):
        return bool(q.codes & set(reply.variants)) and reply.facet == q.facet
    return reply.kind == "list" and bool(q.codes & set(index.search(reply.query, 5)))


def _cause(reading: Interpretation, reply: ProcedureReply | None, q: Question) -> str:
    """Why a question was not answered in the first reply, in a few words (an aggregate, so that the
    frozen set can say where its misses come from without being read)."""
    if reply is None:
        return "ambiguous reading" if reading.ambiguous else f"read as {reading.intent}"
    if reply.kind in ("answer", "needs"):
        if reply.code not in q.codes:
            return "answered another procedure"
        return "answered another fact"
    return f"replied {reply.kind}"


def run(name: str, questions: list[Question], catalog: Catalog, index: ProcedureIndex, province: Province,
        show_misses: int) -> list[int]:  # fmt: skip
    interpreter = Interpreter(default_model())
    names = names_from(index)
    content = Content.load(province)
    outcome: Counter[str] = Counter()
    baseline: Counter[str] = Counter()
    misses_by: dict[str, Counter[str]] = defaultdict(Counter)
    lengths, misses = [], []
    for q in questions:
        reading = with_catalog(interpreter.interpret(q.text), q.text, names)
        reply = None
        suggest = suggest_from(index)
        if reading.intent in (I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION) and not reading.ambiguous:
            reply = decide(reading, q.text, index.search, catalog, {}, suggest, content.outside_topic)
        # "needs": whether one paper is in the dossier ("có cần mang giấy khai sinh không"), a documents
        # answer of that procedure, as the chat gives it (answers.paper_answer).
        answered = reply is not None and reply.kind in ("answer", "needs")
        if reply and answered and reply.code in q.codes and reply.facet == q.facet:
            result = "first reply"
            procedure = catalog.get(reply.code)
            if procedure is not None:
                text = facet_answer(procedure, q.facet, BASE_URL, province=province)[0].text  # type: ignore[union-attr]
                lengths.append(len(text))
        elif reply and _offered(reply, q, index):
            result = "second tap"
            misses.append((q, f"one tap away: {reply.kind} {reply.code} {reply.facet}"))
        else:
            result = "missed"
            why = f"{reading.intent} (ambiguous {reading.ambiguous})" if reply is None else (
                f"{reply.kind} {reply.code} {reply.facet}")  # fmt: skip
            misses.append((q, why))
        outcome[result] += 1
        if result != "first reply":
            misses_by["facet"][q.facet] += 1
            misses_by["kind"][q.kind] += 1
            misses_by["cause"][_cause(reading, reply, q)] += 1
        baseline["second tap" if q.codes & set(index.search(q.text, 5)) else "missed"] += 1
    n = len(questions)
    print(f"\n{name}: {n} questions, {len({c for q in questions for c in q.codes})} procedures")
    print(f"{'':<14} {'first reply':>12} {'second tap':>11} {'missed':>7}")
    for label, counts in (("ours", outcome), ("baseline", baseline)):
        print(f"{label:<14} {counts['first reply'] / n:>12.1%} {counts['second tap'] / n:>11.1%} "
              f"{counts['missed'] / n:>7.1%}")  # fmt: skip
    print("not in the first reply, by facet:", dict(misses_by["facet"]), "by kind:", dict(misses_by["kind"]))
    print("  by cause:", dict(misses_by["cause"].most_common()))
    for q, why in misses[:show_misses]:
        print(f"  miss [{q.facet}] {q.text!r} -> {why} (want {sorted(q.codes)[:3]})")
    return lengths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", type=int, default=0, help="misses of the tuning sets named by --misses-of")
    parser.add_argument("--misses-of", default="dev", help="comma-separated tuning sets: " + ", ".join(TUNING))
    parser.add_argument("--tuning", action="store_true", help="leave the frozen test set unread")
    parser.add_argument("--held-out", action="store_true", help="measure the held-out set too: " + ", ".join(HELD_OUT))
    args = parser.parse_args()
    shown = set(args.misses_of.split(",")) & set(TUNING)  # never a held-out set's misses
    catalog = load_catalog()
    province = load_province("kontum")
    index = ProcedureIndex(catalog)
    lengths: list[int] = []
    for name, (path, title) in SETS.items():
        if path.exists() and (name not in HELD_OUT or args.held_out):
            misses = args.show_misses if name in shown else 0
            lengths += run(f"{name}: {title}", load(path), catalog, index, province, misses)
    if not args.tuning:
        lengths += run("test set (frozen, never tuned on)", load(TEST_PATH), catalog, index, province, 0)
    lengths.sort()
    print(f"\nanswer length: median {statistics.median(lengths):.0f}, p95 {lengths[int(0.95 * (len(lengths) - 1))]}, "
          f"max {lengths[-1]} (limit {ANSWER_LIMIT})")  # fmt: skip
    cards = sorted(len(procedure_card(p, BASE_URL).text) for p in catalog.procedures.values())
    over = sum(length > CARD_LIMIT for length in cards)
    print(f"cards over the whole catalog: median {statistics.median(cards):.0f}, max {cards[-1]}, "
          f"over {CARD_LIMIT}: {over}")  # fmt: skip


if __name__ == "__main__":
    main()
