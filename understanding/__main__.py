"""`python -m understanding train`: fit the intent model on the shipped utterances and write the
artifact (`fixtures/understanding/model.pkl` + `model.json`)."""

from __future__ import annotations

import argparse
import time

from understanding.data import fingerprint, training_set
from understanding.model import MODEL_PATH, IntentModel


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m understanding")
    parser.add_argument("command", choices=["train"])
    parser.parse_args()
    started = time.perf_counter()
    examples = training_set()
    model = IntentModel.train(examples, fingerprint(examples))
    model.save()
    print(f"trained on {len(examples)} utterances in {time.perf_counter() - started:.1f} s -> {MODEL_PATH} "
          f"({MODEL_PATH.stat().st_size / 1e6:.1f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
