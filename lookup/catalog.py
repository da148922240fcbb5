"""The procedure catalog: what a citizen needs to know about each administrative procedure.

The catalog is built once from records in the shared crawl schema (see `catalog_build`) into a
gzip'd JSON file under `fixtures/`, which the service loads at start-up. Lookups here are exact (by
code, by life-event group); fuzzy search lives in its own module.

Records are lean, because a big province's catalog must fit a small server: what search and lists
read of every record (code, name, aliases, field, level, agency, ...) is held as plain attributes,
the repeated ones (fields, ministries, agencies, levels) shared between records; the long texts are
held compressed (`lookup.packed`) by blocks of neighbouring records, in three parts decoded
separately when a record is read: its documents and results (which the search index reads of
every record), its prose (steps, conditions, subjects: the index's everyday-word weights), and the
rest (channels and fees, legal basis, the portal link). A record reads as before (`p.documents`,
`p.steps`: lists). The last few blocks decompressed and records decoded are kept, so an answer
that reads one record several times decodes it once, and a scan of the whole catalog decompresses
each block once.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from lookup.packed import pack, unpack

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_CATALOG_PATH = FIXTURES_DIR / "catalog.json.gz"
LIFE_EVENTS_PATH = FIXTURES_DIR / "life_events.json"
FORMAT = 3  # a line per block of records, their long texts packed: loading never holds the whole file parsed
BLOCK_SIZE = 16  # records per block: a seventh of their texts' size, and a block decompresses in tens of µs
DECODED_BLOCKS = 8  # blocks whose decompressed texts are kept, per part (a scan reads a block 16 times)
DECODED_ROWS = 256  # records' parts kept decoded (an answer reads one record's documents several times)
FACTS_KEPT = 4096  # records whose lookup.facts are kept (the procedures citizens are asking about)


class Document(NamedTuple):
    name: str
    originals: int = 0
    copies: int = 0
    form: str | None = None
    case: str | None = None


class Method(NamedTuple):
    """One submission channel with its own processing time and fee."""

    method: str
    time_value: float | None = None
    time_unit: str | None = None
    fee_text: str | None = None
    fee_vnd: int | None = None


class Result(NamedTuple):
    name: str
    code: str | None = None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _document(value: Any) -> Document:
    if isinstance(value, Document):
        return value
    return Document(str(value["name"]), int(value.get("originals") or 0), int(value.get("copies") or 0),
                    _opt_str(value.get("form")), _opt_str(value.get("case")))  # fmt: skip


def _method(value: Any) -> Method:
    if isinstance(value, Method):
        return value
    return Method(str(value["method"]), _opt_float(value.get("time_value")), _opt_str(value.get("time_unit")),
                  _opt_str(value.get("fee_text")), _opt_int(value.get("fee_vnd")))  # fmt: skip


def _result(value: Any) -> Result:
    return value if isinstance(value, Result) else Result(str(value["name"]), _opt_str(value.get("code")))


# How each kind of field is read from outside (a dict, a list) into what a record keeps.
_CONVERT = {
    "str": str, "opt": _opt_str, "bool": lambda v: None if v is None else bool(v), "float": _opt_float,
    "int": _opt_int, "strs": lambda v: tuple(map(str, v or ())), "ints": lambda v: tuple(map(int, v or ())),
    "documents": lambda v: tuple(map(_document, v or ())), "methods": lambda v: tuple(map(_method, v or ())),
    "results": lambda v: tuple(map(_result, v or ())),
}  # fmt: skip
_ROWS = {"documents": Document, "methods": Method, "results": Result}
_LISTS = frozenset({"strs", "ints", *_ROWS})
# Texts that repeat across records (a field, a ministry, an agency, a level): one string for all.
_SHARED_TEXT = frozenset({"field", "ministry", "level", "agency", "competent_agency", "online_level", "status"})

# Every field, in the order the API and the built file list them: (name, kind, where it is kept:
# "" a plain attribute, else the compressed part that holds it).
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("code", "str", ""), ("name", "str", ""), ("aliases", "strs", ""), ("field", "opt", ""),
    ("ministry", "opt", ""), ("level", "opt", ""), ("level_keys", "strs", ""), ("agency", "opt", ""),
    ("competent_agency", "opt", ""), ("subjects", "opt", "prose"), ("submission_methods", "strs", "detail"),
    ("online_submission", "bool", ""), ("online_level", "opt", ""), ("processing_days", "float", ""),
    ("processing_time_text", "opt", "detail"), ("processing_note", "opt", "detail"), ("fee_vnd", "int", ""),
    ("fee_text", "opt", "detail"), ("fee_warning", "opt", "detail"), ("fee_amounts_mentioned_vnd", "ints", "detail"),
    ("methods", "methods", "detail"), ("documents", "documents", "listing"), ("steps", "strs", "prose"),
    ("results", "results", "listing"), ("legal_basis", "strs", "detail"), ("conditions", "opt", "prose"),
    ("life_events", "strs", ""), ("national_url", "opt", "detail"), ("local_code", "opt", ""), ("status", "opt", ""),
)  # fmt: skip
_KIND = {name: kind for name, kind, _ in FIELDS}
PARTS = ("listing", "prose", "detail")
_PART_FIELDS = tuple(tuple(name for name, _, where in FIELDS if where == part) for part in PARTS)
_PART_KINDS = tuple(tuple(_KIND[name] for name in names) for names in _PART_FIELDS)
_PLAIN = tuple(name for name, kind, where in FIELDS if not where and kind not in _LISTS)
_PLAIN_LISTS = tuple(name for name, kind, where in FIELDS if not where and kind in _LISTS)
# A decoded row of a document, channel or result: the rows are packed whole, so no length check.
_MAKE = {kind: partial(tuple.__new__, row) for kind, row in _ROWS.items()}
_shared_tuples: dict[tuple, tuple] = {}


def _shared(value: tuple) -> tuple:
    """One tuple for equal ones (level keys, life-event ids, the empty aliases of most records)."""
    if len(_shared_tuples) > 10_000:  # a catalog with that many distinct ones shares nothing more
        return value
    return _shared_tuples.setdefault(value, value)


class _Block:
    """The packed long texts of `size` neighbouring records, one blob per part."""

    __slots__ = ("blobs", "size")

    def __init__(self, size: int, blobs: tuple[bytes, ...]) -> None:
        self.size, self.blobs = size, blobs

    @classmethod
    def of(cls, rows: list[tuple[tuple, ...]]) -> _Block:
        """A block of records given as their values per part (`_values_of`)."""
        return cls(len(rows), tuple(pack([list(row[k]) for row in rows]) for k in range(len(PARTS))))


@lru_cache(maxsize=DECODED_BLOCKS * len(PARTS))
def _part_lines(block: _Block, part: int) -> list[bytes] | None:
    return unpack(block.blobs[part])


@lru_cache(maxsize=DECODED_ROWS)
def _decoded(block: _Block, part: int, at: int) -> tuple:
    """A record's values of one part, as the record's attributes give them."""
    kinds = _PART_KINDS[part]
    lines = _part_lines(block, part)
    row = json.loads(lines[at]) if lines is not None else [None] * len(kinds)
    return tuple(
        tuple(map(_MAKE[k], v or ())) if k in _MAKE else tuple(v or ()) if k in _LISTS else v
        for k, v in zip(kinds, row, strict=True)
    )


def _values_of(p: Procedure) -> tuple[tuple, ...]:
    """A record's values of every part."""
    return tuple(_decoded(p._block, part, p._at) for part in range(len(PARTS)))


