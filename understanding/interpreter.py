"""Text (and what the bot showed last) in, one interpretation out: intent, entities, confidence
and the runner-up. Rules take what is certain (a menu payload, a dossier code, a procedure code,
nothing readable); the model reads the rest; entities come from `understanding.entities`.
Nothing here knows Zalo, HTTP or Redis: the dialogue layer (`handlers/`) acts on the result."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from lookup.codes import DATE_AND_SEQUENCE, find_codes
from understanding import entities
from understanding import intents as I
from understanding.model import IntentModel
from understanding.normalize import clean, normalize, tokens

# Below this probability, or this close to the runner-up, the bot asks which one was meant.
MIN_CONFIDENCE = 0.40
MIN_MARGIN = 0.12
# What the model reads of a long message: its intent is said in the first sentences, and a 2,000-word
# paste must cost no more than a question.
MAX_WORDS = 60
# Below this share of words the model has seen, a reading is not trusted ("asdf zxcv").
MIN_KNOWN_SHARE = 0.5
# The model's probability of a question above which a facet phrase makes a search a question.
MIN_QUESTION_SHARE = 0.25
# A text this long with an ordinal in a list context is a pick, whatever else it says.
SHORT_PICK_WORDS = 5

_PROCEDURE_CODE = re.compile(r"(?<![\d.])(\d\.\d{6})(?![\d.])")
# Almost a dossier code: an agency identifier, or a long run of digits with dots and dashes.
_NEAR_CODE = re.compile(
    r"\d{3}[.\s]\d{2}[.\s]\d{2}[.\s]?h\d{2}|h(?:34|48)[-\s.]*\d{5,}|\d{3}\.\d{2}\.\d{2}\.\w*-?\d{4,}", re.IGNORECASE
)
_SIGNAL_INTENTS = {"emojiok": I.THANKS, "emojiwave": I.GREETING, "emojiangry": I.FRUSTRATION,
                   "emojisad": I.FRUSTRATION}  # fmt: skip
_CODE_INTENTS = frozenset({I.FOLLOW_DOSSIER, I.UNFOLLOW_DOSSIER, I.PAY_FEES, I.LOOKUP_DOSSIER})


_FAMILIES = {I.PROCEDURE_SEARCH: "procedure", I.PROCEDURE_QUESTION: "procedure", I.CORRECTION: "procedure",
             I.THANKS: "social", I.GREETING: "social"}  # fmt: skip


def _family(intent: str) -> str:
    return _FAMILIES.get(intent, intent)


@dataclass(frozen=True)
class DialogueContext:
    """What the citizen has in front of them: the last thing shown and its subject."""

    shown: str | None = None  # "dossier" | "procedure" | "list" | None
    state: str | None = None
    dossier_code: str | None = None
    procedure_code: str | None = None
    list_codes: tuple[str, ...] = ()
    query: str | None = None


@dataclass(frozen=True)
class Interpretation:
    intent: str
    confidence: float
    runner_up: tuple[str, float] | None = None
    source: str = "model"  # command | rule | model
    facet: str | None = None
    dossier_codes: tuple[str, ...] = ()
    near_code: bool = False  # looks like a dossier code that does not parse (a digit missing)
    procedure_code: str | None = None
    query: str | None = None  # the words to search procedures with
    ordinal: int | None = None
    command: str | None = None
    ranked: tuple[tuple[str, float], ...] = field(default=(), repr=False)

    @property
    def ambiguous(self) -> bool:
        """Weak, or too close to the runner-up to act on without asking."""
        if self.source != "model":
            return False
        second = self.runner_up[1] if self.runner_up else 0.0
        if self.runner_up and _family(self.intent) == _family(self.runner_up[0]):
            # Two readings that lead to the same answer (a procedure search or a question about it;
            # two guides' first steps) are not a reason to ask: together they are the reading.
            return self.confidence + second < MIN_CONFIDENCE
        return self.confidence < MIN_CONFIDENCE or self.confidence - second < MIN_MARGIN

    def as_meta(self) -> dict[str, Any]:
        """What the transcript keeps of it (staff see why the bot answered as it did)."""
        meta = {k: v for k, v in asdict(self).items() if v not in (None, (), False) and k != "ranked"}
        meta["confidence"] = round(self.confidence, 3)
        if self.ambiguous:
            meta["ambiguous"] = True
        if self.runner_up:
            meta["runner_up"] = [self.runner_up[0], round(self.runner_up[1], 3)]
        meta.pop("query", None)  # the text itself is in the transcript, masked
        return meta


class Interpreter:
    def __init__(self, model: IntentModel) -> None:
        self.model = model

    def interpret(self, text: str, context: DialogueContext | None = None) -> Interpretation:
        context = context or DialogueContext()
        text = clean(text or "")
        if text.startswith("#"):
            return self._command(text)
        words = tokens(text, self.model.vocabulary)
        if not any(w != "?" for w in words):
            return Interpretation(I.EMPTY, 1.0, source="rule")
        if all(w in _SIGNAL_INTENTS for w in words):
            return Interpretation(_SIGNAL_INTENTS[words[0]], 0.9, source="rule")
        normalized = " ".join(words[:MAX_WORDS])
        ranked = self._ranked(normalized, context)
        known = sum(w in self.model.vocabulary for w in words[:MAX_WORDS]) / min(len(words), MAX_WORDS)
        if known < MIN_KNOWN_SHARE:  # "xyz qwerty": few or no words the bot has seen, whatever the model says
            ranked = [(i, p * known) for i, p in ranked]
        codes = tuple(find_codes(text))
        if codes:  # a code is a lookup, unless the words clearly ask to follow, unfollow or pay it
            top, p = ranked[0]
            intent = top if top in _CODE_INTENTS and p >= MIN_CONFIDENCE else I.LOOKUP_DOSSIER
            return Interpretation(intent, 1.0, source="rule", dossier_codes=codes, ranked=tuple(ranked[:3]))
        if not known:
            return Interpretation(I.UNKNOWN, 0.0, source="rule")
        procedure_code = _PROCEDURE_CODE.search(text)
        if procedure_code:
            facet = entities.procedure_facet(normalized)
            return Interpretation(I.PROCEDURE_QUESTION if facet else I.PROCEDURE_SEARCH, 1.0, source="rule",
                                  facet=facet, procedure_code=procedure_code.group(1), query=text)  # fmt: skip
        if _NEAR_CODE.search(text) or DATE_AND_SEQUENCE.search(text):  # "hồ sơ 261020-0001": the agency left out
            return Interpretation(I.LOOKUP_DOSSIER, 0.9, source="rule", near_code=True)
        return self._from_model(text, normalized, ranked, context)

    def _ranked(self, normalized: str, context: DialogueContext) -> list[tuple[str, float]]:
        ranked = self.model.rank(normalized, context.shown)
        # A follow-up about nothing shown means nothing: drop it and share its weight out.
        kept = [(i, p) for i, p in ranked if i not in I.NEEDS_CONTEXT or context.shown in I.NEEDS_CONTEXT[i]]
        total = sum(p for _, p in kept) or 1.0
        return [(i, p / total) for i, p in kept]

    def _from_model(self, text: str, normalized: str, ranked: list[tuple[str, float]],
                    context: DialogueContext) -> Interpretation:  # fmt: skip
        intent, confidence = ranked[0]
        runner_up = ranked[1] if len(ranked) > 1 else None
        facet = None
        ordinal = entities.ordinal(normalized) if context.shown == "list" else None
        if ordinal is not None and intent != I.SELECT and len(normalized.split()) <= SHORT_PICK_WORDS:
            runner_up, intent = (intent, confidence), I.SELECT
            confidence = max(confidence, 0.8)
        query: str | None = None
        if intent in (I.PROCEDURE_SEARCH, I.PROCEDURE_QUESTION):
            # A facet phrase turns a search into a question only when the model hears a question too:
            # "lệ phí", "chi phí", "bản sao" are also words of procedures' names.
            facet = entities.procedure_facet(normalized)
            question = dict(ranked).get(I.PROCEDURE_QUESTION, 0.0)
            if facet and (
                intent == I.PROCEDURE_QUESTION or question >= MIN_QUESTION_SHARE or entities.asks_a_fact(normalized)
            ):
                intent = I.PROCEDURE_QUESTION
            else:
                intent, facet = I.PROCEDURE_SEARCH, None
            query = text
        elif intent == I.DOSSIER_QUESTION:
            facet = entities.dossier_facet(normalized) or "status"
        elif intent == I.CORRECTION:
            query = entities.correction_text(text)
            if query:
                facet = entities.procedure_facet(normalize(query))
        return Interpretation(intent, confidence, runner_up, facet=facet, query=query, ordinal=ordinal,
                              ranked=tuple(ranked[:3]))  # fmt: skip

    @staticmethod
    def _command(text: str) -> Interpretation:
        head, _, rest = text.partition(" ")
        intent = I.COMMANDS.get(head.lower(), I.COMMAND)
        return Interpretation(intent, 1.0, source="command", command=head.lower(),
                              dossier_codes=tuple(find_codes(rest)))  # fmt: skip


@lru_cache(maxsize=1)
def default_model() -> IntentModel:
    """One per process: the shipped model (loaded in a few ms), or one trained from the shipped data."""
    return IntentModel.load()


def default_interpreter() -> Interpreter:
    return Interpreter(default_model())
