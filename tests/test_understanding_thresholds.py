"""When the bot acts on a reading, asks which one was meant, or says it did not understand: the
thresholds of understanding/interpreter.py, and what the transcript records of them (staff read
the confidence and the 'ambiguous' mark on the conversation page)."""

from __future__ import annotations

import pytest

from understanding import DialogueContext, default_interpreter
from understanding import intents as I
from understanding.interpreter import Interpretation

# One of each way a reading is made: a button payload, a rule (empty, emoji, a dossier code, a
# procedure code, a code a digit short), and the model, with and without something shown.
MESSAGES = [
    ("#hotro", None), ("#thutuc 1.004194", None), ("", None), ("👍", None), ("000.25.23.H34-261102-0001", None),
    ("1.004194", None), ("000.25.23.H34-26110-0001", None), ("asdf qwerty zxcv", None), ("xin chào", None),
    ("lệ phí đăng ký kết hôn bao nhiêu", None), ("cái thứ 2", "list"), ("bao giờ xong", "dossier"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "shown"), MESSAGES)
def test_every_reading_has_a_confidence_between_0_and_1(text: str, shown: str | None) -> None:
    """Staff see each turn's confidence as a share: a rule or a button is sure (at most 1), never
    190 %; the runner-up is a probability too."""
    reading = default_interpreter().interpret(text, DialogueContext(shown=shown))
    assert 0.0 <= reading.confidence <= 1.0, (text, reading)
    assert 0.0 <= reading.as_meta()["confidence"] <= 1.0
    if reading.source == "model":  # staff also see what else the model heard
        assert reading.runner_up is not None and reading.as_meta()["runner_up"][0] == reading.ranked[1][0]
    if reading.runner_up:
        assert 0.0 <= reading.runner_up[1] <= reading.confidence


def model_reading(confidence: float, runner_up: tuple[str, float] | None) -> Interpretation:
    return Interpretation(I.HOTLINE, confidence, runner_up, source="model")


@pytest.mark.parametrize(
    ("confidence", "runner_up", "asks"),
    [
        (0.95, None, False),  # sure, nothing beside it: acted on
        (0.35, None, True),  # weak, even alone
        (0.60, (I.COMPLAINT, 0.30), False),  # clearly ahead
        (0.50, (I.COMPLAINT, 0.45), True),  # too close to another answer
        (0.25, (I.HUMAN, 0.05), True),  # weak
        # Two readings that lead to the same answer count together.
        (0.30, (I.PROCEDURE_SEARCH, 0.25), None),
    ],
)
def test_a_weak_or_close_reading_is_asked_about_and_recorded_as_such(
    confidence: float, runner_up: tuple[str, float] | None, asks: bool | None
) -> None:
    reading = model_reading(confidence, runner_up)
    if asks is None:  # the procedure family: a question and a search about it are one answer
        reading = Interpretation(I.PROCEDURE_QUESTION, confidence, runner_up, source="model")
        asks = False
    assert reading.ambiguous is asks
    assert reading.as_meta().get("ambiguous", False) is asks  # what the transcript shows staff


def test_rules_and_buttons_are_never_asked_about() -> None:
    for text in ("#hotro", "000.25.23.H34-261102-0001", "👍"):
        assert not default_interpreter().interpret(text).ambiguous
