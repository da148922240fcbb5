"""What a message says beside its intent: the fact asked about a procedure or a dossier, a list
position ("cái thứ 2"), a correction's new words ("không phải, ý tôi là đổi bằng lái"). Rules over
the normalised words: each phrase below is a way Vietnamese asks for that thing, not a test query."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lookup.text import fold
from understanding.compounds import name_compounds
from understanding.normalize import ABBREVIATIONS, Vocabulary, clean, normalize

_PROCEDURE_FACETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("form", ("mau don", "to khai", "bieu mau", "mau to khai", "file mau", "mau so", "don mau", "mau giay")),
    ("online", ("tren cong dich vu cong", "cong dich vu cong", "nop truc tuyen", "lam truc tuyen", "co the nop",
                "nop online", "lam online", "nop qua mang", "len tan noi", "den tan noi", "di tan noi",
                "online", "onl", "truc tuyen", "qua mang", "tren mang", "qua internet", "tai nha duoc",
                "qua zalo", "qua app", "tren app", "dich vu cong duoc", "nop mang", "lam mang",
                "cach thuc thuc hien", "cach thuc nop", "hinh thuc nop", "tren dich vu cong", "qua dich vu cong",
                "vssid", "thuedientu", "etax", "tren vneid", "qua vneid", "bang vneid", "qua ung dung",
                "tren ung dung", "dich vu cong quoc gia",
                # Whether one must go in person, or can stay home, post it, use a phone.
                "truc tiep khong", "len truc tiep", "den truc tiep", "di truc tiep", "phai di len", "phai len khong",
                "o nha lam", "tai nha lam", "lam tai nha", "qua buu dien", "gui buu dien", "qua buu chinh",
                "gui buu chinh", "tren dien thoai", "bang dien thoai", "qua dien thoai", "tu xa", "khong can di",
                "khong phai di", "ho so dien tu", "nop dien tu")),
    ("fee", ("le phi", "phi", "bao nhieu tien", "mat tien", "ton tien", "het bao nhieu", "gia bao nhieu",
             "mien phi", "chi phi", "tien le", "nop tien", "mat bao nhieu", "ton bao nhieu", "bao nhieu xu",
             "tra tien", "may tien", "nhieu tien", "dong tien", "tien phi", "nop bao nhieu", "tra bao nhieu",
             "thu bao nhieu", "dong bao nhieu", "ton kem", "mat xu", "may tram", "may chuc", "phi the nao",
             "phi ra sao", "thu phi", "mat phi", "ton phi", "muc thu", "muc phi", "muc le phi", "co thu tien",
             "mat dong nao", "ton dong nao", "gia bao nhieu", "le phi the nao")),
    ("time", ("mat bao lau", "bao lau", "may ngay", "bao nhieu ngay", "bao gio co", "bao gio xong", "bao gio lay",
              "thoi gian giai quyet", "thoi han giai quyet", "thoi gian", "thoi han", "khi nao co", "khi nao xong",
              "khi nao lay", "lau khong", "lau ko", "lay ngay", "trong bao lau",
              "bao nhieu lau", "may hom", "may tuan", "nhanh khong", "trong ngay", "lau chua", "mat may",
              "may bua", "bao h", "bao gio thi", "bao gio duoc", "bao gio nhan", "khi nao nhan",
              "khi nao duoc", "hen tra", "lau lam khong", "lau lam ko", "co lau lam")),
    ("where", ("noi nop", "noi lam", "nop tai", "o dau", "cho nao", "len xa hay", "ra xa hay", "len tinh", "len huyen",
               "o co quan nao", "ra dau", "noi nao", "co quan nao", "nop dau", "lam dau", "den dau", "di dau",
               "tai dau", "phuong nao", "xa nao", "don vi nao", "dia chi", "o cho nao", "dau lam", "dau nop",
               "cap nao", "ai giai quyet", "ai cap", "phong nao", "o cap", "co quan thuc hien", "noi tiep nhan",
               "co quan tiep nhan", "co quan giai quyet", "dia diem nop", "noi nhan ho so", "dia diem tiep nhan",
               "dia diem", "len dau", "nop cho ai", "gap ai", "o xa duoc khong", "o phuong duoc khong",
               "o huyen duoc khong", "tai xa duoc khong", "thuong tru hay", "tam tru hay", "lien he o dau",
               "lam o xa khong", "lam o phuong khong", "lam o huyen khong", "lam tai xa khong")),
    ("result", ("nhan duoc gi", "ket qua la gi", "ket qua gi", "duoc cap gi", "nhan gi", "duoc gi", "cap cho cai gi",
                "nhan lai gi", "tra ket qua gi")),
    ("documents", ("giay to", "ho so gom", "thanh phan", "can mang", "mang theo", "mang gi", "chuan bi",
                   "can nhung gi", "can gi", "can nhung", "ho so can", "can co gi", "gom nhung gi", "gom gi",
                   "can nop gi", "nop nhung gi", "giay gi", "can co nhung", "thu tuc can", "yeu cau nhung gi",
                   "to gi", "nhung loai", "loai giay", "man theo", "mang nhung giay", "mang nhung gi", "mang nhung",
                   "nhung giay gi", "loai giay nao", "giay nao", "chuan bi nhung", "ho so gi", "can ho so",
                   "ho so nhu the nao", "ho so the nao", "ho so ra sao", "yeu cau ho so", "giay to can thiet",
                   "thu tuc gi", "nhung thu tuc gi", "can nhung thu tuc", "danh muc giay to", "so luong ho so",
                   "danh muc ho so",
                   # What to bring, and whether one paper is needed ("có cần bản sao không").
                   "can photo", "photo nhung", "dem theo", "dem gi", "dem nhung", "phai co nhung", "co nhung gi",
                   "can chi", "mang chi", "giay to chi", "can ban sao khong", "can ban chinh khong",
                   "can cong chung khong", "phai cong chung khong", "can chung thuc khong", "can anh the",
                   "can anh khong", "can cccd can cuoc", "can can cuoc khong", "can cmnd khong", "can xac nhan",
                   "phai co giay",
                   # Holding, providing, showing: "cần cầm theo gì", "phải cung cấp gì", "xuất trình giấy gì".
                   "cam theo", "cam gi", "can cam", "cung cap nhung gi", "cung cap gi", "cung cap giay",
                   "cung cap nhung giay", "xuat trinh", "giay to phai nop", "phai nop giay", "ban chinh hay ban sao",
                   "ban sao hay ban chinh")),
)  # fmt: skip

_DOSSIER_FACETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("progress", ("tien do", "buoc nao", "nhung buoc", "lich su", "qua trinh", "da qua", "cac buoc")),
    ("unit", ("ai dang", "ai xu ly", "ai giai quyet", "dang o dau", "o dau", "phong nao", "don vi nao",
              "can bo nao", "co quan nao", "nam o", "o cho nao", "ai lam", "nguoi nao", "ai phu trach")),
    ("fee", ("phi", "bao nhieu tien", "mat tien", "tien phi", "bao nhieu", "thanh toan", "nop tien", "dong tien")),
    ("due", ("bao gio", "khi nao", "ngay hen", "hen tra", "bao lau", "may ngay", "xong chua", "lay duoc",
             "lau qua", "lau the", "bh", "bao h", "hom nao", "ngay nao", "tre hen", "qua han", "cham")),
    ("status", ("tinh trang", "trang thai", "duyet chua", "the nao roi", "sao roi", "den dau", "toi dau",
                "ra sao", "the nao", "co van de", "bi gi", "duoc chua", "xong")),
)  # fmt: skip

_ORDINAL_WORDS = {
    "mot": 1, "nhat": 1, "dau": 1, "dau tien": 1, "hai": 2, "nhi": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10, "cuoi": -1, "cuoi cung": -1,
}  # fmt: skip
_NUMBER = r"(\d{1,2}|dau tien|cuoi cung|cuoi|mot|nhat|hai|nhi|ba|bon|tu|nam|sau|bay|tam|chin|muoi)"
# A position needs its marker ("cái thứ 2", "số 3", "thủ tục đầu tiên"): bare number words are also
# everyday words ("tạm trú", "sau khi", "hai vợ chồng", "năm nay").
_ORDINAL = re.compile(
    r"(?:^|\s)(?:(?:cai|so|muc|thu tuc|dong|lua chon|phuong an|ket qua|tt|con)\s+(?:thu\s+)?|thu\s+)"
    + _NUMBER
    + r"(?=\s|$)|(?:^|\s)(dau tien|cuoi cung)(?=\s|$)"
)
_ONLY_A_NUMBER = re.compile(r"^\s*(?:so\s+)?(\d{1,2})\s*(?:a|nhe|nha|di|ha|ad|admin|\?)*\s*$")
_CORRECTION_MARKERS = (
    ("khong", "phai"), ("y", "toi", "la"), ("y", "em", "la"), ("y", "minh", "la"), ("y", "la"),
    ("toi", "muon", "noi"), ("em", "muon", "noi"), ("nham", "roi"), ("sai", "roi"), ("khong", "dung"),
    ("ma", "la"), ("toi", "can"), ("em", "can"), ("minh", "can"), ("toi", "hoi"), ("em", "hoi"),
)  # fmt: skip


def _last(normalized: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, str, int] | None:
    """(facet, phrase, position) of the phrase that ends last in the text."""
    padded = f" {normalized} "
    best: tuple[str, str, int] | None = None
    for facet, phrases in table:
        for phrase in phrases:
            at = padded.rfind(f" {phrase} ")
            # At the same place the longer phrase: "giấy tờ phải nộp" is asked where "giấy tờ" may be a name's
            if at >= 0 and (best is None or at > best[2] or (at == best[2] and len(phrase) > len(best[1]))):
                best = (facet, phrase, at)
    return best


def _the_names_own(phrase: str, at: int, after: Iterable[str]) -> bool:
    """A facet phrase that is also a name's words ("địa chỉ", "lệ phí"), in the middle (`at`, its
    start, not 0) and with no question in the words `after` it: the name's, if a fact came before."""
    return phrase in _NAME_LIKE and at > 0 and not set(after) & _QUESTION_MARKERS


