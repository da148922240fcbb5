"""The parts of a reply that may differ between a recording and its replay without anything having
changed, declared one by one with the reason. Comparison applies exactly these and nothing looser:
every other character of every reply must match."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    replacement: str
    why: str


RULES: tuple[Rule, ...] = (
    Rule("host", re.compile(r"https?://[^/\s\"']+"), "<host>",
         "links carry the base URL of whichever server answered (a replay runs on its own port)"),
    Rule("date", re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b"), "<date>",
         "due dates, timeline dates and 'today' follow the clock of the day the replay runs"),
    Rule("iso-date", re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)?"),
         "<date>", "dates in links and payloads, as above"),
    Rule("time", re.compile(r"\b\d{1,2}(?::|h)\d{2}\b"), "<time>", "times of day follow the clock"),
    Rule("working-days-left", re.compile(r"\b\d+ ngày làm việc nữa\b"), "<n> ngày làm việc nữa",
         "the working days left until a due date change with the day of the replay"),
)  # fmt: skip
VOLATILE_KEYS = {
    "attachment_id": "an uploaded image gets a new id each time",
}


def normalise(value: Any) -> Any:
    """The message with every declared volatile part replaced by its placeholder."""
    if isinstance(value, str):
        for rule in RULES:
            value = rule.pattern.sub(rule.replacement, value)
        return value
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: (f"<{k}>" if k in VOLATILE_KEYS else normalise(v)) for k, v in value.items()}
    return value
