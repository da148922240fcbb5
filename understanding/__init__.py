"""Understanding what citizens type: one interpretation of every message, in context, with a
confidence. See `understanding.interpreter` (the entry point), `fixtures/understanding/INTENTS.md`
(the labels) and README "Understanding what citizens type"."""

from understanding.interpreter import DialogueContext, Interpretation, Interpreter, default_interpreter

__all__ = ["DialogueContext", "Interpretation", "Interpreter", "default_interpreter"]