def procedure_facet(normalized: str) -> str | None:
    """The procedure fact asked for: the last one named, because Vietnamese puts the question after
    the procedure's name, whose own words may sound like a fact ("cấp bản sao … mất mấy ngày"); but
    a phrase that is also a name's words ("địa chỉ", "lệ phí", "trực tuyến"), in the middle and with no
    question after it, is the name's when a fact was named before it ("giấy tờ cần để đổi địa chỉ trụ
    sở công ty"). Without a phrase: a choice between bodies ("nộp ở xã hay tỉnh", "lên công an tỉnh
    hay làm ở xã", "chi cục thuế nào") asks where; "cần <a word or two> gì" asks the documents."""
    found = _last(normalized, _PROCEDURE_FACETS)
    if found is not None:
        facet, phrase, at = found
        if _the_names_own(phrase, at, normalized[at + len(phrase) :].split()):
            before = _last(normalized[:at].rstrip(), _PROCEDURE_FACETS)
            if before is not None:
                return before[0]
        return facet
    if normalized.startswith(_DOCUMENTS_HEADING):
        return "documents"
    if _where_heading(normalized.split()):
        return "where"
    if any(pattern.search(normalized) for pattern in _PLACE_PATTERNS):
        return "where"
    return None


# The bodies a dossier is handed to, as citizens name them (folded).
_OFFICES = (r"(?:tu phap|xay dung|tai chinh|noi vu|y te|giao duc|lao dong|cong thuong|nong nghiep|tai nguyen"
            r"|van hoa|ke hoach|giao thong|khoa hoc|thong tin|ngoai vu|dan toc|kinh te|quan ly do thi|thue|hai quan"
            r"|xuat nhap canh|canh sat)")  # fmt: skip
