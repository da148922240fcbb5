"""Build the compact catalog from records in the shared crawl schema (`procedures.jsonl`).

Keeps what a citizen needs, drops crawl provenance, gives code-less records a stable local id,
and assigns life-event groups by the data-driven rules in `fixtures/life_events.json`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from lookup.catalog import LIFE_EVENTS_PATH, Catalog, LifeEventGroup, Procedure
from lookup.source_text import Vocabulary, normalise_name, rejoin_form, repair

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


def record_texts(record: dict) -> Iterable[str]:
    """The free texts of a record, for the vocabulary the repairs check words against."""
    for document in record.get("documents") or []:
        yield document.get("name") or ""
        yield document.get("case") or ""
    yield from record.get("steps") or []
    for key in ("conditions", "processing_note", "fee_text", "name", "subjects", "agency", "competent_agency", "field"):
        yield record.get(key) or ""
    for method in record.get("methods") or []:
        yield method.get("fee_text") or ""
    for result in record.get("results") or []:
        yield result.get("name") or ""


def _heading(text: str | None, vocabulary: Vocabulary) -> str | None:
    text = repair((text or "").strip().lstrip("*-+• ").strip().rstrip(":").strip(), vocabulary)
    return text or None


def _documents(record: dict, vocabulary: Vocabulary) -> list[dict]:
    """Names made whole, form files rejoined, bullets off; the same document twice in one case once
    (the longer wording kept when one is the other cut short)."""
    legal = record.get("legal_basis") or []
    kept: list[dict] = []
    for raw in record.get("documents") or []:
        raw = _count_unmerged(raw)
        name, form = rejoin_form((raw.get("name") or "").strip().lstrip("*-+• ").strip(), raw.get("form"))
        name = repair(name, vocabulary, legal) or ""
        key = normalise_name(name)
        if len(key) < 3:
            continue
        document = {**raw, "name": name, "form": form, "case": _heading(raw.get("case"), vocabulary)}
        for other in kept:
            other_key = normalise_name(other["name"])
            if other["case"] == document["case"] and (other_key.startswith(key) or key.startswith(other_key)):
                if len(key) > len(other_key):
                    other["name"], other["form"] = name, form or other.get("form")
                other["originals"] = max(other.get("originals", 0), raw.get("originals", 0))
                other["copies"] = max(other.get("copies", 0), raw.get("copies", 0))
                break
        else:
            kept.append(document)
    return [{k: v for k, v in d.items() if v is not None} for d in kept]


def _count_unmerged(raw: dict) -> dict:
    """The crawl ran the number that ended a cut name into the count after it: "… theo Mẫu số" with
    181 originals is form 18 and one original, "… ngày 25/6/" with 20241 is 2024 and one. No
    dossier asks for ten originals of a paper: a count above 9 gives its last digit back as the
    count and the rest to the name (unless the name is already cut with "…")."""
    out = dict(raw)
    for key in ("originals", "copies"):
        count = out.get(key)
        if not isinstance(count, int) or count <= MAX_PLAUSIBLE_COUNT:
            continue
        digits = str(count)
        out[key] = int(digits[-1])
        name = (out.get("name") or "").rstrip()
        if _WANTS_A_NUMBER.search(name):  # only a name cut where a number belongs gets the digits
            out["name"] = name + ("" if name.endswith("/") else " ") + digits[:-1]
    return out


MAX_PLAUSIBLE_COUNT = 9
_WANTS_A_NUMBER = re.compile(r"(?:/|\b(?:số|mẫu|nghị định|thông tư|điều|khoản|năm|ngày|quyết định))$", re.IGNORECASE)


def _repaired(record: dict, vocabulary: Vocabulary) -> dict:
    legal = record.get("legal_basis") or []
    record = dict(record)
    record["documents"] = _documents(record, vocabulary)
    record["steps"] = [t for s in record.get("steps") or [] if (t := repair(s, vocabulary, legal))]
    for key in ("conditions", "processing_note", "fee_text"):
        record[key] = repair(record.get(key), vocabulary, legal)
    record["methods"] = [{**m, "fee_text": repair(m.get("fee_text"), vocabulary, legal)}
                         for m in record.get("methods") or []]  # fmt: skip
    results = [{**r, "name": repair(r.get("name"), vocabulary, legal)} for r in record.get("results") or []]
    record["results"] = [r for r in results if r["name"]]
    for key in ("agency", "competent_agency"):
        if record.get(key):
            record[key] = _unlocalised_agencies(record[key])
    if record.get("level"):
        record["level"] = _CRAWL_NOTE.sub("", record["level"]).strip()
    return record


# Some records were crawled from another province's master list, and say so in their level ("Cấp xã
# (tiếp nhận tại cấp xã – Hải Phòng)") and agencies ("Sở … Thành phố Hải Phòng"): where the
# procedure sits is a fact; which province's list it was read from is not one for this province.
_CRAWL_NOTE = re.compile(r"\s*\(tiếp nhận tại [^)]*\)")
# The place: capitalised words only ("Thành phố Hà Nội", "TP HCM"), up to a separator or the end.
_PLACE_SUFFIX = re.compile(
    r"\s+(Thành phố|thành phố|Tỉnh|tỉnh|TP\.?)\s+(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*)(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*)*(?=\s*(?:[,;]|$))"
)
# Bodies a province has one of, named with the crawled province ("Sở … Thành phố Hà Nội"); not a
# school or a bank branch whose own name holds its city ("Trường Dự bị Đại học thành phố Hồ Chí Minh").
_PROVINCIAL_BODY = re.compile(r"^(?:Sở|Phòng|Ủy ban|Uỷ ban|UBND|Công an|Bảo hiểm xã hội|Chi cục|Ban|Văn phòng)\b")


_NAMED_COMMUNE = re.compile(r"\b(UBND|Ủy ban nhân dân) (?:Phường|Xã|Thị trấn) [A-ZĐÀ-Ỹ][^;,()]*")


def _without_place(agency: str) -> str:
    # "Ủy ban nhân dân tỉnh Sơn La" keeps its level ("… tỉnh"); "Sở … Thành phố Hà Nội" is the Sở;
    # "UBND Phường Kinh Bắc" is a commune's; a part that is only the place ("tỉnh Bắc Ninh") goes.
    agency = _NAMED_COMMUNE.sub(lambda m: f"{m.group(1)} cấp xã", agency)
    if _PLACE_SUFFIX.fullmatch(" " + agency):
        return ""

    def unplaced(m: re.Match[str]) -> str:
        chunk = agency[: m.start()].rsplit(", ", 1)[-1]  # the body this place is said of
        if not (_PROVINCIAL_BODY.match(agency) or _PROVINCIAL_BODY.match(chunk)):
            return m.group(0)
        return f" {m.group(1)}" if m.group(1) in ("tỉnh", "thành phố") else ""

    return _PLACE_SUFFIX.sub(unplaced, agency)


def _unlocalised_agencies(text: str) -> str:
    """The agencies, each once, with another province's name taken off a body named generically
    ("Sở Nông nghiệp và Môi trường Thành phố Hải Phòng; Sở Nông nghiệp và Môi trường" is the Sở)."""
    parts = [_without_place(p.strip().rstrip(".").strip()) for p in text.split(";")]
    return "; ".join(p for p in dict.fromkeys(parts) if p)


def to_procedure(record: dict, vocabulary: Vocabulary | None = None) -> Procedure:
    if vocabulary is not None:
        record = _repaired(record, vocabulary)
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


ALIAS_CORRECTIONS_PATH = LIFE_EVENTS_PATH.parent / "alias_corrections.json"


def corrected_aliases(records: list[dict], path: Path = ALIAS_CORRECTIONS_PATH) -> list[dict]:
    """The records with the colloquial names the source gives to the wrong procedure moved to the
    one citizens mean ("sang tên sổ đỏ" named a real-estate project buyer's certificate, not the
    transfer between people), as `fixtures/alias_corrections.json` lists them with their reasons.
    A move whose procedures are not both in the records (an operator's own list) is skipped. Then
    the everyday names the records give to no procedure are added to the common one ("lên thổ cư":
    the conversion that needs permission, not its exception whose name holds those words)."""
    if not path.exists():
        return records
    corrections = json.loads(path.read_text(encoding="utf-8"))
    moves = corrections["moves"]
    by_code = {r.get("code"): r for r in records}
    for add in corrections.get("adds", []):
        target = by_code.get(add["to"])
        if target is not None:
            target["aliases"] = list(dict.fromkeys([*(target.get("aliases") or []), *add["aliases"]]))
    for move in moves:
        source, target = by_code.get(move["from"]), by_code.get(move["to"])
        if source is None or target is None:
            continue
        moved = [a for a in source.get("aliases") or [] if a in move["aliases"]]
        source["aliases"] = [a for a in source.get("aliases") or [] if a not in moved] or None
        target["aliases"] = list(dict.fromkeys([*(target.get("aliases") or []), *moved])) or None
    return records


def build_catalog(records: Iterable[dict], life_events_path: Path = LIFE_EVENTS_PATH) -> Catalog:
    rules = _group_rules(life_events_path)
    members: dict[str, list[str]] = {r["id"]: [] for r in rules}
    procedures: list[Procedure] = []
    seen: set[str] = set()
    records = corrected_aliases([dict(r) for r in records])
    vocabulary = Vocabulary.of(text for record in records for text in record_texts(record))
    for record in records:
        procedure = to_procedure(record, vocabulary)
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
