"""The catalog built from the real procedure records."""

import json
from pathlib import Path

import pytest

from lookup.catalog import load_catalog
from lookup.catalog_build import build_catalog, local_id, read_records

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "procedures.jsonl"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/data is not beside the project")


def test_a_procedure_card_has_what_a_citizen_needs(catalog):
    p = catalog.get("1.001193")
    assert p.name == "Thủ tục đăng ký khai sinh"
    assert p.field == "Hộ tịch" and p.level == "Cấp xã"
    assert p.online_submission is True and p.fee_vnd == 0
    assert p.documents and all(d.name for d in p.documents)
    assert "làm giấy khai sinh" in p.aliases
    assert p.life_events == ["co-con-nho"]


def test_fee_caveats_are_kept(catalog):
    p = catalog.get("1.013424")
    assert p.fee_vnd == 0 and p.fee_warning and p.fee_amounts_mentioned_vnd == [50000, 100000, 150000]


def test_life_event_groups_are_the_national_ones_and_none_is_empty(catalog):
    audiences = [g.audience for g in catalog.groups.values()]
    assert audiences.count("citizen") == 11 and audiences.count("business") == 11
    names = {g.name for g in catalog.groups.values()}
    assert {"Học tập", "Có con nhỏ", "Khởi sự kinh doanh", "Tạm dừng, chấm dứt hoạt động"} <= names
    for group in catalog.groups.values():
        assert catalog.group_procedures(group.id), f"group {group.name} lists no procedure"
    assert "1.004194" in catalog.groups["cu-tru-giay-to"].procedure_codes  # Đăng ký tạm trú


def test_a_record_without_code_gets_a_stable_local_id():
    record = {"name": "Chuyển trường đối với học sinh trung học phổ thông", "field": "Giáo dục trung học"}
    assert local_id(record) == local_id(dict(record)) and local_id(record).startswith("LOCAL-")
    assert local_id(record) != local_id({**record, "name": "Khác"})


def test_unknown_code_gives_none(catalog):
    assert catalog.get("9.999999") is None


@needs_shared
def test_every_shared_record_is_in_the_built_catalog(catalog):
    records = list(read_records(SHARED))
    assert len(catalog) == len(records)
    assert all(catalog.get(r["code"]) for r in records if r.get("code"))


@needs_shared
def test_committed_catalog_is_up_to_date_with_builder_and_records(catalog):
    # Fails when the builder or the life-event rules changed without `python -m bot build-catalog`.
    rebuilt = build_catalog(read_records(SHARED))
    assert rebuilt.to_document() == catalog.to_document()


def test_an_operator_catalog_in_the_records_schema_loads_directly(tmp_path):
    own = tmp_path / "own.jsonl"
    rows = [
        {"code": "1.000001", "name": "Thủ tục thử", "field": "Hộ tịch", "life_event": "Có con nhỏ", "fee_vnd": 0},
        {"name": "Thủ tục không mã", "field": "Khác"},
    ]
    own.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    catalog = load_catalog(own)
    assert len(catalog) == 2 and catalog.get("1.000001").life_events == ["co-con-nho"]


def test_the_transfer_of_land_between_people_carries_its_colloquial_names(catalog):
    # The source gave "sang tên sổ đỏ" to a real-estate project buyer's certificate (1.012787);
    # fixtures/alias_corrections.json moves it, with its reason, to the change registration.
    assert "sang tên sổ đỏ" in catalog.get("1.013831").aliases
    assert "sang tên sổ đỏ" not in (catalog.get("1.012787").aliases or [])


def test_turning_garden_land_residential_is_found_as_citizens_call_it(catalog):
    # "Lên thổ cư" needs the commune's permission (1.013949); the twin whose name holds "chuyển mục
    # đích sử dụng đất" is the exception that needs none, and was found first.
    from lookup.search import ProcedureIndex

    index = ProcedureIndex(catalog)
    for query in ("lên thổ cư", "chuyển mục đích sử dụng đất", "chuyen dat vuon len tho cu"):
        assert index.search(query, 1) == ["1.013949"], query


def test_a_persons_own_income_tax_and_household_health_insurance_are_found_first(catalog):
    # A person settling their own income tax is a wage earner (2.002233), not a household business
    # (1.014976); buying health insurance for the family is joining it alone (1.001939), not the
    # card of those already covered (1.014137).
    from lookup.search import ProcedureIndex

    index = ProcedureIndex(catalog)
    assert index.search("tự quyết toán thuế thu nhập cá nhân", 1) == ["2.002233"]
    # Bare, the household business's name holds every word: the wage earner's is next, one tap away.
    assert "2.002233" in index.search("quyết toán thuế thu nhập cá nhân", 2)
    assert index.search("mua bảo hiểm y tế hộ gia đình", 1) == ["1.001939"]


def test_no_procedure_says_it_is_received_in_another_province(catalog):
    # Records crawled from Hải Phòng's or Hà Nội's lists said so in their level and agencies; a Kon
    # Tum citizen read "Cấp xã (tiếp nhận tại cấp xã – Hải Phòng)" under a list item.
    assert not [p.code for p in catalog.procedures.values() if "tiếp nhận tại" in (p.level or "")]
    assert catalog.get("1.003851").agency == "Sở Nông nghiệp và Môi trường"  # "… Thành phố Hải Phòng; …"
    assert catalog.get("1.005411").agency == "Kho bạc Nhà nước khu vực, Sở Nông nghiệp và Môi trường, Sở Tài chính"
    assert catalog.get("1.014581").agency == "UBND cấp xã"  # "UBND Phường Kinh Bắc; tỉnh Bắc Ninh"
    # A school or a bank branch whose own name holds its city keeps it.
    assert "thành phố Hồ Chí Minh" in catalog.get("1.001477").agency
    assert catalog.get("2.002481").level == "Cấp xã"