_BODY = (rf"(?:xa|phuong|thi tran|huyen|tinh|thanh pho|(?:so|phong|cuc|bo|chi cuc) {_OFFICES}|cong an(?: \w+)?"
         r"|ubnd(?: \w+)?|uy ban(?: \w+)?|bhxh(?: \w+)?|bao hiem xa hoi(?: \w+)?|trung uong|mot cua"
         r"|bo phan mot cua|trung tam phuc vu hanh chinh cong)")  # fmt: skip
_WHERE_CHOICE = re.compile(rf"\b{_BODY}\b(?: \w+){{0,4}} hay (?:\w+ ){{0,3}}{_BODY}\b")
# Bare "xa" is also "far" ("đi làm xa"), bare "tinh" "tình": after a verb, only a body named as one.
_NAMED_BODY = _BODY.replace("xa|phuong|thi tran|huyen|tinh|thanh pho|", "")
_AT_A_BODY = re.compile(rf"\b(?:nop|lam|len|ra|den) (?:o |tai )?{_NAMED_BODY}\b")
_WHICH_BODY = re.compile(r"\b(?:phong|cong an|ubnd|chi cuc thue|chi cuc|cuc thue|bhxh|huyen|tinh|thue) nao\b")
_AT_A_BODY_ASKED = re.compile(rf"\b(?:o|tai) {_BODY} (?:co )?duoc (?:khong|ko|k)\b")
_PLACE_PATTERNS = (_WHERE_CHOICE, _AT_A_BODY, _WHICH_BODY, _AT_A_BODY_ASKED)


# "Hồ sơ đăng ký thường trú": the documents, as a heading; elsewhere "hồ sơ" is mostly "nộp hồ sơ".
_DOCUMENTS_HEADING = "ho so "
# "Nơi đăng ký lại khai sinh", "nơi tách hộ khẩu": where, as a heading (no name starts with "Nơi");
# not "nơi cư trú / ở / sinh / thường trú / tạm trú …", which name what is registered or corrected.
_NOT_A_WHERE_HEADING = frozenset({
    "cu", "o", "sinh", "thuong", "tam",
    # folded, "noi" is also "nội" and "nói": nội dung / vụ / trú / bộ / địa / thành, nói rõ / chuyện / thật
    "dung", "vu", "tru", "bo", "dia", "thanh", "ngoai", "ro", "chuyen", "that", "lam",
})  # fmt: skip


