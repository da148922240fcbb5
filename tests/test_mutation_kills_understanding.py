"""After a list, a short message naming a position is a pick, whatever else the model hears in it
(understanding/interpreter.py's SHORT_PICK_WORDS: five words at most); a longer sentence with a
number in it is read for what it says. 'cảm ơn, số 2 nhé' opens the second procedure of the list,
and 'thứ 2 có làm việc không' (is the office open on Monday?) is a question about opening hours,
not a pick of the second line."""

from __future__ import annotations

import pytest

from understanding import DialogueContext, default_interpreter
from understanding import intents as I

AFTER_A_LIST = DialogueContext(shown="list", list_codes=("1.004194", "1.001193", "2.000889"))


@pytest.mark.parametrize(("text", "position"), [("cảm ơn, số 3", 3), ("cảm ơn, số 2 nhé", 2)])  # 4 and 5 words
def test_thanks_and_a_position_after_a_list_opens_that_line(text: str, position: int) -> None:
    reading = default_interpreter().interpret(text, AFTER_A_LIST)
    assert reading.ranked[0][0] == I.THANKS  # the model alone hears thanks
    assert (reading.intent, reading.ordinal) == (I.SELECT, position), reading
    assert not reading.ambiguous  # acted on, not asked about


def test_a_six_word_question_about_monday_after_a_list_is_not_a_pick() -> None:
    reading = default_interpreter().interpret("thứ 2 có làm việc không", AFTER_A_LIST)
    assert reading.ordinal == 2  # "thứ 2" reads as a position too...
    assert reading.intent == I.HOTLINE and not reading.ambiguous, reading  # ...but the sentence asks the hours


def test_the_transcript_keeps_the_confidence_and_runner_up_to_three_decimals() -> None:
    """What the transcript keeps, and the supervisors' export of messages not understood gives as the
    bot's guess: the model's confidence and runner-up to three decimals, as the staff pages read
    them ('lệ phí qqq www' has model probabilities with many more)."""
    reading = default_interpreter().interpret("lệ phí qqq www")
    meta = reading.as_meta()
    assert reading.confidence != round(reading.confidence, 3)  # the model's own figure has more decimals
    assert meta["confidence"] == round(reading.confidence, 3)
    assert meta["runner_up"] == [reading.runner_up[0], round(reading.runner_up[1], 3)]
    assert reading.runner_up[1] != round(reading.runner_up[1], 3)
