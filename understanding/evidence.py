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
from dataclasses import dataclass, replace

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
# How surely the words must name one procedure (the search's calibrated probability that its best
# credible hit is what was meant) to overrule the model: likely, when the message asks one of a
# procedure's facts ("Nộp hồ sơ căn cước dưới 14 tuổi qua mạng" heard as the submission guide);
# surely when it does not, and for the readings whose own questions share words with procedures'
# names: a scam ad or a bank's service ("vay tiền nhanh không cần thế chấp" finds a ship mortgage
# at 0.78, "đổi ngoại tệ ở Kon Tum chỗ nào" a currency agent's licence at 0.86) and the account
# guides ("đăng ký tài khoản ở đâu" finds the agencies' e-account procedure at 0.79; the citizen's
# VNeID level 2 account is a procedure too, 3.000228, named surely when asked of), and complaints
# (a bare "khiếu nại" names the complaint-handling procedures at 0.71: a citizen complaining wants
# where complaints go, which the complaint reading answers).
NAMED_SURELY = 0.9
NAMED_WITH_A_FACT = 0.7
_NAMED_SURELY_ONLY = frozenset({I.OUT_OF_SCOPE, I.GUIDE_REGISTER, I.GUIDE_LOGIN, I.COMPLAINT})
_PROCEDURE_INTENTS = frozenset({I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION})
# "Lệ phí thành lập cty cổ phần" asks a fee, heard as paying one; "thanh toán lệ phí …" pays.
# Folded, as `normalize` writes the text.
_PAYING = frozenset({"thanh toan", "nop tien", "dong tien", "tra tien", "chuyen khoan", "quet ma", "vnpt pay"})


@dataclass(frozen=True)
class Naming:
    """How surely words name one procedure (the search's calibrated probability, 0 when not
    credible), and whether a person can do it (its record's subjects name citizens or people, not
    only organisations)."""

    confidence: float
    for_people: bool = True


NamesProcedure = Callable[[str], Naming]  # words -> how they name a procedure
# The guides are a person's help (their account, their submission): an organisation's procedure
# sharing their words does not overrule them ("đăng ký tài khoản … trên điện thoại" finds the
# enterprises' "Đăng ký tài khoản điện tử" of the immigration service surely).
_A_PERSONS_HELP = frozenset({I.GUIDE_SUBMIT, I.GUIDE_REGISTER, I.GUIDE_LOGIN})


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
    normalized = normalize(text, default_model().vocabulary)  # "có mất tine không": typos mended
    asks_a_fee = reading.intent == I.PAY_FEES and not any(f" {p} " in f" {normalized} " for p in _PAYING)
    if (reading.intent not in OVERRIDABLE and not in_doubt_about_a_procedure and not unsure_life_event
            and not asks_a_fee):  # fmt: skip
        return reading
    facet = entities.asked_facet(normalized)
    if facet is None and not in_doubt_about_a_procedure:
        return reading  # "nộp hồ sơ online thế nào" asks the guide, not a fact of one procedure
    named = entities.procedure_queries(text, default_model().vocabulary)
    floor = NAMED_WITH_A_FACT if facet and reading.intent not in _NAMED_SURELY_ONLY else NAMED_SURELY
    people_only = reading.intent in _A_PERSONS_HELP

    def names(words: str) -> bool:
        naming = names_procedure(words)
        return naming.confidence >= floor and (naming.for_people or not people_only)

    if not any(len(words.split()) >= 2 and names(words) for words in named):
        return reading
    intent = I.PROCEDURE_QUESTION if facet else I.PROCEDURE_SEARCH
    return replace(reading, intent=intent, source="catalog", facet=facet, query=text,
                   runner_up=(reading.intent, reading.confidence))  # fmt: skip
