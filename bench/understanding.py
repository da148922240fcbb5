"""Intent understanding, measured: the frozen test set (`fixtures/eval/understanding_test.jsonl`,
written before any tuning by someone who had not read the code) beside the training set (tuned on)
and a 5-fold cross-validation of it, ours against a baseline in the same run: the routing the bot
had before the understanding component (router order, phrase filters, the code finder and "any
text that finds procedures gets a list").

    .venv/bin/python -m bench.understanding [--no-cv] [--show-errors N]

Prints per-intent precision / recall, the worst confusions, out-of-scope rejection, how many
greetings, thanks or out-of-scope messages got a procedure list, and latency per message."""

from __future__ import annotations

import argparse
import pickle
import statistics
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable

from handlers.understood import names_from
from lookup.catalog import load_catalog
from lookup.codes import find_codes
from lookup.search import ProcedureIndex
from lookup.text import fold
from understanding import intents as I
from understanding.data import TEST_PATH, Example, hand_written, mined, read_jsonl, with_contexts
from understanding.evidence import NamesProcedure, with_catalog
from understanding.interpreter import DialogueContext, Interpreter
from understanding.model import IntentModel

Predict = Callable[[Example], str]
LIST_INTENTS = {I.PROCEDURE_SEARCH}  # what the baseline answers with a procedure list
NEVER_A_LIST = {I.GREETING, I.THANKS, I.OUT_OF_SCOPE}


def baseline(index: ProcedureIndex) -> Predict:
    """The routing before this component, reduced to the intent its answer served."""
    cancel = {fold(w) for w in ("huy", "huỷ", "hủy", "menu", "0", "thoat", "quay lai", "bat dau")}
    human = [f" {p} " for p in ("gap can bo", "tu van vien", "noi chuyen voi can bo", "gap nguoi that")]
    hotline = {"ho tro", "hotline", "so dien thoai", "goi dien"}

    def predict(e: Example) -> str:
        text = e.text.strip()
        folded = fold(text)
        if text.startswith("#"):
            return I.COMMANDS.get(text.split()[0].lower(), I.COMMAND)
        if folded in cancel:
            return I.CANCEL
        if any(p in f" {folded} " for p in human):
            return I.HUMAN
        if find_codes(text):
            return I.LOOKUP_DOSSIER
        if folded in hotline:
            return I.HOTLINE
        if len(folded) >= 3 and index.search(text, 6):
            return I.PROCEDURE_SEARCH
        return "not_understood"

    return predict


ASKED = "?"  # suffix of a reading the chat does not act on: it asks which one was meant


def ours(interpreter: Interpreter, names: NamesProcedure | None = None) -> Predict:
    """The model's reading; with `names`, the catalog's word on it too (`with_catalog`), as the chat
    reads a message (a fact asked of a procedure the catalog surely names overrules a guide)."""

    def predict(e: Example) -> str:
        reading = interpreter.interpret(e.text, DialogueContext(shown=e.context))
        if names is not None:
            reading = with_catalog(reading, e.text, names)
        return reading.intent + (ASKED if reading.ambiguous else "")

    return predict


def evaluate(name: str, examples: list[Example], predict: Predict, index: ProcedureIndex) -> dict:
    gold, got, times, asked = [], [], [], []
    for e in examples:
        started = time.perf_counter()
        predicted = predict(e)
        times.append((time.perf_counter() - started) * 1000)
        gold.append(e.intent)
        asked.append(predicted.endswith(ASKED))
        got.append(predicted.removesuffix(ASKED))
    right = sum(g == p for g, p in zip(gold, got, strict=True))
    # What the chat does with it: acts on the right intent, asks which one, or acts on a wrong one.
    acted_right = sum(g == p and not a for g, p, a in zip(gold, got, asked, strict=True))
    acted_wrong = sum(g != p and not a for g, p, a in zip(gold, got, asked, strict=True))
    oos = [p for g, p in zip(gold, got, strict=True) if g == I.OUT_OF_SCOPE]
    # What the citizen gets: a procedure search that finds nothing answers "không tìm thấy", not a list.
    listed = sum(1 for e, p in zip(examples, got, strict=True)
                 if e.intent in NEVER_A_LIST and p in LIST_INTENTS and index.search(e.text, 6))  # fmt: skip
    times.sort()
    return {
        "name": name, "n": len(examples), "accuracy": right / len(examples), "gold": gold, "got": got,
        "oos_rejected": sum(p not in LIST_INTENTS for p in oos) / max(1, len(oos)),
        "smalltalk_listed": listed, "p50": statistics.median(times), "p99": times[int(0.99 * (len(times) - 1))],
        "acted_right": acted_right / len(examples), "asked": sum(asked) / len(examples),
        "acted_wrong": acted_wrong / len(examples),
    }  # fmt: skip


