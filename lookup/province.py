"""Province branding and agencies: configuration (a fixtures file), never code."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from lookup.catalog import FIXTURES_DIR, Procedure

PROVINCES_DIR = FIXTURES_DIR / "provinces"


class Hotline(BaseModel):
    label: str
    phone: str
    hours: str
    topic: Literal["procedure", "technical", "education", "other"] = "other"


class OfficeHours(BaseModel):
    weekdays: list[int]
    open: str
    close: str


class Agency(BaseModel):
    id: str
    name: str
    level: Literal["tinh", "xa"]
    ministries: list[str] = []


class Province(BaseModel):
    id: str
    name: str
    full_name: str
    code: str
    oa_name: str
    portal_url: str
    national_portal_url: str
    note: str = ""
    hotlines: list[Hotline]
    # Where a citizen sends a "phản ánh, kiến nghị" (complaint, feedback) online.
    feedback_url: str = ""
    office_hours: OfficeHours
    agencies: list[Agency]

    def agency(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)

    def agency_for(self, procedure: Procedure) -> Agency:
        """The agency that would typically receive a procedure: commune-level ones at a commune
        People's Committee, the others at the department of their ministry, else the centre."""
        if procedure.level_keys == ["xa"] or (procedure.level_keys and "tinh" not in procedure.level_keys):
            communes = [a for a in self.agencies if a.level == "xa"]
            if communes:
                return communes[0]
        for agency in self.agencies:
            if procedure.ministry and procedure.ministry in agency.ministries:
                return agency
        return self.agencies[0]


def load_province(name_or_path: str) -> Province:
    """`kontum`, `quangngai`, or a path to a JSON file of the same shape."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROVINCES_DIR / f"{name_or_path}.json"
    return Province.model_validate_json(path.read_text(encoding="utf-8"))
