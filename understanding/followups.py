"""What is on screen settles a short question: after a procedure or a list of procedures, "lệ phí",
"mất mấy ngày", "nộp trên mạng được không" ask that fact of what was shown, whatever the intent
model hears in so few words (paying, frustration, the submission guide: tried as a citizen, six of
six such follow-ups after a list went astray).

A follow-up names nothing new: at most a couple of words once the question is taken out ("phí cấp
lại bao nhiêu" after a list holding "Cấp lại …"). A longer one ("lệ phí đăng ký kết hôn") is a new
question and is read as such."""

from __future__ import annotations

from dataclasses import replace

from understanding import entities
from understanding import intents as I
from understanding.interpreter import DialogueContext, Interpretation, default_model
from understanding.normalize import normalize

FOLLOW_UP_WORDS = 2  # at most this many words left that name anything
# Readings a follow-up overrides: what few words can be mistaken for. Never a dossier's question, a
# pick from the list, a correction, a request for a person or to stop.
_MISHEARD = frozenset({
    I.PAY_FEES, I.GUIDE_PAY, I.GUIDE_SUBMIT, I.GUIDE_REGISTER, I.GUIDE_TRACK, I.FRUSTRATION, I.OUT_OF_SCOPE,
    I.UNKNOWN, I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION, I.RECEIPT_HELP, I.COMPLAINT, I.HOTLINE,
    I.LIFE_EVENTS, I.MORE,  # "còn giấy tờ thì sao": the documents of what is shown, not more of it
})  # fmt: skip


def named_words(text: str) -> list[str]:
    """The words of `text` that name a procedure, the question taken out. A follow-up opening with
    bare "con" ("con giay to thi sao") opens with "còn" (what about …), not a child."""
    words = entities.procedure_words(text, default_model().vocabulary).split()
    typed = text.split()
    if words and typed and typed[0].lower() == "con" and words[0].lower() == "con":
        words = words[1:]
    return words


def with_screen(reading: Interpretation, text: str, context: DialogueContext) -> Interpretation:
    if context.shown not in ("list", "procedure") or reading.source not in ("model", "catalog"):
        return reading
    if reading.intent not in _MISHEARD and not reading.ambiguous:
        return reading
    if reading.intent == I.PROCEDURE_QUESTION and not reading.ambiguous and reading.facet:
        return reading  # already read as asked; the dialogue resolves what it is about
    normalized = normalize(text, default_model().vocabulary)  # "có mất tine không": typos mended
    case = entities.what_if(normalized) if context.shown == "procedure" else None
    if case is not None and entities.procedure_facet(case) is None:  # "còn lệ phí thì sao" asks the fee
        # "Nếu vợ em ở tỉnh khác thì sao" after the marriage card: that procedure in another case,
        # which the dialogue resolves (a variant for it, else where to file when it is a place).
        facet = "where" if entities.is_a_place(case) else None
        return replace(reading, intent=I.PROCEDURE_QUESTION, source="context", facet=facet, query=text,
                       runner_up=(reading.intent, reading.confidence))  # fmt: skip
    named = named_words(text)
    # Nothing but the fact's words ("lệ phí", "thời gian") asks it, though as words they may also be
    # part of a name: here there is no name.
    facet = entities.asked_facet(normalized) if named else entities.procedure_facet(normalized)
    if facet is None or len(named) > FOLLOW_UP_WORDS:
        return reading
    if reading.intent in (I.LIFE_EVENTS, I.MORE) and named:
        return reading  # "sinh con cần làm thủ tục gì" names a life event: not a fact of what is shown
    return replace(reading, intent=I.PROCEDURE_QUESTION, source="context", facet=facet, query=text,
                   runner_up=(reading.intent, reading.confidence))  # fmt: skip
