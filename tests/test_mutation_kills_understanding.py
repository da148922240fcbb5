"""What the interpreter does with the model's reading (understanding/interpreter.py): when it
acts, when it asks which was meant, what it records. The model's probabilities are fixed here (a
`FixedModel` with the shipped model's vocabulary, so the same words are known): these are the
interpreter's rules, and they must hold whatever the model of the day gives a message.

After a list, a short message naming a position is a pick, whatever else the model hears in it
(SHORT_PICK_WORDS: five words at most); a longer sentence with a number in it is read for what it
says. 'cảm ơn, số 2 nhé' opens the second line of the list, and 'thứ 2 có làm việc không' (is the
office open on Monday?) is a question about the hours, not a pick of the second line."""

from __future__ import annotations

import pytest

from understanding import DialogueContext
from understanding import intents as I
from understanding.interpreter import MIN_CONFIDENCE, MIN_MARGIN, Interpretation, Interpreter, default_model

AFTER_A_LIST = DialogueContext(shown="list", list_codes=("1.004194", "1.001193", "2.000889"))


class FixedModel:
    """The shipped model's vocabulary with a ranking the test gives, for every message."""

    def __init__(self, *ranking: tuple[str, float]) -> None:
        self.vocabulary = default_model().vocabulary
        self.ranking = list(ranking)

    def rank(self, normalized: str, context: str | None) -> list[tuple[str, float]]:
        # New string objects, as the shipped model's classes are (read from its file): equal to the
        # intents' names, never the same objects.
        return [(intent.encode().decode(), p) for intent, p in self.ranking]


def read(text: str, *ranking: tuple[str, float], context: DialogueContext | None = None) -> Interpretation:
    return Interpreter(FixedModel(*ranking)).interpret(text, context)  # type: ignore[arg-type]


THANKS_MOSTLY = ((I.THANKS, 0.55), (I.SELECT, 0.35), (I.PROCEDURE_QUESTION, 0.10))


@pytest.mark.parametrize(("text", "position"), [("cảm ơn, số 3", 3), ("cảm ơn, số 2 nhé", 2)])  # 4 and 5 words
def test_thanks_and_a_position_after_a_list_opens_that_line(text: str, position: int) -> None:
    reading = read(text, *THANKS_MOSTLY, context=AFTER_A_LIST)  # the model alone hears thanks
    assert (reading.intent, reading.ordinal) == (I.SELECT, position), reading
    assert not reading.ambiguous  # acted on, not asked about
    assert reading.confidence == 0.8  # what staff see of a pick the rule made: 80 %, not the model's thanks


def test_a_six_word_question_about_monday_after_a_list_is_not_a_pick() -> None:
    reading = read("thứ 2 có làm việc không", (I.HOTLINE, 0.90), (I.SELECT, 0.06), (I.PROCEDURE_QUESTION, 0.04),
                   context=AFTER_A_LIST)  # fmt: skip
    assert reading.ordinal == 2  # "thứ 2" reads as a position too...
    assert reading.intent == I.HOTLINE and not reading.ambiguous, reading  # ...but the sentence asks the hours


def test_the_transcript_keeps_the_confidence_and_runner_up_to_three_decimals() -> None:
    """What the transcript keeps, and the supervisors' export of messages not understood gives as the
    bot's guess: the model's confidence and runner-up to three decimals, as the staff pages read
    them."""
    reading = read("lệ phí bao nhiêu", (I.PAY_FEES, 0.65432), (I.PROCEDURE_QUESTION, 0.23456), (I.HOTLINE, 0.11112))
    meta = reading.as_meta()
    assert meta["confidence"] == round(reading.confidence, 3) != reading.confidence
    assert meta["runner_up"] == [I.PROCEDURE_QUESTION, round(reading.runner_up[1], 3)]
    assert round(reading.runner_up[1], 3) != reading.runner_up[1]


def test_one_known_word_among_stray_keystrokes_is_asked_about_not_acted_on() -> None:
    """'hộ chiếu sdfg hjkl qwer': under half the words are known (2 of 5), so the model's reading
    of those it knows is not trusted, however sure: its confidence is cut by that share, and the
    bot asks which was meant instead of opening a passport search on a guess."""
    reading = read("hộ chiếu sdfg hjkl qwer", (I.PROCEDURE_SEARCH, 0.90), (I.HOTLINE, 0.06),
                   (I.PROCEDURE_QUESTION, 0.04))  # fmt: skip
    assert reading.intent == I.PROCEDURE_SEARCH and reading.ambiguous, reading
    assert reading.confidence == pytest.approx(0.90 * 2 / 5)  # what staff see: a weak reading


