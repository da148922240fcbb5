"""Demo data: the fixed dossiers listed in the README, and a seeded generator of realistic
dossiers over real procedures in every status (`--count 100000` for scale runs)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from lookup.calendar import VN_TZ
from lookup.catalog import FIXTURES_DIR, Procedure
from lookup.codes import example_code, format_code
from lookup.dossier import Applicant, Dossier, FeeLine, Payment, PaymentState
from lookup.dossiers import SECURITY_ALPHABET, DossierService, advance, initial_status, new_dossier
from lookup.facts import document_names
from lookup.province import Agency, Province
from lookup.status import DossierStatus as S

DEMO_PATH = FIXTURES_DIR / "demo_dossiers.json"

_FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Y",
    "A",
    "Rơ Châm",
    "Siu",
]
_MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Hoàng", "Xuân", "Kim"]
_GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Uyên",
    "Vy",
    "Yến",
]
_UNITS = ["Bộ phận tiếp nhận và trả kết quả", "Phòng chuyên môn", "Lãnh đạo đơn vị", "Văn thư"]

# Each target status and a legal way to reach it from "received".
_PATHS: dict[S, list[S]] = {
    S.MOI_DANG_KY: [],
    S.DUOC_TIEP_NHAN: [],
    S.KHONG_DUOC_TIEP_NHAN: [S.KHONG_DUOC_TIEP_NHAN],
    S.DANG_XU_LY: [S.DANG_XU_LY],
    S.YEU_CAU_BO_SUNG: [S.DANG_XU_LY, S.YEU_CAU_BO_SUNG],
    S.YEU_CAU_NGHIA_VU_TAI_CHINH: [S.DANG_XU_LY, S.YEU_CAU_NGHIA_VU_TAI_CHINH],
    S.CONG_DAN_RUT: [S.DANG_XU_LY, S.CONG_DAN_RUT],
    S.DUNG_XU_LY: [S.DANG_XU_LY, S.DUNG_XU_LY],
    S.DA_XU_LY_XONG: [S.DANG_XU_LY, S.DA_XU_LY_XONG],
    S.DA_TRA_KET_QUA: [S.DANG_XU_LY, S.DA_XU_LY_XONG, S.DA_TRA_KET_QUA],
}
# Open dossiers outnumber closed ones on a real portal, and every status appears.
_WEIGHTS = {
    S.MOI_DANG_KY: 6,
    S.DUOC_TIEP_NHAN: 8,
    S.KHONG_DUOC_TIEP_NHAN: 2,
    S.DANG_XU_LY: 25,
    S.YEU_CAU_BO_SUNG: 7,
    S.YEU_CAU_NGHIA_VU_TAI_CHINH: 6,
    S.CONG_DAN_RUT: 2,
    S.DUNG_XU_LY: 2,
    S.DA_XU_LY_XONG: 12,
    S.DA_TRA_KET_QUA: 30,
}


@dataclass(frozen=True)
class DemoEntry:
    code: str
    security_code: str
    status: str
    procedure: str


def demo_agency(province: Province, spec: dict[str, Any]) -> Agency:
    """The office a demo dossier names by kind (`{"ministry": ...}` or `{"commune": k}`), found in
    whichever province is configured: the demo set used to index Kon Tum's agency list by position,
    and Quảng Ngãi's shorter list died at start with an IndexError."""
    if "commune" in spec:
        communes = [a for a in province.agencies if a.level == "xa"]
        if communes:
            return communes[int(spec["commune"]) % len(communes)]
    ministry = spec.get("ministry")
    return next((a for a in province.agencies if ministry and ministry in a.ministries), province.agencies[0])


@cache  # read once: the prompts' example is asked for on every lookup page in demo mode
def _fixed_items(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(path.read_text(encoding="utf-8"))["dossiers"])


def demo_codes(province: Province, path: Path = DEMO_PATH) -> list[str]:
    """The codes `load_fixed_demo` gives the fixed demo dossiers in this province, in file order."""
    return [
        format_code(demo_agency(province, item["agency"]).id, _local_day(item), item["sequence"])
        for item in _fixed_items(path)
    ]


def prompt_example(province: Province, *, demo: bool) -> str:
    """The code the bot's prompts show as an example: in demo mode the first demo dossier's (typing
    it finds a dossier), else one in the province's notation."""
    return demo_codes(province)[0] if demo else example_code(province.agencies[0].id)


def _local_day(item: dict[str, Any]) -> date:
    return datetime.fromisoformat(item["received"]).astimezone(VN_TZ).date()


async def load_fixed_demo(service: DossierService, path: Path = DEMO_PATH) -> list[DemoEntry]:
    """Insert the README's demo dossiers (idempotent: existing codes are left alone)."""
    entries = []
    items = await asyncio.to_thread(_fixed_items, path)
    for item in items:
        agency = demo_agency(service.province, item["agency"])
        procedure = service.catalog.get(item["procedure_code"])
        if procedure is None:
            raise ValueError(f"demo dossier names unknown procedure {item['procedure_code']}")
        received = datetime.fromisoformat(item["received"])
        local_day = _local_day(item)
        dossier = new_dossier(
            format_code(agency.id, local_day, item["sequence"]),
            item["security_code"],
            procedure,
            agency,
            item["channel"],
            Applicant(**item["applicant"]),
            document_names(procedure),
            received,
            service.calendar.due_at(received, item["processing_days"]),
            [FeeLine(**f) for f in item["fee_lines"]],
        )
        for t in item["transitions"]:
            dossier = advance(
                dossier,
                S(t["status"]),
                datetime.fromisoformat(t["at"]),
                unit=t.get("unit"),
                officer=t.get("officer"),
                note=t.get("note"),
            )
        await service.store.insert(dossier)
        await service.store.reserve_sequence(agency.id, local_day, item["sequence"])
        entries.append(DemoEntry(dossier.code, dossier.security_code, dossier.status.label, procedure.name))
    return entries


