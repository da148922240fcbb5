"""The procedure catalog: what a citizen needs to know about each administrative procedure.

The catalog is built once from records in the shared crawl schema (see `catalog_build`) into a
compact gzip'd JSON file under `fixtures/`, which the service loads at start-up. Lookups here are
exact (by code, by life-event group); fuzzy search lives in its own module.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_CATALOG_PATH = FIXTURES_DIR / "catalog.json.gz"
LIFE_EVENTS_PATH = FIXTURES_DIR / "life_events.json"


class Document(BaseModel):
    name: str
    originals: int = 0
    copies: int = 0
    form: str | None = None
    case: str | None = None


class Method(BaseModel):
    """One submission channel with its own processing time and fee."""

    method: str
    time_value: float | None = None
    time_unit: str | None = None
    fee_text: str | None = None
    fee_vnd: int | None = None


class Result(BaseModel):
    name: str
    code: str | None = None


class Procedure(BaseModel):
    code: str = Field(description="National code `d.dddddd`, or a stable local id `LOCAL-xxxxxxxx`.")
    name: str
    aliases: list[str] = []
    field: str | None = None
    ministry: str | None = None
    level: str | None = None
    level_keys: list[str] = []
    agency: str | None = None
    competent_agency: str | None = None
    subjects: str | None = None
    submission_methods: list[str] = []
    online_submission: bool | None = None
    online_level: str | None = Field(None, description="toàn trình / một phần, where the source says.")
    processing_days: float | None = Field(None, description="Minimum over channels, working days.")
    processing_time_text: str | None = None
    processing_note: str | None = None
    fee_vnd: int | None = Field(None, description="Highest fee over channels in VND; 0 = free.")
    fee_text: str | None = None
    fee_warning: str | None = Field(
        None, description="Set when the fee cell says free but the description names amounts."
    )
    fee_amounts_mentioned_vnd: list[int] = []
    methods: list[Method] = []
    documents: list[Document] = []
    steps: list[str] = []
    results: list[Result] = []
    legal_basis: list[str] = []
    conditions: str | None = None
    life_events: list[str] = Field([], description="Ids of the life-event groups it belongs to.")
    national_url: str | None = None
    local_code: str | None = Field(None, description="Provincial notation `<code>.000.00.00.H34`.")
    status: str | None = None
    _facts: object = PrivateAttr(default=None)  # lookup.facts.facts_of keeps the record's facts here


class LifeEventGroup(BaseModel):
    id: str
    name: str
    audience: Literal["citizen", "business"]
    procedure_codes: list[str] = []


class Catalog:
    """All procedures, indexed by code, with the life-event groups that list them."""

    def __init__(self, procedures: Iterable[Procedure], groups: Iterable[LifeEventGroup]) -> None:
        self.procedures: dict[str, Procedure] = {p.code: p for p in procedures}
        self.groups: dict[str, LifeEventGroup] = {g.id: g for g in groups}

    def __len__(self) -> int:
        return len(self.procedures)

    def get(self, code: str) -> Procedure | None:
        return self.procedures.get(code.strip())

    def group(self, group_id: str) -> LifeEventGroup | None:
        return self.groups.get(group_id)

    def group_procedures(self, group_id: str) -> list[Procedure]:
        group = self.groups.get(group_id)
        if group is None:
            return []
        return [self.procedures[c] for c in group.procedure_codes if c in self.procedures]

    def group_fields(self, group_id: str) -> list[tuple[str, list[Procedure]]]:
        """A life-event group's sub-groups: its procedures by field (lĩnh vực), biggest first, as the
        national portal lists a group's procedures under their fields."""
        by_field: dict[str, list[Procedure]] = {}
        for procedure in self.group_procedures(group_id):
            by_field.setdefault(procedure.field or "Khác", []).append(procedure)
        return sorted(by_field.items(), key=lambda item: (-len(item[1]), item[0]))

    def to_document(self) -> dict:
        return {
            "procedures": [p.model_dump(exclude_defaults=True) for p in self.procedures.values()],
            "groups": [g.model_dump() for g in self.groups.values()],
        }

    @classmethod
    def from_document(cls, doc: dict) -> Catalog:
        return cls(
            (Procedure.model_validate(p) for p in doc["procedures"]),
            (LifeEventGroup.model_validate(g) for g in doc["groups"]),
        )


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load the built catalog (default), or build one in memory from a JSONL file in the shared
    records' schema, so that an operator can point `CATALOG_PATH` at their own province's list."""
    path = Path(path) if path else DEFAULT_CATALOG_PATH
    if path.suffix == ".jsonl":
        from lookup.catalog_build import build_catalog, read_records

        return build_catalog(read_records(path))
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return Catalog.from_document(json.load(fh))


def save_catalog(catalog: Catalog, path: Path | str) -> None:
    data = json.dumps(catalog.to_document(), ensure_ascii=False, separators=(",", ":"))
    # mtime=0 keeps the gzip bytes reproducible, so rebuilding an unchanged catalog is no diff.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(data.encode("utf-8"))
