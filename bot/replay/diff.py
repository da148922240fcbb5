"""Turn-by-turn comparison of recorded and replayed replies. Each message is flattened to
`path: value` lines after the declared volatile parts are normalised; a turn is `same` when every
message matches, else each message is `same`, `changed` (with a line diff), `missing` (recorded,
not given now) or `extra` (given now, not recorded). A turn whose input survives only masked is
`not_replayable`: it was sent again as masked, and its replies are not compared."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from bot.replay.rules import normalise


def flatten(message: dict[str, Any]) -> list[str]:
    lines: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                walk(value[key], f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        else:
            lines.append(f"{path}: {value}")

    walk(normalise(message), "")
    return lines


@dataclass
class MessageDiff:
    status: str  # same / changed / missing / extra
    recorded: list[str] | None
    replayed: list[str] | None

    @property
    def diff(self) -> list[str]:
        return list(difflib.unified_diff(self.recorded or [], self.replayed or [], "recorded", "replayed", lineterm=""))


@dataclass
class TurnDiff:
    index: int
    inbound: dict[str, Any]
    messages: list[MessageDiff] = field(default_factory=list)
    replayable: bool = True

    @property
    def status(self) -> str:
        if not self.replayable:
            return "not_replayable"
        differing = {m.status for m in self.messages} - {"same"}
        if not differing:
            return "same"
        return differing.pop() if len(differing) == 1 else "changed"


def compare_turn(index: int, inbound: dict[str, Any], recorded: list[dict[str, Any]],
                 replayed: list[dict[str, Any]], replayable: bool = True) -> TurnDiff:  # fmt: skip
    turn = TurnDiff(index, inbound, replayable=replayable)
    if not replayable:
        return turn
    for i in range(max(len(recorded), len(replayed))):
        before = flatten(recorded[i]) if i < len(recorded) else None
        after = flatten(replayed[i]) if i < len(replayed) else None
        if before is None:
            status = "extra"
        elif after is None:
            status = "missing"
        else:
            status = "same" if before == after else "changed"
        turn.messages.append(MessageDiff(status, before, after))
    return turn


def render_text(name: str, turns: list[TurnDiff]) -> str:
    """The readable report of one file: a line per turn, the diff under each that differs."""
    out = []
    bad = [t for t in turns if t.status not in ("same", "not_replayable")]
    skipped = [t for t in turns if t.status == "not_replayable"]
    out.append(f"{name}: {len(turns)} turns, {len(turns) - len(bad) - len(skipped)} same, {len(bad)} differ"
               + (f", {len(skipped)} not replayable (masked input)" if skipped else ""))  # fmt: skip
    for turn in [*bad, *skipped]:
        said = turn.inbound.get("text") or turn.inbound.get("event_name")
        out.append(f"  turn {turn.index + 1} ({said!r}): {turn.status}")
        for number, message in enumerate(turn.messages, 1):
            if message.status == "same":
                continue
            out.append(f"    message {number}: {message.status}")
            lines = message.diff if message.status == "changed" else (message.recorded or message.replayed or [])
            sign = {"missing": "- ", "extra": "+ "}.get(message.status, "")
            out += [f"      {sign}{line}" for line in lines]
    return "\n".join(out)
