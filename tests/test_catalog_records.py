"""Lean catalog records: read as the full records they were built from, kept small, saved and
loaded back whole."""

import gzip
import json
import tracemalloc
from collections import OrderedDict

import pytest

from lookup import catalog as catalog_module
from lookup.catalog import Catalog, Document, Method, Procedure, Result, load_catalog, save_catalog
from lookup.facts import facts_of

FULL = {
    "code": "9.000001", "name": "Thủ tục thử đủ mọi trường", "aliases": ["làm thử"], "field": "Hộ tịch",
    "ministry": "Bộ Tư pháp", "level": "Cấp xã", "level_keys": ["xa"], "agency": "UBND xã",
    "competent_agency": "Chủ tịch UBND xã", "subjects": "Công dân Việt Nam", "submission_methods": ["Trực tiếp"],
    "online_submission": True, "online_level": "toàn trình", "processing_days": 3.0,
    "processing_time_text": "Trực tiếp: 3 Ngày làm việc", "processing_note": "kể từ ngày nhận đủ hồ sơ",
    "fee_vnd": 8000, "fee_text": "8.000 đồng", "fee_warning": "có khoản phí khác",
    "fee_amounts_mentioned_vnd": [8000, 10000],
    "methods": [{"method": "Trực tiếp", "time_value": 3.0, "time_unit": "Ngày làm việc", "fee_text": "8.000 đồng",
                 "fee_vnd": 8000}],
    "documents": [{"name": "Tờ khai theo mẫu", "originals": 1, "copies": 0, "form": "to-khai.docx",
                   "case": "Giấy tờ phải nộp"}, {"name": "Giấy tờ tùy thân", "originals": 0, "copies": 1,
                                                 "form": None, "case": None}],
    "steps": ["Nộp hồ sơ", "Nhận kết quả"], "results": [{"name": "Giấy xác nhận", "code": None}],
    "legal_basis": ["Luật Hộ tịch 2014"], "conditions": "Không", "life_events": ["co-con-nho"],
    "national_url": "https://dichvucong.gov.vn/x", "local_code": "9.000001.000.00.00.H34", "status": "active",
}  # fmt: skip


def test_a_record_reads_back_every_field_it_was_given_in_order():
    p = Procedure.model_validate(FULL)
    assert p.model_dump(mode="json") == FULL and list(p.model_dump()) == list(FULL)
    assert p.documents[0] == Document("Tờ khai theo mẫu", 1, 0, "to-khai.docx", "Giấy tờ phải nộp")
    assert (
        p.documents[0].form == "to-khai.docx" and p.methods[0].fee_vnd == 8000 and p.results[0].name == "Giấy xác nhận"
    )
    assert p.steps == ["Nộp hồ sơ", "Nhận kết quả"] and p.fee_amounts_mentioned_vnd == [8000, 10000]
    assert p.model_dump(exclude_defaults=True)["documents"][1] == {"name": "Giấy tờ tùy thân", "copies": 1}


def test_numbers_are_read_as_the_model_read_them_and_unknown_keys_are_ignored():
    p = Procedure(code="9.000002", name="Thử", processing_days=15, fee_vnd=5000.0, crawled_at="2024-01-01",
                  methods=[{"method": "Trực tiếp", "time_value": 1, "extra": "x"}])  # fmt: skip
    assert p.processing_days == 15.0 and isinstance(p.processing_days, float) and p.fee_vnd == 5000
    assert p.methods == [Method("Trực tiếp", 1.0)] and "crawled_at" not in p.model_dump()


def test_a_record_without_name_is_refused():
    with pytest.raises(ValueError, match="name"):
        Procedure(code="9.000003")


def test_changing_a_long_text_changes_that_record_only():
    p = Procedure.model_validate(FULL)
    copy = p.model_copy(update={"code": "9.000001~1", "steps": ["Một bước"]})
    copy.documents = [{"name": "Đơn đề nghị", "originals": 1}]
    assert copy.steps == ["Một bước"] and copy.documents == [Document("Đơn đề nghị", 1)]
    assert copy.results == [Result("Giấy xác nhận")] and copy.name == p.name
    assert p.steps == ["Nộp hồ sơ", "Nhận kết quả"] and p.documents[0].name == "Tờ khai theo mẫu"
    p.steps.append("sửa trên bản đọc")  # a list read is the caller's own: the record is unchanged
    assert p.steps == ["Nộp hồ sơ", "Nhận kết quả"]


def test_the_built_file_loads_back_the_same_catalog_and_a_file_of_the_older_form_still_loads(catalog, tmp_path):
    small = Catalog(list(catalog.procedures.values())[:50], catalog.groups.values())
    path = tmp_path / "small.json.gz"
    save_catalog(small, path)
    assert json.loads(gzip.decompress(path.read_bytes()))["format"] == catalog_module.FORMAT  # still one JSON document
    assert load_catalog(path).to_document() == small.to_document()
    older = tmp_path / "older.json.gz"  # what the builder wrote before records were lean: one JSON document
    older.write_bytes(gzip.compress(json.dumps(small.to_document(), ensure_ascii=False).encode()))
    assert load_catalog(older).to_document() == small.to_document()


def test_the_loaded_catalog_holds_its_records_in_little_memory():
    tracemalloc.start()
    try:
        loaded = load_catalog()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The pydantic records held 16 KB each (50 MB for these 3,107); lean, about 2 KB.
    assert held / len(loaded) < 4_000, f"{held / len(loaded):.0f} bytes per record"


def test_facts_are_kept_for_the_records_asked_about_most_recently(catalog, monkeypatch):
    monkeypatch.setattr(catalog_module, "FACTS_KEPT", 20)
    # From empty: facts other tests made are kept already, and a kept record's are not made again.
    monkeypatch.setattr(catalog_module, "_facts_kept", OrderedDict())
    records = list(catalog.procedures.values())[:60]
    first = facts_of(records[0])
    for p in records[1:]:
        facts_of(p)
    assert len(catalog_module._facts_kept) <= 20
    again = facts_of(records[0])  # made again, the same facts
    assert again is not first and again == first and facts_of(records[0]) is again


def test_an_operator_records_file_loads_into_shared_blocks_with_every_text_kept(tmp_path):
    rows = [
        {"code": f"9.{k:06d}", "name": f"Thủ tục thử số {k}", "field": "Hộ tịch", "steps": [f"Bước {k}"],
         "documents": [{"name": f"Tờ khai số {k}", "originals": 1}], "national_url": f"https://dichvucong.gov.vn/{k}"}
        for k in range(40)
    ]  # fmt: skip
    own = tmp_path / "own.jsonl"
    own.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    loaded = load_catalog(own)
    assert [(p.steps, p.documents[0].name, p.national_url) for p in loaded.procedures.values()] == [
        ([f"Bước {k}"], f"Tờ khai số {k}", f"https://dichvucong.gov.vn/{k}") for k in range(40)
    ]
    blocks = {id(p._block) for p in loaded.procedures.values()}
    assert len(blocks) == -(-40 // catalog_module.BLOCK_SIZE)  # packed as a built file's, not one per record
