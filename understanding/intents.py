"""The intents the understanding component tells apart, their facets, and the menu payloads that
stand for them (a tap and its words take one path). The label set is documented, with examples,
in `fixtures/understanding/INTENTS.md`; this module is its code form."""

from __future__ import annotations

LOOKUP_DOSSIER = "lookup_dossier"
MY_DOSSIERS = "my_dossiers"
FOLLOW_DOSSIER = "follow_dossier"
UNFOLLOW_DOSSIER = "unfollow_dossier"
PAY_FEES = "pay_fees"
PROCEDURE_SEARCH = "procedure_search"
PROCEDURE_QUESTION = "procedure_question"
LIFE_EVENTS = "life_events"
GUIDE_REGISTER = "guide_register"
GUIDE_LOGIN = "guide_login"
GUIDE_SUBMIT = "guide_submit"
GUIDE_PAY = "guide_pay"
GUIDE_TRACK = "guide_track"
RECEIPT_HELP = "receipt_help"
HOTLINE = "hotline"
HUMAN = "human"
COMPLAINT = "complaint"
GREETING = "greeting"
THANKS = "thanks"
FRUSTRATION = "frustration"
OUT_OF_SCOPE = "out_of_scope"
CANCEL = "cancel"
DOSSIER_QUESTION = "dossier_question"
SELECT = "select"
CORRECTION = "correction"
MORE = "more"

# Not learnt: set by rules only.
GUIDE = "guide"  # the guide topics menu (#huongdan)
COMMAND = "command"  # a button payload with arguments (#thutuc 1.004194, #hd dangky 2): its handler parses it
EMPTY = "empty"  # nothing readable: only emoji, punctuation, invisible marks
UNKNOWN = "unknown"  # no word the bot has ever seen ("asdf qwer"): not understood, said plainly

INTENTS: tuple[str, ...] = (
    LOOKUP_DOSSIER, MY_DOSSIERS, FOLLOW_DOSSIER, UNFOLLOW_DOSSIER, PAY_FEES, PROCEDURE_SEARCH,
    PROCEDURE_QUESTION, LIFE_EVENTS, GUIDE_REGISTER, GUIDE_LOGIN, GUIDE_SUBMIT, GUIDE_PAY, GUIDE_TRACK,
    RECEIPT_HELP, HOTLINE, HUMAN, COMPLAINT, GREETING, THANKS, FRUSTRATION, OUT_OF_SCOPE, CANCEL,
    DOSSIER_QUESTION, SELECT, CORRECTION, MORE,
)  # fmt: skip

# Follow-ups that only mean something about what was just shown.
NEEDS_CONTEXT: dict[str, frozenset[str]] = {
    DOSSIER_QUESTION: frozenset({"dossier"}),
    SELECT: frozenset({"list"}),
    MORE: frozenset({"list", "procedure", "dossier"}),
    CORRECTION: frozenset({"list", "procedure"}),
}

PROCEDURE_FACETS = ("documents", "fee", "time", "where", "online", "form", "result")
DOSSIER_FACETS = ("due", "unit", "status", "fee", "progress")

# Guide intents -> the topic id in fixtures/guides.json.
GUIDE_TOPICS: dict[str, str] = {
    GUIDE_REGISTER: "dangky",
    GUIDE_LOGIN: "dangky",
    GUIDE_SUBMIT: "nophoso",
    GUIDE_PAY: "thanhtoan",
    GUIDE_TRACK: "theodoi",
}

# Menu and button payloads without arguments (or whose argument is optional) -> their intent.
COMMANDS: dict[str, str] = {
    "#tracuuhoso": LOOKUP_DOSSIER,
    "#hosocuatoi": MY_DOSSIERS,
    "#theodoi": FOLLOW_DOSSIER,
    "#botheodoi": UNFOLLOW_DOSSIER,
    "#thanhtoan": PAY_FEES,
    "#tracuuthutuc": PROCEDURE_SEARCH,
    "#sukien": LIFE_EVENTS,
    "#huongdan": GUIDE,
    "#hotro": HOTLINE,
    "#gapcanbo": HUMAN,
    "#phananh": COMPLAINT,
    "#maphieu": RECEIPT_HELP,
    "#menu": CANCEL,
    "#batdau": CANCEL,
}

# What officers read in the console for each intent (Vietnamese, like the rest of the console).
LABELS: dict[str, str] = {
    LOOKUP_DOSSIER: "Tra cứu hồ sơ", MY_DOSSIERS: "Hồ sơ của tôi", FOLLOW_DOSSIER: "Theo dõi hồ sơ",
    UNFOLLOW_DOSSIER: "Bỏ theo dõi", PAY_FEES: "Thanh toán", PROCEDURE_SEARCH: "Tìm thủ tục",
    PROCEDURE_QUESTION: "Hỏi về thủ tục", LIFE_EVENTS: "Thủ tục theo sự kiện", GUIDE_REGISTER: "Hướng dẫn đăng ký",
    GUIDE_LOGIN: "Hướng dẫn đăng nhập", GUIDE_SUBMIT: "Hướng dẫn nộp hồ sơ", GUIDE_PAY: "Hướng dẫn thanh toán",
    GUIDE_TRACK: "Hướng dẫn theo dõi", RECEIPT_HELP: "Mã trên phiếu", HOTLINE: "Số hỗ trợ", HUMAN: "Gặp cán bộ",
    COMPLAINT: "Phản ánh, kiến nghị", GREETING: "Chào hỏi", THANKS: "Cảm ơn, tạm biệt", FRUSTRATION: "Bực bội",
    OUT_OF_SCOPE: "Ngoài phạm vi", CANCEL: "Hủy, về menu", DOSSIER_QUESTION: "Hỏi về hồ sơ vừa xem",
    SELECT: "Chọn trong danh sách", CORRECTION: "Sửa câu hỏi", MORE: "Xem thêm", GUIDE: "Hướng dẫn",
    COMMAND: "Bấm nút", EMPTY: "Không có nội dung", UNKNOWN: "Không đọc được",
}  # fmt: skip
FACET_LABELS: dict[str, str] = {
    "documents": "giấy tờ", "fee": "lệ phí", "time": "thời gian", "where": "nơi nộp", "online": "trực tuyến",
    "form": "mẫu đơn", "result": "kết quả", "due": "hẹn trả", "unit": "nơi xử lý", "status": "trạng thái",
    "progress": "tiến độ",
}  # fmt: skip
