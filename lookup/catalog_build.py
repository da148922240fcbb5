"""Build the compact catalog from records in the shared crawl schema (`procedures.jsonl`).

Keeps what a citizen needs, drops crawl provenance, gives code-less records a stable local id,
and assigns life-event groups by the data-driven rules in `fixtures/life_events.json`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from lookup.catalog import LIFE_EVENTS_PATH, Catalog, LifeEventGroup, Procedure

_COPIED_FIELDS = (
    "name", "aliases", "field", "ministry", "level", "level_keys", "agency", "competent_agency",
    "subjects", "submission_methods", "online_submission", "processing_days", "processing_time_text",
    "processing_note", "fee_vnd", "fee_text", "fee_warning", "fee_amounts_mentioned_vnd", "methods",
    "documents", "steps", "results", "legal_basis", "conditions", "national_url", "status",
)  # fmt: skip


def read_records(path: Path | str) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def local_id(record: dict) -> str:
    """A stable id for a record without a national code: derived from its name and field, so
    it survives rebuilds and reordering of the source."""
    key = f"{record.get('name', '')}|{record.get('field', '')}".encode()
    return "LOCAL-" + hashlib.sha1(key, usedforsecurity=False).hexdigest()[:8].upper()


def _online_level(record: dict) -> str | None:
    raw = record.get("online_level")
    if not raw:
        return None
    # The source annotates how it inferred the level, e.g. "toàn trình (from name)".
    for level in ("toàn trình", "một phần", "liên thông trực tuyến"):
        if raw.startswith(level):
            return level
    return raw


def to_procedure(record: dict) -> Procedure:
    data = {k: record[k] for k in _COPIED_FIELDS if record.get(k) is not None}
    data["code"] = record.get("code") or local_id(record)
    data["online_level"] = _online_level(record)
    data["local_code"] = record.get("kontum_local_code_inferred")
    return Procedure.model_validate(data)


def _group_rules(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["groups"]


def _matches(rule: dict, record: dict) -> bool:
    if record.get("life_event") in rule["labels"]:
        return True
    if record.get("field") in rule["fields"]:
        return True
    name = (record.get("name") or "").lower()
    return any(k in name for k in rule["name_keywords"])


def build_catalog(records: Iterable[dict], life_events_path: Path = LIFE_EVENTS_PATH) -> Catalog:
    rules = _group_rules(life_events_path)
    members: dict[str, list[str]] = {r["id"]: [] for r in rules}
    procedures: list[Procedure] = []
    seen: set[str] = set()
    for record in records:
        procedure = to_procedure(record)
        if procedure.code in seen:
            # Codes are unique in the shared records; a repeat in an operator's own file is a
            # crawl artefact, and the first record wins so ids stay stable.
            continue
        seen.add(procedure.code)
        procedure.life_events = [r["id"] for r in rules if _matches(r, record)]
        for group_id in procedure.life_events:
            members[group_id].append(procedure.code)
        procedures.append(procedure)
    groups = [
        LifeEventGroup(id=r["id"], name=r["name"], audience=r["audience"], procedure_codes=members[r["id"]])
        for r in rules
    ]
    return Catalog(procedures, groups)
