"""The share of a message's words the bot knows: below half, whatever the model says is not trusted
(tests/test_understanding_thresholds.py); at half or more, the words it knows are read as they
are, with the model's own confidence."""

from __future__ import annotations

from understanding import intents as I
from understanding.interpreter import default_interpreter


def test_a_fee_question_with_two_stray_keystrokes_is_still_a_fee_question() -> None:
    """'lệ phí qqq www': half the words are known (the other half are stray keys), so the bot reads
    'lệ phí' as it would alone, and acts on it instead of asking which was meant."""
    reading = default_interpreter().interpret("lệ phí qqq www")
    assert reading.intent == I.PAY_FEES and not reading.ambiguous, reading


def test_a_question_with_one_typo_keeps_the_confidence_of_the_words_the_bot_knows() -> None:
    """'địa chỉ ubnd tỉh' (a typo for 'tỉnh'): three words of four are known, and the reading and its
    confidence (shown to staff in the transcript) are what the model gives those words, not cut by
    the one word it does not know."""
    interpreter = default_interpreter()
    reading = interpreter.interpret("địa chỉ ubnd tỉh")
    assert reading.intent == I.HOTLINE and not reading.ambiguous, reading
    assert reading.confidence == reading.ranked[0][1] and reading.confidence > 0.6, reading