def per_intent(result: dict) -> dict[str, tuple[float, float, int]]:
    out = {}
    for intent in sorted(set(result["gold"])):
        tp = sum(g == p == intent for g, p in zip(result["gold"], result["got"], strict=True))
        predicted = sum(p == intent for p in result["got"])
        support = sum(g == intent for g in result["gold"])
        out[intent] = (tp / predicted if predicted else 0.0, tp / support, support)
    return out


def cross_validated(examples: list[Example], folds: int = 5) -> tuple[float, list[tuple[Example, str]]]:
    """Accuracy over folds of the hand-written set (mined and context copies are added to each
    training part only), and the errors, for reading while tuning."""
    catalog_examples = mined(load_catalog())
    right, errors = 0, []
    for k in range(folds):
        train = with_contexts([e for i, e in enumerate(examples) if i % folds != k] + catalog_examples)
        held = [e for i, e in enumerate(examples) if i % folds == k]
        interpreter = Interpreter(IntentModel.train(train))
        for e in held:
            got = interpreter.interpret(e.text, DialogueContext(shown=e.context)).intent
            right += got == e.intent
            if got != e.intent:
                errors.append((e, got))
    return right / len(examples), errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-cv", action="store_true")
    parser.add_argument("--show-errors", type=int, default=0, help="cross-validation errors on the TRAINING set")
    parser.add_argument("--show-overrides", type=int, default=0, help="TRAINING readings the catalog changed")
    parser.add_argument("--tuning", action="store_true", help="while tuning: leave the frozen test set unread")
    args = parser.parse_args()
    catalog = load_catalog()
    index = ProcedureIndex(catalog)
    tracemalloc.start()
    started = time.perf_counter()
    model = IntentModel.load()
    load_ms = (time.perf_counter() - started) * 1000
    model_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    interpreter = Interpreter(model)
    for warm in ("xin chào", "làm căn cước mất bao lâu"):
        interpreter.interpret(warm)
        index.search(warm, 6)
    train = hand_written()
    results = []
    if not args.tuning:
        test = read_jsonl(TEST_PATH)
        results += [
            evaluate("test (frozen)", test, ours(interpreter), index),
            evaluate("test: + catalog", test, ours(interpreter, names_from(index)), index),
            evaluate("test: baseline", test, baseline(index), index),
        ]
    results += [
        evaluate("train (tuned on)", train, ours(interpreter), index),
        evaluate("train: + catalog", train, ours(interpreter, names_from(index)), index),
        evaluate("train: baseline", train, baseline(index), index),
    ]
    print(
        f"model: {len(pickle.dumps(model.pipeline)) / 1e6:.1f} MB pickled, {model_mb:.1f} MB in memory, "
        f"loaded in {load_ms:.0f} ms; "
        f"trained on {len(train)} hand-written + {len(mined(catalog))} mined utterances (+ context copies)"
    )
    print(f"{'set':<20} {'n':>5} {'intent acc':>10} {'acted right/asked/wrong':>24} {'oos rejected':>13} "
          f"{'smalltalk→list':>15} {'p50 ms':>7} {'p99 ms':>7}")  # fmt: skip
    for r in results:
        chat = f"{r['acted_right']:.1%} / {r['asked']:.1%} / {r['acted_wrong']:.1%}"
        print(f"{r['name']:<20} {r['n']:>5} {r['accuracy']:>10.1%} {chat:>24} {r['oos_rejected']:>13.1%} "
              f"{r['smalltalk_listed']:>15} {r['p50']:>7.2f} {r['p99']:>7.2f}")  # fmt: skip
    plain, chat = results[-3], results[-2]
    overruled = [(e, g, c) for e, g, c in zip(train, plain["got"], chat["got"], strict=True) if g != c]
    wrong = sum(c != e.intent for e, _, c in overruled)
    print(f"train: the catalog changed {len(overruled)} readings, {len(overruled) - wrong} to the right intent")
    for e, got, now in overruled[: args.show_overrides]:
        print(f"  overruled {e.text!r}: {got} -> {now} (gold {e.intent})")
    if not args.no_cv:
        accuracy, errors = cross_validated(train)
        print(f"train, 5-fold cross-validated accuracy: {accuracy:.1%}")
        for e, got in errors[: args.show_errors]:
            print(f"  cv error [{e.context}] {e.text!r}: {e.intent} -> {got}")
    if args.tuning:
        return
    test_ours, test_base = results[0], results[2]
    print("\nper intent on the test set: precision / recall (baseline recall), support")
    base = per_intent(test_base)
    for intent, (precision, recall, support) in per_intent(test_ours).items():
        print(f"  {intent:<18} {precision:>6.1%} / {recall:>6.1%}  ({base[intent][1]:>6.1%})  {support:>4}")
    confusions = Counter((g, p) for g, p in zip(test_ours["gold"], test_ours["got"], strict=True) if g != p)
    print("\nworst confusions on the test set (gold -> predicted: count)")
    for (g, p), n in confusions.most_common(12):
        print(f"  {g} -> {p}: {n}")


if __name__ == "__main__":
    main()
