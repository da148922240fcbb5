"""Answers citizens can use: one fact of a procedure in one short message, and the procedure card.

Buttons send `#hoi <facet> <code>` (handled here)."""

from __future__ import annotations

from bot.dispatcher import Router

router = Router("answers")