class _PlainList:
    """A list field kept as a shared tuple and read as a new list (callers compare, slice and join lists)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot, self.kind = "_" + name, _KIND[name]

    def __get__(self, obj: Procedure | None, owner: type | None = None) -> Any:
        return self if obj is None else list(getattr(obj, self.slot))

    def __set__(self, obj: Procedure, value: Any) -> None:
        setattr(obj, self.slot, _shared(_CONVERT[self.kind](value)))


class _Packed:
    """A field kept in the record's block: decoded on reading; set, the record gets a block of its own."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.kind = _KIND[name]
        self.part = next(k for k, names in enumerate(_PART_FIELDS) if name in names)
        self.position = _PART_FIELDS[self.part].index(name)

    def __get__(self, obj: Procedure | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = _decoded(obj._block, self.part, obj._at)[self.position]
        return list(value) if self.kind in _LISTS else value

    def __set__(self, obj: Procedure, value: Any) -> None:
        values = [list(v) for v in _values_of(obj)]
        values[self.part][self.position] = _CONVERT[self.kind](value)
        obj._block, obj._at = _Block.of([tuple(tuple(v) for v in values)]), 0


_facts_kept: OrderedDict[int, tuple[Procedure, object]] = OrderedDict()


class Procedure:
    """One procedure. Built like the pydantic model it replaces (`Procedure(code=..., name=...)`,
    `Procedure.model_validate(dict)`, nested documents and methods as dicts or tuples; unknown keys
    ignored), and read the same way (`model_dump`, `model_copy`)."""

    __slots__ = (*_PLAIN, *("_" + n for n in _PLAIN_LISTS), "_block", "_at")
    code: str  # national code `d.dddddd`, or a stable local id `LOCAL-xxxxxxxx`
    name: str
    field: str | None
    ministry: str | None
    level: str | None
    agency: str | None
    competent_agency: str | None
    online_submission: bool | None
    online_level: str | None  # toàn trình / một phần, where the source says
    processing_days: float | None  # minimum over channels, working days
    fee_vnd: int | None  # highest fee over channels in VND; 0 = free
    local_code: str | None  # provincial notation `<code>.000.00.00.H34`
    status: str | None

    aliases = _PlainList()
    level_keys = _PlainList()
    life_events = _PlainList()  # ids of the life-event groups it belongs to
    subjects = _Packed()
    submission_methods = _Packed()
    processing_time_text = _Packed()
    processing_note = _Packed()
    fee_text = _Packed()
    fee_warning = _Packed()  # set when the fee cell says free but the description names amounts
    fee_amounts_mentioned_vnd = _Packed()
    methods = _Packed()
    documents = _Packed()
    steps = _Packed()
    results = _Packed()
    legal_basis = _Packed()
    conditions = _Packed()
    national_url = _Packed()

    def __init__(self, **data: Any) -> None:
        self._set_plain(data)
        values = tuple(tuple(_CONVERT[_KIND[n]](data.get(n)) for n in names) for names in _PART_FIELDS)
        self._block, self._at = _Block.of([values]), 0

    def _set_plain(self, data: dict[str, Any]) -> None:
        for name in ("code", "name"):
            if not isinstance(data.get(name), str):
                raise ValueError(f"a procedure needs a {name} (text), got {data.get(name)!r}")
        for name in _PLAIN:
            value = _CONVERT[_KIND[name]](data.get(name))
            setattr(self, name, sys.intern(value) if name in _SHARED_TEXT and value is not None else value)
        for name in _PLAIN_LISTS:
            setattr(self, "_" + name, _shared(_CONVERT[_KIND[name]](data.get(name))))

    @classmethod
    def _in_block(cls, data: dict[str, Any], block: _Block, at: int) -> Procedure:
        """The record of a built file: its plain fields, and its long texts `at` in `block`."""
        procedure = object.__new__(cls)
        procedure._set_plain(data)
        procedure._block, procedure._at = block, at
        return procedure

    @classmethod
    def model_validate(cls, data: dict[str, Any]) -> Procedure:
        return cls(**data)

    def model_dump(self, mode: str = "python", exclude_defaults: bool = False) -> dict[str, Any]:
        """The record as plain data, fields in their order (`mode` is accepted for the callers of the
        pydantic model; every value is JSON already). exclude_defaults: without empty fields."""
        out: dict[str, Any] = {}
        for name, kind, _ in FIELDS:
            value = getattr(self, name)
            if exclude_defaults and (value is None or value == []):
                continue
            if kind in _ROWS:
                value = [_row_dump(row, exclude_defaults) for row in value]
            out[name] = value
        return out

    def model_copy(self, update: dict[str, Any] | None = None) -> Procedure:
        """A copy (sharing the compressed block), with `update`'s fields set."""
        copy = object.__new__(Procedure)
        for slot in Procedure.__slots__:
            object.__setattr__(copy, slot, getattr(self, slot))
        for name, value in (update or {}).items():
            setattr(copy, name, value)
        return copy

    @property
    def _facts(self) -> object:
        """lookup.facts.facts_of keeps a record's facts here: for the last FACTS_KEPT records asked
        about, so a long-running service does not end up with every record's facts in memory."""
        kept = _facts_kept.get(id(self))
        if kept is None or kept[0] is not self:
            return None
        _facts_kept.move_to_end(id(self))
        return kept[1]

    @_facts.setter
    def _facts(self, facts: object) -> None:
        _facts_kept[id(self)] = (self, facts)
        _facts_kept.move_to_end(id(self))
        while len(_facts_kept) > FACTS_KEPT:
            _facts_kept.popitem(last=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Procedure) and self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable, as the pydantic model

    def __repr__(self) -> str:
        return f"Procedure(code={self.code!r}, name={self.name!r})"


def _row_dump(row: NamedTuple, exclude_defaults: bool) -> dict[str, Any]:
    defaults = row._field_defaults
    return {k: v for k, v in zip(row._fields, row, strict=True)
            if not (exclude_defaults and k in defaults and v == defaults[k])}  # fmt: skip


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
        """A life-event group's sub-groups: its procedures by field (lĩnh vực), as the national
        portal lists a group's procedures under their fields; the fields of everyday procedures first
        (the records give colloquial aliases to the common ones: residence before immigration in
        "Cư trú và giấy tờ tùy thân", civil status before adoption in "Có con nhỏ"), then the biggest;
        within a field, the everyday ones first."""
        by_field: dict[str, list[Procedure]] = {}
        for procedure in self.group_procedures(group_id):
            by_field.setdefault(procedure.field or "Khác", []).append(procedure)
        for procedures in by_field.values():
            procedures.sort(key=lambda p: not p.aliases)  # stable: the record order otherwise
        return sorted(by_field.items(),
                      key=lambda item: (-sum(bool(p.aliases) for p in item[1]), -len(item[1]), item[0]))  # fmt: skip

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


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_HEADER_END = ',"blocks":['


def pack_in_blocks(catalog: Catalog) -> Catalog:
    """The catalog's records moved into shared blocks of BLOCK_SIZE (a record made in memory has
    a block of its own: a third of its texts' size, not a seventh), as a built file loads them."""
    records = list(catalog.procedures.values())
    for start in range(0, len(records), BLOCK_SIZE):
        chunk = records[start : start + BLOCK_SIZE]
        block = _Block.of([_values_of(p) for p in chunk])
        for at, p in enumerate(chunk):
            p._block, p._at = block, at
    return catalog


def _block_line(records: list[Procedure]) -> dict[str, Any]:
    """A block of the built file: its records' plain fields, and their long texts packed (base64),
    so loading a big catalog neither parses nor compresses them."""
    plain = [{n: v for n in (*_PLAIN, *_PLAIN_LISTS) if (v := getattr(p, n)) is not None and v != []} for p in records]
    block = _Block.of([_values_of(p) for p in records])
    return {"records": plain} | {part: base64.b64encode(blob).decode("ascii")
                                 for part, blob in zip(PARTS, block.blobs, strict=True) if blob}  # fmt: skip


def _lines(catalog: Catalog) -> Iterator[str]:
    """The built file: one JSON document, `{"format", "groups", "blocks"}`, with a line per block of
    records (JSON escapes every line break inside a text, so a block never spans two lines)."""
    yield _dumps({"format": FORMAT, "groups": [g.model_dump() for g in catalog.groups.values()]})[:-1] + _HEADER_END
    records = list(catalog.procedures.values())
    starts = range(0, len(records), BLOCK_SIZE)
    for start in starts:
        last = start == starts[-1]
        yield "\n" + _dumps(_block_line(records[start : start + BLOCK_SIZE])) + ("" if last else ",")
    yield "\n]}\n"


def _read_lines(head: str, fh: Iterable[str]) -> Catalog:
    header = json.loads(head.rstrip("\n").removesuffix(_HEADER_END) + "}")
    groups = [LifeEventGroup.model_validate(g) for g in header["groups"]]

    def records() -> Iterator[Procedure]:
        for line in fh:
            if not line.startswith("{"):
                continue
            data = json.loads(line.rstrip("\n").rstrip(","))
            plain = data["records"]
            block = _Block(len(plain), tuple(base64.b64decode(data.get(part, "")) for part in PARTS))
            for at, fields in enumerate(plain):
                yield Procedure._in_block(fields, block, at)

    return Catalog(records(), groups)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load the built catalog (default), or build one in memory from a JSONL file in the shared
    records' schema, so that an operator can point `CATALOG_PATH` at their own province's list."""
    path = Path(path) if path else DEFAULT_CATALOG_PATH
    if path.suffix == ".jsonl":
        from lookup.catalog_build import build_catalog, read_records

        return pack_in_blocks(build_catalog(read_records(path)))
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="\n") as fh:
        head = fh.readline()
        if head.startswith(f'{{"format":{FORMAT},') and head.rstrip("\n").endswith(_HEADER_END):
            return _read_lines(head, fh)
        # A file built before format 2: one JSON document, parsed whole.
        return Catalog.from_document(json.loads(head + fh.read()))


def save_catalog(catalog: Catalog, path: Path | str) -> None:
    # mtime=0 keeps the gzip bytes reproducible, so rebuilding an unchanged catalog is no diff.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        for line in _lines(catalog):
            fh.write(line.encode("utf-8"))