def _where_heading(folded: list[str]) -> bool:
    return len(folded) > 2 and folded[0] == "noi" and folded[1] not in _NOT_A_WHERE_HEADING


def asks_a_fact(normalized: str) -> bool:
    """The facet is surely asked, not a word of the procedure's name: a phrase only a question uses
    ("ở đâu", "mất bao lâu"), one that opens the message as a heading ("Thời hạn …", "Nơi nộp …"),
    or any facet phrase in a message that asks something ("… có … không", "… gì", "… ?")."""
    found = _last(normalized, _PROCEDURE_FACETS)
    if found is None:
        return procedure_facet(normalized) is not None
    if any(normalized.startswith(f"{p} ") for _, phrases in _PROCEDURE_FACETS for p in phrases):
        return True  # a heading: "Lệ phí đăng ký …", "Thời hạn giải quyết …"
    _, phrase, at = found
    words = set(normalized.split())
    # "tách thửa trực tuyến", "thủ tục khai sinh lệ phí": the topic, then the channel or fee asked of it;
    # not "đổi địa chỉ", "gia hạn thời hạn", "miễn lệ phí", where the phrase ends the name itself.
    before = normalized[:at].split()[-1:]
    ends_the_message = (at + len(phrase) == len(normalized) and phrase in _ASKED_LAST
                        and not (before and before[0] in _ACTS_ON_A_FACT))  # fmt: skip
    return phrase not in _NAME_LIKE or at == 0 or ends_the_message or bool(words & _QUESTION_MARKERS)


# Name-like facet phrases that, ending a message, ask: the channel and the fee.
_ASKED_LAST = frozenset({"online", "onl", "truc tuyen", "le phi", "phi", "chi phi"})
_ACTS_ON_A_FACT = frozenset({"mien", "nop", "khai", "hoan", "tra", "dong", "giam", "thu"})


def asked_facet(normalized: str) -> str | None:
    """The procedure fact the message surely asks for (`procedure_facet` where `asks_a_fact`)."""
    return procedure_facet(normalized) if asks_a_fact(normalized) else None


# Where a second question starts: "…làm ở đâu, lấy trong bao lâu", "…ở đâu và mất bao nhiêu tiền"
# (in the text as typed: normalising drops the commas).
_ASKED_TOO = re.compile(r"[,;?\n]|\b(?:và|va|với lại|voi lai|rồi|roi)\b", re.IGNORECASE)  # not "con": a child


