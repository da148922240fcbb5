"""The catalog's word on a reading the model was unsure or wrong about: a message that asks a fact
of a procedure the catalog surely knows is a procedure question, whatever guide, thank-you or
complaint the model heard in it.

"nộp hồ sơ gia hạn tạm trú qua mạng" reads as the submission guide, "đính chính sổ đỏ bị ghi sai
có mất tiền không" as a complaint, "Hồ sơ tạm vắng" as nearly anything: the model knows how people
ask, not the three thousand names of procedures. The catalog does, so where the words left once
the question is taken out name one procedure with high confidence, the procedure wins. Kept apart
from the interpreter (it knows no catalog) and applied where both are at hand: the dispatcher and
the answers benchmark, so the benchmark measures what the chat does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from understanding import entities
from understanding import intents as I
from understanding.interpreter import MIN_CONFIDENCE, Interpretation, default_model
from understanding.normalize import normalize

# Readings a named procedure overrides when a fact is asked of it. Not the dossier intents (a code
# or "hồ sơ của tôi" is about the citizen's own file), not paying or tracking (they need a dossier),
# not handoff or frustration (the citizen asked for a person).
OVERRIDABLE = frozenset({
    I.GUIDE_SUBMIT, I.GUIDE_REGISTER, I.GUIDE_LOGIN, I.RECEIPT_HELP, I.OUT_OF_SCOPE, I.COMPLAINT, I.THANKS,
    I.GREETING, I.HOTLINE,
})  # fmt: skip
LIFE_EVENT_SURE = 0.9
_PROCEDURE_INTENTS = frozenset({I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION})

NamesProcedure = Callable[[str], bool]  # words -> do they name one procedure surely?


def with_catalog(reading: Interpretation, text: str, names_procedure: NamesProcedure) -> Interpretation:
    if reading.source != "model" or (reading.intent in _PROCEDURE_INTENTS and not reading.ambiguous):
        return reading
    # Unsure between readings one of which is a procedure, or unsure of anything ("Hồ sơ tạm vắng":
    # thanks 0.24, hotline 0.21): the words' naming a procedure settles it.
    in_doubt_about_a_procedure = reading.ambiguous and (
        any(i in _PROCEDURE_INTENTS for i, _ in reading.ranked[:2]) or reading.confidence < MIN_CONFIDENCE
    )
    # "Làm hộ chiếu cần những thủ tục gì" sounds like a life event to the model, not surely; "sinh con
    # cần làm thủ tục gì" surely is one (birth, residence, health card), and keeps its group.
    unsure_life_event = reading.intent == I.LIFE_EVENTS and reading.confidence < LIFE_EVENT_SURE
    if reading.intent not in OVERRIDABLE and not in_doubt_about_a_procedure and not unsure_life_event:
        return reading
    facet = entities.asked_facet(normalize(text))
    if facet is None and not in_doubt_about_a_procedure:
        return reading  # "nộp hồ sơ online thế nào" asks the guide, not a fact of one procedure
    named = entities.procedure_queries(text, default_model().vocabulary)
    if not any(len(words.split()) >= 2 and names_procedure(words) for words in named):
        return reading
    intent = I.PROCEDURE_QUESTION if facet else I.PROCEDURE_SEARCH
    return replace(reading, intent=intent, source="catalog", facet=facet, query=text,
                   runner_up=(reading.intent, reading.confidence))  # fmt: skip