def _eligible(service: DossierService) -> list[Procedure]:
    """Procedures a citizen of the province would bring to a provincial or commune office."""
    return [
        p
        for p in service.catalog.procedures.values()
        if p.processing_days and ({"tinh", "xa"} & set(p.level_keys)) and p.documents
    ]


def _random_dossier(
    rng: random.Random, service: DossierService, procedures: list[Procedure], now: datetime
) -> tuple[str, datetime, Callable[[str], Dossier]]:
    procedure = rng.choice(procedures)
    agency = service.province.agency_for(procedure)
    target = rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]
    # Only an online submission can be refused at intake: at the counter the receipt is acceptance.
    online_only = target in (S.MOI_DANG_KY, S.KHONG_DUOC_TIEP_NHAN)
    channel = "trực tuyến" if online_only or rng.random() < 0.55 else rng.choice(["trực tiếp", "bưu chính"])
    received = now - timedelta(days=rng.uniform(0.2, 90))
    received = received.replace(hour=rng.randint(7, 16), minute=rng.randint(0, 59), second=0, microsecond=0)
    received = min(received, now)
    birth_year = rng.randint(1950, 2008)
    applicant = Applicant(
        full_name=f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}",
        birth_date=f"{birth_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        id_number=f"062{rng.randint(0, 1)}{birth_year % 100:02d}{rng.randint(0, 999999):06d}",
        phone=f"0{rng.choice('3579')}{rng.randint(0, 99999999):08d}",
        address=f"Tổ {rng.randint(1, 15)}, {service.province.agencies[-1].name.removeprefix('Ủy ban nhân dân ')}",
    )
    fee = procedure.fee_vnd or (
        rng.choice([0, 0, 20000, 50000, 100000]) if target is S.YEU_CAU_NGHIA_VU_TAI_CHINH else 0
    )
    fee_lines = [FeeLine(name="Phí, lệ phí theo quy định", amount_vnd=fee)] if fee else []
    if target is S.YEU_CAU_NGHIA_VU_TAI_CHINH and not fee_lines:
        fee_lines = [FeeLine(name="Phí thẩm định hồ sơ", amount_vnd=50000)]
    due = service.calendar.due_at(received, procedure.processing_days or 5)
    status = initial_status(channel)
    path = (
        [S.DUOC_TIEP_NHAN] if status is S.MOI_DANG_KY and target not in (S.MOI_DANG_KY, S.KHONG_DUOC_TIEP_NHAN) else []
    ) + _PATHS[target]
    security_code = "".join(rng.choice(SECURITY_ALPHABET) for _ in range(8))
    officer = f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
    units = [f"{rng.choice(_UNITS)} – {agency.name}" for _ in path]
    transaction_id = f"VCB{rng.randint(10**9, 10**10 - 1)}"
    span = max(timedelta(minutes=30), min(now, due + timedelta(days=rng.uniform(-5, 3))) - received)

    def build(code: str) -> Dossier:
        dossier = new_dossier(
            code,
            security_code,
            procedure,
            agency,
            channel,
            applicant,
            document_names(procedure)[:8],
            received,
            due,
            fee_lines,
        )
        for index, step in enumerate(path, start=1):
            at = min(now, received + span * index / (len(path) + 1))
            dossier = advance(dossier, step, at, unit=units[index - 1], officer=officer)
        if fee_lines and target in (S.DA_XU_LY_XONG, S.DA_TRA_KET_QUA):
            paid = Payment(
                id=f"demo{code[-11:].replace('-', '')}",
                amount_vnd=dossier.total_fee_vnd,
                state=PaymentState.DA_THANH_TOAN,
                created_at=received,
                bank_code="VCB",
                transaction_id=transaction_id,
                result_code="00",
                settled_at=received,
            )
            dossier = dossier.model_copy(update={"payments": [paid]})
        return dossier

    return agency.id, received, build


async def generate(
    service: DossierService, count: int, seed: int = 2024, now: datetime | None = None, concurrency: int = 32
) -> int:
    """Create `count` random dossiers; returns how many were stored. Seeded: the same seed gives
    the same people, procedures and statuses (codes depend on what the store already holds)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = now or service.clock()
    procedures = _eligible(service)
    specs = [_random_dossier(rng, service, procedures, now) for _ in range(count)]
    semaphore = asyncio.Semaphore(concurrency)

    async def store(agency_id: str, received: datetime, build: Callable[[str], Dossier]) -> None:
        async with semaphore:
            await service.store.create(build, agency_id, received.astimezone(VN_TZ).date())

    for start in range(0, count, 2000):
        await asyncio.gather(*(store(*spec) for spec in specs[start : start + 2000]))
    return count
