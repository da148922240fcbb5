"""The transcript file: one JSON object per line. A `conversation` header, then `in` lines (what the
citizen sent: event name, text, attachments; with the handler and what the turn reached) and `out`
lines (each message the bot sent, in Zalo's body shape). Golden conversations are the same files;
a hand-written one may hold only `in` lines until `python -m bot replay --update` fills the rest."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lookup.calendar import VN_TZ


@dataclass
class Turn:
    inbound: dict[str, Any]  # event_name, text, attachments
    replies: list[dict[str, Any]] = field(default_factory=list)  # the bot's messages, Zalo body shape
    masked: bool = False  # what the citizen sent is kept only masked (a secret, a phone or ID number)


def _iso(at_ms: str | int) -> str:
    return datetime.fromtimestamp(int(at_ms) / 1000, VN_TZ).isoformat(timespec="seconds")


def export_lines(conversation: str, entries: list[dict[str, Any]], *, unmasked: dict[str, str] | None = None,
                 exported_by: str = "") -> list[str]:  # fmt: skip
    """JSONL lines of a transcript as stored (masked). `unmasked` maps entry ids to revealed text, for
    a supervisor's audited export."""
    header = {"kind": "conversation", "id": conversation, "masked": not unmasked, "exported_by": exported_by}
    lines = [header]
    for entry in entries:
        body = entry.get("body") or {}
        text = (unmasked or {}).get(entry["id"], entry.get("text"))
        if entry["direction"] == "in":
            line: dict[str, Any] = {"kind": "in", "at": _iso(entry["at_ms"]), "event_name": entry["kind"]}
            if text:
                line["text"] = text
            if body.get("attachments"):
                line["attachments"] = body["attachments"]
            line["handler"] = entry.get("handler", "")
            line["meta"] = body.get("meta", {})
        else:
            line = {"kind": "out", "at": _iso(entry["at_ms"]), "handler": entry.get("handler", "")}
            if body:
                line["message"] = body
            if entry.get("error"):
                line["error"] = entry["error"]
        lines.append(line)
    return [json.dumps(line, ensure_ascii=False) for line in lines]


def parse_turns(lines: list[str]) -> list[Turn]:
    turns: list[Turn] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
        kind = item.get("kind")
        if kind == "in":
            inbound = {k: item[k] for k in ("event_name", "text", "attachments", "image_file") if k in item}
            secret = bool((item.get("meta") or {}).get("secret"))
            turns.append(Turn(inbound, masked=secret or is_masked(inbound.get("text") or "")))
        elif kind == "out" and turns and "message" in item:
            turns[-1].replies.append(item["message"])
    return turns


_MASKS = re.compile(r"•|\d\*+\d")  # lookup.masking: mask_secret's dots, mask_digits' stars


def is_masked(text: str) -> bool:
    """The text holds masking (a security code as dots, a phone or ID number with starred digits): what
    was really typed is not known, so sending it again would not replay the turn."""
    return bool(_MASKS.search(text))


def load_turns(path: Path) -> list[Turn]:
    return parse_turns(path.read_text(encoding="utf-8").splitlines())


def golden_lines(name: str, turns: list[Turn]) -> list[str]:
    """A golden file from turns (what `--update` writes): inbound as sent, replies as now given."""
    lines = [{"kind": "conversation", "id": name, "masked": True, "golden": True}]
    for turn in turns:
        lines.append({"kind": "in", **turn.inbound})
        lines += [{"kind": "out", "message": message} for message in turn.replies]
    return [json.dumps(line, ensure_ascii=False) for line in lines]
