"""Procedure facts over the whole catalog: every record renders as a card and as each direct answer
within Zalo's limits, no line ends inside a word, no document is listed twice, and nothing is
"không rõ" (or missing) where the source record has the value."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from handlers.answers import ANSWER_LIMIT, CARD_LIMIT, facet_answer, procedure_card, variant_label
from lookup.catalog import Catalog, Procedure
from lookup.catalog_build import record_texts
from lookup.facts import FACETS, NO_UNIT, build_facts, counts_in_words, facts_of, where_lines
from lookup.source_text import Vocabulary, complete_legal_number, rejoin_form, repair
from lookup.text import shorten

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "procedures.jsonl"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/data is not beside the project")
BASE = "https://tracuu.example.vn"


def _raw_records() -> dict[str, dict]:
    rows = [json.loads(line) for line in SHARED.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["code"]: r for r in rows if r.get("code")}


def _source_words(records: dict[str, dict]) -> Counter[str]:
    """Words the raw records write whole: anywhere but just before a cut ("…")."""
    counts: Counter[str] = Counter()
    for r in records.values():
        for text in record_texts(r):
            tokens = unicodedata.normalize("NFC", text).replace("…", "… ").split()
            counts.update(_core(t) for t in tokens if not t.endswith("…"))
    return counts


def _core(token: str) -> str:
    return token.split(")")[0].strip(".,;:!?)]}\"'”“(«»").lower()


_ITEM = re.compile(r"(điểm|khoản|mục|tiết|các điểm|và|,)\s+\S$", re.IGNORECASE)


def _ends_mid_word(line: str, words: Counter[str]) -> bool:
    """A line ends inside a word when its last token is a fragment: it ends with "/", "-" or "(",
    or the source never writes it as a word of its own ("giá tr", "quy đị", "hành ch"). Numbers,
    codes, names and the letters of legal points ("điểm d") are whole."""
    line = unicodedata.normalize("NFC", line.rstrip())
    if not line or line.endswith((".", ";", ")", ":", "?", "!", "”", '"')):
        return False
    body = line.rstrip("…").rstrip()
    token = body.split()[-1] if body.split() else ""
    if token.startswith(("http", "#")):
        return False
    if token.endswith(("/", "-", "(")):
        return True
    core = _core(token)
    if not core or any(ch.isdigit() for ch in core) or token[:1].isupper() or "-" in core or _ITEM.search(body):
        return False
    return words.get(core, 0) == 0


def _everything_said(p: Procedure, province) -> list[str]:
    """Every text the bot or the page shows of a procedure, as lines."""
    facts = facts_of(p)
    replies = [procedure_card(p, BASE)] + [r for f in FACETS for r in facet_answer(p, f, BASE, province=province)]
    texts = [r.text for r in replies]
    texts += [d.name for d in facts.documents] + [d.short for d in facts.documents]
    texts += [facts.time_summary or "", facts.fee_summary or ""]
    # Of the source's own multi-line texts, the end is where a cut would show.
    texts += [t.splitlines()[-1] for t in [facts.conditions or "", *facts.steps] if t]
    texts += [f.detail or "" for f in facts.fees] + facts.results + where_lines(facts, province)
    return [line for text in texts for line in text.splitlines()]


@pytest.fixture(scope="module")
def raw() -> dict[str, dict]:
    if not SHARED.exists():
        pytest.skip("../shared/data is not beside the project")
    return _raw_records()


@needs_shared
def test_every_record_renders_within_zalo_limits_and_no_line_ends_mid_word(catalog: Catalog, province, raw):
    words = _source_words(raw)
    bad_lines: list[str] = []
    for p in catalog.procedures.values():
        card = procedure_card(p, BASE)
        assert len(card.text) <= CARD_LIMIT and len(card.buttons) <= 5, p.code
        for facet in FACETS:
            (reply,) = facet_answer(p, facet, BASE, province=province)
            assert len(reply.text) <= ANSWER_LIMIT and len(reply.buttons) <= 5, (p.code, facet)
            assert p.code in reply.text
            assert all(0 < len(b.title) <= 40 for b in reply.buttons), (p.code, facet)
        said = _everything_said(p, province)
        assert not any("không rõ" in line for line in said), p.code
        bad_lines += [f"{p.code}: {line[-60:]}" for line in said if _ends_mid_word(line, words)]
    assert not bad_lines, f"{len(bad_lines)} lines end inside a word, e.g. {bad_lines[:5]}"


@needs_shared
def test_no_document_is_listed_twice(catalog: Catalog, province):
    for p in catalog.procedures.values():
        facts = facts_of(p)
        per_group = Counter((d.group, d.name.lower().rstrip(" .;…")) for d in facts.documents)
        assert max(per_group.values(), default=1) == 1, p.code
        shorts = [d.short.lower() for d in facts.key_documents]
        assert len(shorts) == len(set(shorts)), p.code
        (answer,) = facet_answer(p, "documents", BASE, province=province)
        bullets = [line for line in answer.text.splitlines() if line.startswith("•")]
        assert len(bullets) == len(set(bullets)), p.code


@needs_shared
def test_what_the_source_has_is_never_missing(catalog: Catalog, raw):
    for code, r in raw.items():
        facts = facts_of(catalog.get(code))
        unit_channels = {m["method"] for m in r.get("methods") or [] if m.get("time_unit") and m.get("time_value")}
        for fact in facts.times:
            if fact.channel and any(fact.channel.lower() in c.lower() or c.lower() in fact.channel.lower()
                                    for c in unit_channels):  # fmt: skip
                assert NO_UNIT not in fact.text, (code, fact)
        if r.get("processing_days") is not None or unit_channels:
            assert facts.time_summary, code
        if r.get("fee_vnd") is not None:
            assert facts.fee_summary, code
        if any((d.get("name") or "").strip(" -+•*") for d in r.get("documents") or []):
            assert facts.documents, code
        if r.get("agency"):
            assert "where" not in facts.missing, code


def test_time_in_words_per_channel_from_the_methods_or_the_source_text():
    text = "Trực tiếp: 3 Ngày làm việc; Trực tuyến: ? (đơn vị không rõ)"
    p = Procedure(code="9.000001", name="Thử", processing_time_text=text,
                  methods=[{"method": "Trực tiếp", "time_value": 3}, {"method": "Trực tuyến"}])  # fmt: skip
    facts = build_facts(p)
    assert facts.time_summary == "3 ngày làm việc" and [t.channel for t in facts.times] == ["Trực tiếp"]
    p = Procedure(code="9.000002", name="Thử", processing_time_text="Trực tuyến/Bưu chính/Trực tiếp: ≤15 ngày")
    assert build_facts(p).time_summary == "không quá 15 ngày"
    p = Procedure(code="9.000003", name="Thử", methods=[{"method": "Trực tiếp", "time_value": 1}])
    assert build_facts(p).time_summary == f"1 ({NO_UNIT})"  # the source has the number and no unit: said so
    online = {"method": "Trực tuyến", "time_unit": "Ngày làm việc"}
    p = Procedure(code="9.000004", name="Thử", methods=[{**online, "time_value": 5}, {**online, "time_value": 3}])
    assert build_facts(p).time_summary == "3 hoặc 5 ngày làm việc"
    assert "time" in build_facts(Procedure(code="9.000005", name="Thử")).missing


def test_fees_per_channel_free_and_amounts_and_the_warning():
    p = Procedure(code="9.000001", name="Thử", methods=[
        {"method": "Trực tuyến", "fee_vnd": 7000,
         "fee_text": "7,000 Việt Nam Đồng(thu 7.000 đồng/lần.)- Nộp hồ sơ trực tuyến"},
        {"method": "Trực tiếp", "fee_vnd": 10000, "fee_text": "10,000 Việt Nam Đồng"}])  # fmt: skip
    facts = build_facts(p)
    assert facts.fee_summary == "Trực tuyến: 7.000 đồng; Trực tiếp: 10.000 đồng"
    assert facts.fees[0].detail == "thu 7.000 đồng/lần."
    p = Procedure(code="9.000002", name="Thử", fee_vnd=0, fee_text="Miễn phí", fee_warning="x",
                  fee_amounts_mentioned_vnd=[50000],
                  methods=[{"method": "Trực tiếp", "fee_text": "Phí : 0 Đồng"}])  # fmt: skip
    facts = build_facts(p)
    assert facts.fee_summary == "Miễn phí" and "50.000 đồng" in facts.fee_warning


def test_documents_counts_in_words_and_the_key_ones_unconditional_first():
    assert counts_in_words(1, 1) == "1 bản chính, 1 bản sao" and counts_in_words(0, 2) == "2 bản sao"
    assert counts_in_words(0, 0) is None
    p = Procedure(code="9.000001", name="Thử", documents=[
        {"name": "- Trường hợp trẻ em bị bỏ rơi thì phải có biên bản.", "originals": 1},
        {"name": "Giấy chứng sinh; trường hợp không có thì nộp văn bản của người làm chứng.", "originals": 1},
        {"name": "Giấy chứng sinh; trường hợp không có thì nộp văn bản của người làm chứng.", "originals": 1},
        {"name": "Tờ khai theo mẫu (nếu nộp trực tiếp)", "originals": 1, "copies": 1},
        {"name": "Giấy tờ tùy thân còn giá trị sử dụng", "originals": 0}])  # fmt: skip
    facts = build_facts(p)
    key = [d.short for d in facts.key_documents]
    assert key == ["Giấy chứng sinh", "Tờ khai theo mẫu", "Giấy tờ tùy thân còn giá trị sử dụng"]
    assert len(facts.documents) == 4 and facts.other_documents == 1
    assert facts.documents[2].counts == "1 bản chính, 1 bản sao" and facts.documents[3].counts is None


def test_cut_source_text_is_repaired_from_the_record_or_ended_at_a_word():
    words = Vocabulary.of(["giấy tờ còn giá trị sử dụng theo quy định tại Nghị định số 104/2022/NĐ-CP ngày 5"] * 3)
    # The crawl's cut, mid-word: back to the last whole word, with "…".
    assert repair("Hộ chiếu còn giá tr…", words) == "Hộ chiếu còn giá…"
    # A legal number cut short is completed from the record's own legal basis.
    fixed = repair("theo quy định tại Nghị định số 10…", words, ["85/2019/TT-BTC", "104/2022/NĐ-CP"])
    assert fixed == "theo quy định tại Nghị định số 104/2022/NĐ-CP…"
    completed = complete_legal_number("Thông tư số 53/2025/", ["53/2025/TT-BCA", "53/2025/NĐ-CP"])
    assert completed == "Thông tư số 53/2025/TT-BCA"
    # The form file the crawl split off at a slash goes back: the name ends at its bracket.
    name, form = rejoin_form("Tờ khai (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/", "TT-BCA).1.MuCT01.doc")
    assert (name, form) == ("Tờ khai (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/TT-BCA).", "1.MuCT01.doc")
    assert shorten("một hai ba bốn năm", 12) == "một hai ba…" and shorten("ngắn", 10) == "ngắn"


def test_a_variant_button_names_what_tells_it_apart():
    adult = "Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên"
    assert variant_label(adult, "Cấp thẻ căn cước cho người dưới 14 tuổi") == "Dưới 14 tuổi"
    assert variant_label(adult, "Cấp lại thẻ căn cước") == "Cấp lại thẻ căn cước"
    foreign = "Thủ tục đăng ký kết hôn có yếu tố nước ngoài"
    assert variant_label("Thủ tục đăng ký kết hôn", foreign) == "Có yếu tố nước ngoài"
    # one word alone ("Xóa", "Ký lại") says nothing: the whole short name, or the verb's both syllables
    assert variant_label("Đăng ký tạm trú", "Xóa đăng ký tạm trú") == "Xóa đăng ký tạm trú"
    assert variant_label("Thủ tục đăng ký khai sinh", "Thủ tục đăng ký lại khai sinh") == "Đăng ký lại khai sinh"
    long = " có yếu tố nước ngoài cho người đã có hồ sơ, giấy tờ cá nhân"
    assert variant_label(f"Thủ tục đăng ký khai sinh{long}", f"Thủ tục đăng ký lại khai sinh{long}") == "Đăng ký lại"
    # a number alone says nothing either: with its words, as the adult card's button says it
    assert variant_label("Cấp thẻ căn cước cho người dưới 14 tuổi", "Cấp thẻ căn cước cho người dưới 06 tuổi") == (
        "Dưới 06 tuổi")  # fmt: skip


def test_where_names_the_province_bodies_from_its_configuration(catalog: Catalog):
    from lookup.province import load_province

    facts = facts_of(catalog.get("1.001193"))  # khai sinh: commune level
    for name in ("kontum", "quangngai"):
        province = load_province(name)
        lines = where_lines(facts, province)
        assert any(province.full_name in line and "xã, phường" in line for line in lines)
    assert "tỉnh" not in " ".join(where_lines(facts, None))


def test_where_follows_the_records_agency_and_the_commune_that_is_meant(catalog: Catalog):
    from lookup.province import load_province

    province = load_province("kontum")
    # Level "Cấp bộ", agency "Cục CSGT, Công an tỉnh, Công an cấp Xã": said "không nộp tại tỉnh".
    licence = " ".join(where_lines(facts_of(catalog.get("3.000347")), province))
    assert "không nộp tại tỉnh" not in licence and "Công an xã" in licence and "Công an tỉnh" in licence
    assert "nơi có đất" in " ".join(where_lines(facts_of(catalog.get("1.013978")), province))
    assert "người đã mất" in " ".join(where_lines(facts_of(catalog.get("1.000656")), province))
    assert "nơi bạn cư trú" in " ".join(where_lines(facts_of(catalog.get("1.001193")), province))
    # "Bộ Lao động - Thương binh và Xã hội" names no commune
    assert "Cấp xã" not in " ".join(where_lines(facts_of(catalog.get("1.000757")), province))


def test_facts_are_made_once_per_record_and_a_copy_under_another_code_gets_its_own(catalog: Catalog):
    p = catalog.get("1.004194")
    assert facts_of(p) is facts_of(p)
    copy = p.model_copy(update={"code": "1.004194~1"})
    assert facts_of(copy).code == "1.004194~1"


def test_documents_marked_a_b_c_are_listed_in_their_marks_order(catalog: Catalog):
    # The portal's page had "c) …, b) …, d) …, a) …" for the police health-insurance card.
    names = [d.name[:2] for d in facts_of(catalog.get("1.001294")).documents]
    assert names[:4] == ["a)", "b)", "c)", "d)"]
    letters = "abcdđefghijklmnopqrstuvwxyz"
    for procedure in catalog.procedures.values():
        documents = facts_of(procedure).documents
        for group in {d.group for d in documents}:
            marks = [m.group(1) for d in documents if d.group == group
                     and (m := re.match(r"\(?([a-zđ])\)\s", d.name.lower()))]  # fmt: skip
            if len(marks) == len(set(marks)) and not set(marks) & set("ivx"):
                assert marks == sorted(marks, key=letters.index), (procedure.code, group, marks)


def test_no_paper_is_asked_for_in_tens_and_the_number_goes_back_to_its_name(catalog: Catalog):
    # The crawl ran "… theo Mẫu số 18" and its one original together: "181 bản chính".
    counts = [n for p in catalog.procedures.values() for d in p.documents for n in (d.originals, d.copies)]
    assert max(counts) <= 9
    names = [d.name for d in catalog.get("1.012787").documents]
    assert any(n.endswith("theo Mẫu số 18") for n in names)


def test_a_body_with_its_own_desk_is_where_its_dossiers_go(catalog):
    # The tax office and social insurance receive their own dossiers: not "nộp tại UBND xã" as well.
    from lookup.facts import where_lines
    from lookup.province import load_province

    lines = where_lines(facts_of(catalog.get("1.001613")), load_province("kontum"))  # BHXH một lần
    assert lines[0].startswith("Cơ quan giải quyết: Bảo hiểm xã hội")
    assert not any("Ủy ban nhân dân" in line or "một cửa" in line for line in lines)
    commune = where_lines(facts_of(catalog.get("1.001193")), load_province("kontum"))  # khai sinh: the commune's
    assert any("bộ phận một cửa" in line for line in commune)


def test_a_time_without_its_unit_gets_the_unit_the_records_own_text_gives_that_number():
    methods = [{"method": "Trực tiếp", "time_value": 6}, {"method": "Trực tuyến", "time_value": 6}]
    steps = ["Bước 2: Trong thời hạn 06 ngày làm việc kể từ ngày nhận đủ hồ sơ, cơ quan cấp giấy chứng nhận."]
    p = Procedure(code="9.000011", name="Thử", methods=methods, steps=steps)
    assert build_facts(p).time_summary == "6 ngày làm việc"
    # A date is not a duration: "ngày 01 tháng 8" gives "1" no unit; nor does another number's unit.
    dated = ["Tiếp nhận từ ngày 01 tháng 8 năm 2026.", "Trong thời hạn 03 ngày làm việc, thẩm định."]
    p = Procedure(code="9.000012", name="Thử", methods=[{"method": "Trực tiếp", "time_value": 1}], steps=dated)
    assert build_facts(p).time_summary == f"1 ({NO_UNIT})"
    # The same number said with two units is not a unit.
    both = ["Trong 02 ngày làm việc kiểm tra hồ sơ.", "Niêm yết trong 02 ngày."]
    p = Procedure(code="9.000013", name="Thử", methods=[{"method": "Trực tiếp", "time_value": 2}], steps=both)
    assert build_facts(p).time_summary == f"2 ({NO_UNIT})"


def test_a_time_missing_from_the_cells_is_the_portals_own_description_where_the_record_kept_one():
    note = ("Miễn phí28 ngày làm việc (đối với trường hợp cấp mới), 02 ngày làm việc (đối với trường hợp cấp lại) "
            "kể từ ngày nhận được hồ sơ đầy đủ, hợp lệ theo quy định")  # fmt: skip
    p = Procedure(code="9.000014", name="Thử", processing_note=note,
                  processing_time_text="Trực tiếp: ? (đơn vị không rõ)", methods=[{"method": "Trực tiếp"}])  # fmt: skip
    facts = build_facts(p)
    assert facts.time_summary.startswith("28 ngày làm việc (đối với trường hợp cấp mới), 02 ngày làm việc")
    assert facts.time_source == "description" and "time" not in facts.missing
    (reply,) = facet_answer(p, "time", BASE)
    assert "Theo mô tả trên Cổng Dịch vụ công: 28 ngày làm việc" in reply.text


def test_a_time_the_record_truly_lacks_is_one_honest_line_and_whom_to_call(catalog, province):
    (reply,) = facet_answer(catalog.get("1.003563"), "time", BASE, province=province)  # a boat's: "1", no unit
    lines = reply.text.splitlines()
    assert lines[1] == "Cổng Dịch vụ công ghi thời hạn “1” nhưng không ghi là ngày hay giờ."
    assert "0260.3797799" in lines[2] and len(lines) == 3
    assert any(b.kind == "phone" for b in reply.buttons)
    card = procedure_card(catalog.get("1.003563"), BASE)
    assert "Thời gian: 1 (Cổng DVC không ghi đơn vị)" in card.text


def test_a_fee_whose_own_note_says_it_applied_until_a_past_date_is_not_shown_as_current():
    online = ("160,000 Việt Nam Đồng(+ 160.000/hộ chiếu, trường hợp cấp lại do bị hư hỏng hoặc bị mất: "
              "320.000đ/hộ chiếu (áp dụng đến hết ngày 31/12/2023 theo Thông tư số 44/2023/TT-BTC))")  # fmt: skip
    counter = "200,000 Việt Nam Đồng(200.000đ/hộ chiếu.)"
    p = Procedure(code="9.000021", name="Cấp hộ chiếu", methods=[
        {"method": "Trực tuyến", "fee_vnd": 160000, "fee_text": online},
        {"method": "Trực tiếp", "fee_vnd": 200000, "fee_text": counter}])  # fmt: skip
    (reply,) = facet_answer(p, "fee", BASE, today=date(2026, 12, 2))
    assert "• Trực tuyến: mức 160.000 đồng chỉ áp dụng đến hết ngày 31/12/2023" in reply.text
    assert "• Trực tiếp: 200.000 đồng" in reply.text and "Mức hiện nay khi nộp trực tuyến" in reply.text
    assert "Lệ phí: Trực tuyến: chưa có mức hiện nay; Trực tiếp: 200.000 đồng" in procedure_card(
        p, BASE, date(2026, 12, 2)).text  # fmt: skip
    # Before that date the same rate was the current one.
    (then,) = facet_answer(p, "fee", BASE, today=date(2023, 6, 1))
    assert "• Trực tuyến: 160.000 đồng" in then.text
    # A reduction that ended is not the fee's own clause: "50.000 đồng/thẻ; Kể từ … đến hết ngày
    # 31/12/2025, mức thu … trực tuyến bằng 50%" keeps 50.000 đồng current.
    card = ("50,000 Việt Nam Đồng(Cấp đổi thẻ căn cước: 50.000 đồng/thẻ căn cước. Kể từ ngày 01/01/2025 đến hết "
            "ngày 31/12/2025, mức thu lệ phí khi nộp trực tuyến bằng 50% mức thu lệ phí quy định.)")  # fmt: skip
    p = Procedure(
        code="9.000022", name="Cấp đổi", methods=[{"method": "Trực tiếp", "fee_vnd": 50000, "fee_text": card}]
    )
    assert procedure_card(p, BASE, date(2026, 12, 2)).text.count("Lệ phí: 50.000 đồng") == 1


def test_miễn_phí_is_not_said_where_the_fee_cell_is_empty_and_the_amounts_the_crawl_misread_are_whole():
    assert "fee" in build_facts(Procedure(code="9.000023", name="Thử", methods=[{"method": "Trực tiếp"}])).missing
    # The crawl kept the portal's fee cells in the note: "150,000 Việt Nam Đồng(…) | 50,000 VNĐ(…)".
    note = "150,000 Việt Nam Đồng(- Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định) | 50,000 VNĐ(- Mức lệ phí)"
    p = Procedure(code="9.000024", name="Thử", processing_note=note, methods=[{"method": "Trực tiếp"}])
    assert build_facts(p).fee_summary == "150.000 đồng hoặc 50.000 đồng"
    # "135 VNĐ(Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)" is 135.000 đồng, "145 VNĐ(… 145 USD/thẻ.)" dollars.
    licence = [
        {"method": "Trực tiếp", "fee_vnd": 135, "fee_text": "135 VNĐ(Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)"}
    ]
    assert build_facts(Procedure(code="9.000025", name="Thử", methods=licence)).fee_summary == "135.000 đồng"
    card = [{"method": "Trực tiếp", "fee_vnd": 145, "fee_text": "145 VNĐ(Thẻ tạm trú không quá 02 năm: 145 USD/thẻ.)"}]
    assert build_facts(Procedure(code="9.000026", name="Thử", methods=card)).fee_summary == "145 USD"
    # The cell says free, the note names the rule that fixes the fee: not "Miễn phí".
    free = [{"method": "Trực tiếp", "fee_vnd": 0, "fee_text": "Miễn phí"}]
    p = Procedure(code="9.000027", name="Thử", methods=free, processing_note="(Theo quy định của Luật phí và lệ phí)")
    (reply,) = facet_answer(p, "fee", BASE)
    assert "Miễn phí" not in reply.text and "không ghi mức lệ phí cụ thể" in reply.text


def test_a_documents_wording_is_whole_and_its_counts_agree_with_it(catalog):
    # The crawl split "Đơn xin nhận con nuôi" at its last space into the form's cell ("nuôi;1.nxin….doc"):
    # the card said "Đơn xin nhận con 1.".
    assert rejoin_form("Đơn xin nhận con", "nuôi;1.nxinnhnconnui.doc") == (
        "Đơn xin nhận con nuôi",
        "1.nxinnhnconnui.doc",
    )
    shorts = [d.short for d in facts_of(catalog.get("2.001263")).documents]
    assert "Đơn xin nhận con nuôi" in shorts and not any(s.endswith(" 1.") for s in shorts)
    # "Bản sao Thẻ Căn cước …" counted in the originals' column is one copy, as its wording says.
    p = Procedure(code="9.000031", name="Thử", documents=[
        {"name": "Bản sao Thẻ Căn cước hoặc Hộ chiếu (Xuất trình bản chính để đối chiếu)", "originals": 1},
        {"name": "Tờ khai yêu cầu", "originals": 1}])  # fmt: skip
    assert [d.counts for d in build_facts(p).documents] == ["1 bản sao", "1 bản chính"]
    (reply,) = facet_answer(catalog.get("3.000333"), "documents", BASE)  # lý lịch tư pháp
    assert "Bản sao Thẻ Căn cước" in reply.text and "(1 bản chính)" not in reply.text.split("Bản sao Thẻ")[1][:130]


def test_papers_the_record_lists_under_one_case_are_under_that_case_not_among_the_main_ones(catalog):
    (reply,) = facet_answer(catalog.get("1.010038"), "documents", BASE)  # tách hộ
    common, _, case = reply.text.partition("Trường hợp thành viên hộ gia đình đăng ký tách hộ là vợ, chồng đã ly hôn")
    assert "Tờ khai thay đổi thông tin cư trú" in common and "ly hôn" not in common.split("\n", 1)[1]
    assert "chứng minh việc ly hôn" in case
    card = procedure_card(catalog.get("1.010038"), BASE).text
    assert "• Tùy trường hợp: Giấy tờ, tài liệu chứng minh việc ly hôn" in card
    (absent,) = facet_answer(catalog.get("1.003677"), "documents", BASE)  # tạm vắng: two cases, both named
    assert absent.text.count("Trường hợp") == 2 and "Văn bản đồng ý" in absent.text.split("Trường hợp")[1]


def test_list_titles_alike_as_far_as_a_phone_shows_keep_what_tells_them_apart(catalog):
    from handlers.procedures import distinct_titles

    names = [catalog.get(c).name for c in ("1.004859", "2.000748")]  # xác định lại dân tộc (có yếu tố nước ngoài)
    first, second = distinct_titles(names)
    assert first[:40] != second[:40] and first.endswith("xác định lại dân tộc")
    assert second.endswith("có yếu tố nước ngoài") and len(first) <= 100 and len(second) <= 100


def test_a_long_official_name_in_a_header_is_short_and_still_tells_the_procedure_apart(catalog):
    households, organisations = catalog.get("1.013978"), catalog.get("1.012753")  # sổ đỏ lần đầu: 215, 160 chars
    (a,) = facet_answer(households, "time", BASE)
    (b,) = facet_answer(organisations, "time", BASE)
    head_a, head_b = a.text.splitlines()[0], b.text.splitlines()[0]
    assert len(head_a) < 130 and "(mã 1.013978)" in head_a and "hộ gia đình" in head_a
    assert "(mã 1.012753)" in head_b and "tổ chức" in head_b
    assert procedure_card(households, BASE).text.splitlines()[0].startswith("📋 Đăng ký đất đai")


def test_the_detail_page_does_not_show_an_ended_fee_as_current(catalog):
    from bot.web.procedure_page import render_procedure

    page = render_procedure(facts_of(catalog.get("1.001456")), [], "https://dichvucong.gov.vn", date(2026, 12, 2))
    assert "mức 160.000 đồng chỉ áp dụng đến hết ngày 31/12/2023" in page and "200.000 đồng" in page


def test_the_online_answer_says_so_where_the_record_names_the_vneid_app(catalog):
    """ "Làm trên VNeID được không": where the record says a dossier goes through the VNeID app
    (temporary residence: "… ứng dụng VNeID hoặc …"), the answer says it; a result announced there
    (a health-insurance card's e-copy) or an account to log in with is not a way to send one."""
    from handlers.answers import facet_answer

    (temporary,) = facet_answer(catalog.get("1.004194"), "online", "http://x")
    assert "VNeID" in temporary.text
    assert not facts_of(catalog.get("1.014137")).vneid  # "bản điện tử qua VssID/email/VNeID"
    assert sum(facts_of(p).vneid for p in catalog.procedures.values()) >= 15


def test_a_central_procedures_where_answer_says_the_portals_level_without_ruling_out_the_province(catalog):
    """A new driving licence's record reads "Cấp bộ", Cục CSGT: the answer said "không nộp tại
    tỉnh", wrong for a citizen since the province's police issue it; now it says what the portal
    records, and how to send it online."""
    from handlers.answers import facet_answer
    from lookup.province import load_province

    (where,) = facet_answer(catalog.get("3.000346"), "where", "http://x", province=load_province("kontum"))
    assert "không nộp tại tỉnh" not in where.text and "cấp bộ" in where.text
