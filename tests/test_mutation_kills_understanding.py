"""After a list, a short message naming a position is a pick, whatever else the model hears in it
(understanding/interpreter.py's SHORT_PICK_WORDS: five words at most); a longer sentence with a
number in it is read for what it says. 'cảm ơn, số 2 nhé' opens the second procedure of the list,
and 'thứ 2 có làm việc không' (is the office open on Monday?) is a question about opening hours,
not a pick of the second line."""

from __future__ import annotations

import pytest

from understanding import DialogueContext, default_interpreter
from understanding import intents as I
from understanding.interpreter import MIN_CONFIDENCE, MIN_MARGIN, Interpretation

AFTER_A_LIST = DialogueContext(shown="list", list_codes=("1.004194", "1.001193", "2.000889"))


@pytest.mark.parametrize(("text", "position"), [("cảm ơn, số 3", 3), ("cảm ơn, số 2 nhé", 2)])  # 4 and 5 words
def test_thanks_and_a_position_after_a_list_opens_that_line(text: str, position: int) -> None:
    reading = default_interpreter().interpret(text, AFTER_A_LIST)
    assert reading.ranked[0][0] == I.THANKS  # the model alone hears thanks
    assert (reading.intent, reading.ordinal) == (I.SELECT, position), reading
    assert not reading.ambiguous  # acted on, not asked about
    assert reading.confidence == 0.8  # what staff see of a pick the rule made: 80 %, not the model's thanks


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


def test_one_known_word_among_stray_keystrokes_is_asked_about_not_acted_on() -> None:
    """'hộ chiếu sdfg hjkl qwer': under half the words are known, so the model's reading of the
    one it knows is not trusted: its confidence is cut by that share, and the bot asks which was
    meant instead of opening a passport search on a guess."""
    reading = default_interpreter().interpret("hộ chiếu sdfg hjkl qwer")
    assert reading.intent == I.PROCEDURE_SEARCH and reading.ambiguous, reading
    assert reading.confidence < 0.4  # what staff see: a weak reading


def test_a_documents_question_the_model_is_unsure_of_is_still_answered_as_that_question() -> None:
    """Stray keys before 'thành phần hồ sơ khai sinh' (what papers a birth registration needs) leave
    the model unsure (its top reading, the question, under a quarter), but the question and the
    search it is about together are the reading: the bot answers the documents asked, not a list."""
    reading = default_interpreter().interpret("asd qwe zxc rty thành phần hồ sơ khai sinh")
    assert reading.ranked[0][0] == I.PROCEDURE_QUESTION and reading.ranked[0][1] < 0.25
    assert (reading.intent, reading.facet) == (I.PROCEDURE_QUESTION, "documents"), reading
    assert not reading.ambiguous


def reading(intent: str, confidence: float, runner_up: tuple[str, float] | None) -> Interpretation:
    return Interpretation(intent, confidence, runner_up, source="model")


@pytest.mark.parametrize(
    ("intent", "runner_up"),
    [(I.HOTLINE, I.COMPLAINT), (I.COMPLAINT, I.HOTLINE), (I.HUMAN, I.HOTLINE), (I.HOTLINE, I.HUMAN)],
)
def test_two_close_readings_that_lead_to_different_answers_are_asked_about_in_either_order(
    intent: str, runner_up: str
) -> None:
    """0.50 against 0.45 for two answers that differ (the hotline, a complaint, a person): the bot
    asks which was meant, whichever of the two the model put first."""
    assert reading(intent, 0.50, (runner_up, 0.45)).ambiguous


def test_a_reading_exactly_at_a_threshold_is_acted_on() -> None:
    """The thresholds are the lowest confidence, margin and family total the bot acts on: below
    them it asks (understanding/interpreter.py: 'Below this probability, or this close to the
    runner-up, the bot asks')."""
    assert not reading(I.HOTLINE, MIN_CONFIDENCE, None).ambiguous
    assert reading(I.HOTLINE, MIN_CONFIDENCE - 0.01, None).ambiguous
    ahead = 0.50 + MIN_MARGIN
    assert ahead - 0.50 == MIN_MARGIN  # exact in binary floating point: the margin is met, not missed by 1e-17
    assert not reading(I.HOTLINE, ahead, (I.COMPLAINT, 0.50)).ambiguous
    assert reading(I.HOTLINE, ahead - 0.01, (I.COMPLAINT, 0.50)).ambiguous
    together = MIN_CONFIDENCE - 0.25
    assert together + 0.25 == MIN_CONFIDENCE  # exact, as above
    assert not reading(I.PROCEDURE_QUESTION, 0.25, (I.PROCEDURE_SEARCH, together)).ambiguous
    assert reading(I.PROCEDURE_QUESTION, 0.24, (I.PROCEDURE_SEARCH, together)).ambiguous