def facets_asked(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """Every procedure fact the message asks, in the order asked: the one `asked_facet` reads, and
    others asked in clauses of their own after a comma or "và" ("chứng thực bản sao cccd ở đâu, mất
    bao nhiêu": where, then the fee). One fact asked gives a list of one; none, an empty list."""
    first = asked_facet(normalize(text, vocabulary or ()))
    if first is None:
        return []
    found: list[str] = []
    for clause in _ASKED_TOO.split(text):
        normalized = normalize(clause, vocabulary or ()) if clause.strip() else ""
        hit = _last(normalized, _PROCEDURE_FACETS) if normalized else None
        if hit is not None and asks_a_fact(normalized) and hit[0] not in found:
            found.append(hit[0])
    return found if first in found else [first]


# "Có cần mang giấy khai sinh không", "có phải nộp ảnh thẻ không": whether one paper is needed, in
# the normalised text (folded); the paper is what stands between the verb and the question.
_PAPER_NEEDED = re.compile(
    r"\b(?:co )?(?:can|phai|bat buoc)(?: phai)?(?: (?:mang|nop|co|dem|chuan bi|photo|xuat trinh|kem|lam))?"
    r"(?: theo| them| ca)? (?P<paper>(?:giay|ban sao|ban chinh|so|the|anh|hinh|phieu|to khai|don|chung minh"
    r"|cccd|cmnd|chung minh nhan dan|can cuoc|ho chieu|bang|hop dong|van ban|bien ban|trich luc|xac nhan)"
    r"(?: \w+){0,8}?)"
    r" (?:khong|hay khong|ko|k)\b"
)


def paper_asked(normalized: str) -> str | None:
    """The paper a yes/no question asks whether one must bring ("giấy khai sinh"), or None."""
    match = _PAPER_NEEDED.search(normalized)
    return match.group("paper") if match else None


# "Nếu vợ em ở tỉnh khác thì sao", "trường hợp con đã 15 tuổi thì sao", "còn người nước ngoài thì
# sao": another case of what is on screen (normalised text); the case is what stands in between.
_WHAT_IF = re.compile(
    r"^(?:vay |the )?(?:neu|con|truong hop|lo|nhung neu) (?P<case>.{3,80}?) thi (?:sao|the nao|lam sao|duoc khong)\b"
)
# A case about where the citizen is: asked of where to file.
_A_PLACE = re.compile(r"\b(?:tinh khac|xa khac|phuong khac|huyen khac|noi khac|o xa|ngoai tinh|tinh ngoai|khac tinh)\b")


def what_if(normalized: str) -> str | None:
    """The other case a follow-up asks about ("vợ em ở tỉnh khác"), or None."""
    match = _WHAT_IF.match(normalized)
    return match.group("case") if match else None


def is_a_place(case: str) -> bool:
    return bool(_A_PLACE.search(case))


# Facet phrases that are also words of procedures' names ("Thủ tục ... lệ phí trước bạ", "cấp bản sao").
_NAME_LIKE = frozenset({
    "le phi", "phi", "chi phi", "mien phi", "tien le", "nop tien", "tra tien", "thanh phan", "chuan bi", "online",
    "onl", "truc tuyen", "thoi gian", "thoi han", "dia chi", "mau so", "to khai", "bieu mau", "giay to", "dong tien",
    "trong ngay", "cap nao", "o cap", "ho so can", "thu tuc can", "dia diem", "co quan giai quyet",
})  # fmt: skip
# Words that make a message a question; not "bao", "chua", "may" (bảo hiểm, chữa bệnh, máy: names).
_QUESTION_MARKERS = frozenset({"khong", "gi", "nao", "sao", "?", "dau"})


def dossier_facet(normalized: str) -> str | None:
    # Order matters where phrases overlap: "tiến độ" before the due date, "ở đâu" is the unit.
    padded = f" {normalized} "
    for facet, phrases in _DOSSIER_FACETS:
        if any(f" {p} " in padded for p in phrases):
            return facet
    return None


def ordinal(normalized: str) -> int | None:
    """1-based position asked for in a list just shown; -1 is the last one."""
    match = _ONLY_A_NUMBER.match(normalized) or _ORDINAL.search(normalized)
    if match is None:
        return None
    word = next(g for g in match.groups() if g)
    number = int(word) if word.isdigit() else _ORDINAL_WORDS[word]
    return number if number == -1 or 1 <= number <= 20 else None


def correction_text(text: str) -> str | None:
    """The words after the last "không phải" / "ý tôi là" … marker, in the citizen's own spelling;
    None without a marker or with nothing after it."""
    words = clean(text).split()
    folded = [_word(w) for w in words]
    end = 0
    for marker in _CORRECTION_MARKERS:
        n = len(marker)
        for i in range(len(folded) - n + 1):
            if tuple(folded[i : i + n]) == marker:
                end = max(end, i + n)
    if not end:
        return None
    while end < len(words) and folded[end] in _CORRECTION_LEAD:
        end += 1
    rest = " ".join(words[end:]).strip(" ,.:;!?-")
    return rest or None


_CORRECTION_LEAD = frozenset({"la", "", "ve", "muon", "hoi", "thu", "tuc"})


def _word(word: str, vocabulary: Vocabulary | None = None) -> str:
    """The folded word phrases are matched against: abbreviations expanded, a typo corrected to the
    known word one edit away ("mạgn" -> "mang", "khng" -> "khong") when `vocabulary` is given."""
    marked = clean(word).lower().strip(_EDGE_PUNCTUATION)
    if marked in _NOT_THEIR_HOMOGRAPH:
        return marked
    folded = re.sub(r"[^a-z0-9]", "", fold(word))
    if vocabulary is not None and folded and folded not in vocabulary and folded not in ABBREVIATIONS:
        folded = vocabulary.correct(folded)
    expanded = ABBREVIATIONS.get(folded, folded)
    return expanded if " " not in expanded else folded


_EDGE_PUNCTUATION = " ,.;:!?\"'()"
# Typed with their marks these are content words, never the question word they fold to: "căn cước"
# is not "cần", so "hồ sơ căn cước" is not "hồ sơ cần".
_NOT_THEIR_HOMOGRAPH = frozenset({"căn"})


# Question words around a procedure's name that name no procedure ("… thì mất bao nhiêu vậy ạ"), as
# typed with their marks: typed without marks they are dropped only when no other word folds the same
# way would be meant ("can" may be "căn", so it stays).
QUESTION_WORDS = frozenset({
    "bao", "nhiêu", "gì", "không", "ko", "k", "được", "đc", "dc", "vậy", "z", "v", "ạ", "à", "ơi", "nhé",
    "thế", "nào", "sao", "thì", "là", "có", "cần", "phải", "những", "em", "tôi", "mình", "hỏi",
    "giúp", "với", "ad", "admin", "muốn", "biết", "lâu", "ở", "đâu", "mất", "hết", "tốn", "ntn", "j", "bn", "bh",
    "chưa", "rồi", "ak", "hay", "hông", "khg", "kg", "e", "mk", "nhỉ", "hả", "ko?", "k?", "xong", "chờ", "còn",
})  # fmt: skip
# Question words that are also content words of terms ("bản sao", "trợ giúp", "hết hạn", "thế chấp",
# "cây lâu năm"); the rest ("có", "không", "là", "được", "với" …) only join names incidentally.
TERM_LIKE_QUESTION_WORDS = frozenset({"sao", "giúp", "mất", "hết", "thế", "lâu", "bao", "tốn", "hỏi", "xong", "chờ"})
# Typed without marks these may be content words: căn/cần, cơ/có, lá/là, ở/ô, mặt/mất, nhà/nha, thẻ/thế.
UNMARKED_QUESTION_WORDS = frozenset(fold(w) for w in QUESTION_WORDS) - {
    "cho",  # chờ / cho
    "con",  # còn / con
    "can",
    "co",
    "la",
    "ma",
    "o",
    "mat",
    "nha",
    "the",
}


def _is_question_word(word: str, folded: str = "") -> bool:
    """`folded`: the word as `_word` read it (a typo corrected): "khng" is "không"."""
    marked = _word_marked(word)
    if marked in QUESTION_WORDS:
        return True
    if folded and folded != fold(marked) and folded in UNMARKED_QUESTION_WORDS:
        return True
    return marked == fold(marked) and marked in UNMARKED_QUESTION_WORDS


# Ways of asking that name no procedure and tell no facet of their own: a polite opening, the verbs
# around a fact ("nộp lệ phí", "sau mấy ngày được trả kết quả", "cơ quan nào giải quyết"). Dropped
# like facet phrases; "giải quyết" alone stays (99 names hold it: "Giải quyết chế độ …").
_NAMELESS_PHRASES: tuple[str, ...] = (
    "cho hoi", "cho toi hoi", "cho em hoi", "cho minh hoi", "cho chau hoi", "xin hoi", "hoi chut", "hoi xiu",
    "sau may ngay", "sau bao lau", "sau bao nhieu ngay", "duoc tra ket qua", "tra ket qua", "co ket qua",
    "lay ket qua", "duoc nhan ket qua", "moi nhan duoc ket qua", "nhan duoc ket qua", "lay duoc",
    "co quan nao giai quyet", "o dau giai quyet", "giai quyet o dau", "giai quyet tai dau", "noi giai quyet",
    "cap nao giai quyet", "ai giai quyet", "nop le phi", "nop phi", "phai nop", "co nop", "nop online",
    "nop qua mang", "nop truc tuyen", "nop ho so", "nop don", "lam ho so", "lam thu tuc", "len tan noi", "hay phai len",
    "phai len", "truc tiep", "hay phai", "lam sao", "lam the nao", "the nao", "nhu the nao", "ra sao",
    "dieu kien gi", "can dieu kien", "dieu kien nhu the nao", "can lam gi", "can lam nhung gi", "phai lam gi",
    "moi nguoi", "ca nha oi", "ad oi", "a oi", "thi xong", "moi xong", "thi sao", "bao nhieu", "bao lau",
)  # fmt: skip


# Who a message opens by addressing ("mn", "anh chị", "em chào ad", "cán bộ ơi", "dạ"): dropped when
# the run of such words ends in "ơi" / a greeting or leads into "cho … hỏi"; "mn" is also "mầm non"
# to search, and "chi" alone may be "chi trả", so a bare run that leads into the name stays.
_ADDRESS_WORDS = frozenset({
    "mn", "mng", "moi", "nguoi", "ca", "nha", "anh", "chi", "em", "ad", "admin", "can", "bo", "co", "chu",
    "bac", "ban", "oi", "chao", "da", "xin", "a", "ah", "alo", "shop",
})  # fmt: skip
_ADDRESS_ALONE = frozenset({"mn", "mng", "ad", "admin", "da", "alo"})


def _opening_address(folded: list[str]) -> int:
    """How many words at the start address someone rather than name anything."""
    n = 0
    while n < len(folded) and folded[n] in _ADDRESS_WORDS:
        n += 1
    if n == 0 or n == len(folded):
        return 0
    run, rest = folded[:n], folded[n:]
    leads_into_a_question = rest[0] == "hoi" or (rest[0] == "cho" and "hoi" in rest[1:3])
    if run[-1] in ("oi", "chao") or "chao" in run or leads_into_a_question or set(run) <= _ADDRESS_ALONE:
        return n
    return 0


def procedure_words(text: str, vocabulary: Vocabulary | None = None) -> str:
    """The words of a question that name the procedure: facet phrases ("lệ phí", "giấy tờ gì", "ở
    đâu", "online") and question words taken out, in the citizen's own spelling. Search tries these
    first, so that a fact asked about does not count against the procedure's name. Kept: a question
    word in one of the names' compounds ("bản sao", "trợ giúp", "hết hạn", "bị mất"), "mất" that is
    lost rather than costs ("mất căn cước", not "mất bao lâu"), and a facet phrase that is also a
    name's words ("đổi địa chỉ hộ kinh doanh … giấy gì") unless it is the fact asked or the heading."""
    words = clean(text).split()
    folded = [_word(w, vocabulary) for w in words]
    drop = [False] * len(words)
    facet_spans = [(*span, facet) for facet, phrases in _PROCEDURE_FACETS for span in _spans(folded, phrases)]
    asked = max(facet_spans, default=None)  # the phrase starting last is the fact asked, unless
    if asked is not None and _the_names_own(asked[2], asked[0], folded[asked[1] :]):  # it is the name's
        earlier = [span for span in facet_spans if span[1] <= asked[0]]
        if earlier:
            asked = max(earlier)
    for start, end, phrase, facet in facet_spans:
        the_fact_asked = asked is not None and (facet == asked[3] or (start < asked[1] and asked[0] < end))
        if phrase in _NAME_LIKE and start != 0 and not the_fact_asked:
            continue
        drop[start:end] = [True] * (end - start)
    for start, end, _ in _spans(folded, _NAMELESS_PHRASES):
        drop[start:end] = [True] * (end - start)
    addressing = _opening_address(folded)
    drop[:addressing] = [True] * addressing
    if _where_heading(folded):
        drop[0] = True
    place_spans = [] if facet_spans else _pattern_spans(folded, _PLACE_PATTERNS)
    for start, end in place_spans:  # "nộp ở xã hay tỉnh" names no procedure
        drop[start:end] = [True] * (end - start)
    marked, unmarked = name_compounds()
    for i, (word, f) in enumerate(zip(words, folded, strict=True)):
        if drop[i] or not f or not _is_question_word(word, f):
            continue
        if _in_a_compound(words, folded, i, marked, unmarked) or (_word_marked(word) == "mất" and _lost(folded, i)):
            continue
        drop[i] = True
    # The verb or "có" right before a fact's phrase is the question's: "có lâu không", "làm ở đâu",
    # "đến cơ quan nào", "để nộp hồ sơ"; a direction only before a place ("chuyển đi" stays).
    starts = {start: facet for start, _, _, facet in facet_spans}
    starts.update({start: "" for start, _, _ in _spans(folded, _NAMELESS_PHRASES)})
    starts.update({start: "where" for start, _ in place_spans})
    for i in range(len(folded) - 2, -1, -1):  # right to left: "có mất phí", "co mat tien"
        f, then = folded[i], starts.get(i + 1)
        if then is None or (i > 0 and (folded[i - 1], f) in _BOUND):
            continue
        if _in_a_compound(words, folded, i, marked, unmarked) or (i > 0 and folded[i - 1] == "bi"):
            continue  # "bị mất có mất tiền không", "bi mat mat bao lau": the first is lost
        if (
            f in _LEADS_INTO_A_FACT
            or (f in _LEADS_TO_A_PLACE and then == "where")
            or (f in _LEADS_TO_A_CHANNEL and then == "online")
            or (f == "mat" and then in ("fee", "time"))  # "có mất phí", not "bố mất cần làm gì"
        ):
            drop[i] = True
            starts[i] = then
    last = max((i for i, d in enumerate(drop) if not d), default=None)
    if (
        last is not None
        and folded[last] in _ENDS_A_QUESTION
        and (last == 0 or (folded[last - 1], folded[last]) not in _BOUND)
    ):
        drop[last] = True  # "… thì lên đâu nộp ạ"
    for i in range(len(folded) - 1):  # "bố em vừa mới mất": when it happened names no procedure
        if folded[i] in ("vua", "moi") and folded[i + 1] in ("mat", "moi") and _lost(folded, i + 1):
            drop[i] = True  # not "xe máy mới mất bao nhiêu tiền": there "mới" is new
    kept = [w for w, f, d in zip(words, folded, drop, strict=True) if f and not d]
    return " ".join(kept).strip(" ,.?!")


def _spans(folded: list[str], phrases: Iterable[str]) -> list[tuple[int, int, str]]:
    out = []
    for phrase in phrases:
        parts = tuple(phrase.split())
        n = len(parts)
        out += [(i, i + n, phrase) for i in range(len(folded) - n + 1) if tuple(folded[i : i + n]) == parts]
    return out


def _pattern_spans(folded: list[str], patterns: Iterable[re.Pattern[str]]) -> list[tuple[int, int]]:
    """The word spans the patterns match in the folded words."""
    starts, at = [], 0
    for word in folded:
        starts.append(at)
        at += len(word) + 1
    joined = " ".join(folded)
    out = []
    for pattern in patterns:
        for match in pattern.finditer(joined):
            # The leftmost match may start at a name's words ("bảo hiểm xã hội một lần làm ở xã hay
            # tỉnh": "bảo hiểm xã hội" is a body too): the span starts at the last word it still matches from.
            begin = max(s for s in starts if s <= match.start())
            begin = max(s for s in starts if begin <= s < match.end() and pattern.match(joined, s, match.end()))
            first = starts.index(begin)
            last = max(i for i, s in enumerate(starts) if s < match.end())
            out.append((first, last + 1))
    return out


def _word_marked(word: str) -> str:
    """The word as typed, lower case, marks kept, punctuation off."""
    return re.sub(r"[^\w]", "", clean(word).lower())


def _in_a_compound(words: list[str], folded: list[str], i: int, marked: frozenset[tuple[str, str]],
                   unmarked: frozenset[tuple[str, str]]) -> bool:  # fmt: skip
    """Word i and a neighbour that is not a question word make a compound of the names."""
    for j in (i - 1, i + 1):
        if not 0 <= j < len(words) or _is_question_word(words[j], folded[j]):
            continue
        pair = (i, j) if i < j else (j, i)
        as_typed = (_word_marked(words[pair[0]]), _word_marked(words[pair[1]]))
        typed_unmarked = as_typed == (fold(as_typed[0]), fold(as_typed[1]))
        if as_typed in marked or (typed_unmarked and as_typed in unmarked):
            return True
    return False


def _lost(folded: list[str], i: int) -> bool:
    """ "mất" followed by something lost ("mất căn cước"), not by what it costs ("mất bao lâu", "mất
    phí", "mất 2 ngày") or by nothing."""
    nxt = folded[i + 1] if i + 1 < len(folded) else ""
    return bool(nxt) and not nxt.isdigit() and nxt not in _COST_WORDS


_COST_WORDS = frozenset({
    "bao", "may", "tien", "phi", "nhieu", "bn", "lau", "khoang", "tam", "chung", "het", "thoi", "ca", "mot",
    "hai", "ba", "le", "chi", "gi", "ko", "khong", "k", "ngay", "tuan", "thang", "nua", "nhung", "co",
})  # fmt: skip
# Folded words that ask when they come right before a fact's phrase: "có" (unmarked "co" is kept as
# it may be "cơ"), the verbs of "làm/nộp … ở đâu", "để nộp", "chờ bao lâu", and the directions of
# "đến/đi/ra/lên … ở đâu".
_LEADS_INTO_A_FACT = frozenset({"co", "lam", "nop", "de", "cho", "thi", "phai", "can"})
_BOUND = frozenset({("viec", "lam")})  # "vay vốn giải quyết việc làm nộp ở đâu": the job, not "làm ở đâu"
_LEADS_TO_A_PLACE = frozenset({"den", "di", "ra", "len", "o", "tai"})
_LEADS_TO_A_CHANNEL = frozenset({"tren", "qua"})  # "trên vssid", "qua thuedientu"; not "bằng" (a licence)
_ENDS_A_QUESTION = frozenset({"nop", "lam", "co"})  # "… thì lên đâu nộp", "… mấy ngày thì có"


# Unmarked too ("cho toi hoi"), but not "thi": unmarked it is also "thi" (an exam).
_CLAUSE_BREAK = re.compile(
    r"[,.;!?\n]+|\b(?:cho (?:tôi|em|mình|cháu|toi|minh|chau) (?:hỏi|hoi)|xin (?:hỏi|hoi)|cho (?:hỏi|hoi)|thì|nhưng)\b",
    re.IGNORECASE,
)


def procedure_queries(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """What to search for the procedure a question names, in order: the words of the whole question
    that name anything, then those of its last clause that does, for a long question whose story
    drowns the name ("tôi lên thành phố đi làm, cho tôi hỏi đăng ký tạm trú có nộp online không")."""
    out: list[str] = []
    whole = procedure_words(text, vocabulary)
    if whole:
        out.append(whole)
    clauses = [c for c in _CLAUSE_BREAK.split(clean(text)) if c and c.strip()]
    for clause in reversed(clauses):
        named = procedure_words(clause, vocabulary)
        if len(named.split()) >= 2:
            if named not in out:
                out.append(named)
            break
    return out