def test_a_fee_question_the_model_is_unsure_of_is_still_answered_as_that_question() -> None:
    """'thủ tục khai sinh lệ phí' (the fee of birth registration): the model's top reading is the
    question, though under a quarter; with the search about the same procedure it is the reading,
    and the bot answers the fee asked, not a list of procedures."""
    ranking = ((I.PROCEDURE_QUESTION, 0.24), (I.PROCEDURE_SEARCH, 0.22), (I.PAY_FEES, 0.20), (I.HOTLINE, 0.18),
               (I.GREETING, 0.16))  # fmt: skip
    reading = read("thủ tục khai sinh lệ phí", *ranking)
    assert (reading.intent, reading.facet) == (I.PROCEDURE_QUESTION, "fee"), reading
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


@pytest.mark.parametrize(("question", "intent"), [(0.25, I.PROCEDURE_QUESTION), (0.125, I.PROCEDURE_SEARCH)])
def test_a_fact_phrase_makes_a_search_a_question_from_a_quarter_of_the_models_weight(
    question: float, intent: str
) -> None:
    """'thủ tục khai sinh lệ phí cho con': the model reads a search, and 'lệ phí', in the middle, is
    also a word of procedures' names. The search is a fee question when the model hears a question
    too, from MIN_QUESTION_SHARE (a quarter) of its weight; with less it lists the procedures. (Ending
    the message, 'thủ tục khai sinh lệ phí', the phrase is asked whatever the model's weight.)"""
    ranking = ((I.PROCEDURE_SEARCH, 0.5), (I.PROCEDURE_QUESTION, question), (I.HOTLINE, 0.5 - question))
    reading = read("thủ tục khai sinh lệ phí cho con", *ranking)
    assert (reading.intent, reading.facet) == (intent, "fee" if intent == I.PROCEDURE_QUESTION else None), reading


def test_the_model_is_loaded_once_per_process() -> None:
    """Every interpreter shares the one model (loaded once, kept in memory): a model loaded again
    for each message would cost its load on every reply."""
    assert default_model() is default_model()


CODE = "000.25.23.H34-261102-0001"


@pytest.mark.parametrize(
    ("ranking", "intent"),
    [
        (((I.FOLLOW_DOSSIER, 0.90), (I.LOOKUP_DOSSIER, 0.05), (I.GREETING, 0.05)), I.FOLLOW_DOSSIER),
        (((I.FOLLOW_DOSSIER, 0.40), (I.LOOKUP_DOSSIER, 0.35), (I.GREETING, 0.25)), I.FOLLOW_DOSSIER),  # at the bar
        (((I.FOLLOW_DOSSIER, 0.30), (I.LOOKUP_DOSSIER, 0.25), (I.GREETING, 0.45)), I.LOOKUP_DOSSIER),
        (((I.GREETING, 0.90), (I.FOLLOW_DOSSIER, 0.05), (I.LOOKUP_DOSSIER, 0.05)), I.LOOKUP_DOSSIER),
    ],
)
def test_a_dossier_code_is_looked_up_unless_the_words_clearly_ask_to_follow_it(ranking, intent: str) -> None:
    """A message with a dossier code is a lookup; only words the model reads as following (or
    unfollowing, or paying) it with at least MIN_CONFIDENCE make it that instead; a model that hears
    mostly something else (a greeting) leaves it the lookup."""
    reading = read(f"theo dõi hồ sơ {CODE}", *ranking)
    assert (reading.intent, reading.dossier_codes, reading.source) == (intent, (CODE,), "rule"), reading


@pytest.mark.parametrize(("text", "intent"), [("👋👍", I.GREETING), ("👍👋", I.THANKS)])
def test_a_message_of_emoji_only_is_read_by_its_first(text: str, intent: str) -> None:
    """A wave then a thumbs-up opens with a greeting; a thumbs-up then a wave is thanks first."""
    reading = read(text, (I.HOTLINE, 1.0))  # the model is not asked: emoji alone are a rule
    assert (reading.intent, reading.source) == (intent, "rule"), reading


@pytest.mark.parametrize("intent", [I.HOTLINE, I.HUMAN, I.THANKS, I.SELECT])
def test_only_a_correction_takes_the_words_after_i_mean_as_what_to_search(intent: str) -> None:
    """'không phải, ý tôi là gặp cán bộ' read as asking for a person (or the hotline, or thanks):
    its words are not a corrected procedure search; only a correction's are."""
    text = "không phải, ý tôi là gặp cán bộ"
    other = read(text, (intent, 0.9), (I.PROCEDURE_QUESTION, 0.1), context=AFTER_A_LIST)
    assert (other.intent, other.query) == (intent, None), other
    correction = read(text, (I.CORRECTION, 0.9), (I.PROCEDURE_QUESTION, 0.1), context=AFTER_A_LIST)
    assert (correction.intent, correction.query) == (I.CORRECTION, "gặp cán bộ"), correction
