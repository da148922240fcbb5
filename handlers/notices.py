"""What the bot tells a follower when their dossier moves or a payment settles: the new status and
what to do next. Composed when the change happens (a later change does not rewrite an earlier
notice) and delivered by a worker within Zalo's interaction window."""

from __future__ import annotations

from datetime import datetime

from bot.replies import Button, Text
from handlers.content import MENU_BUTTON, when
from lookup.calendar import VN_TZ
from lookup.dossier import Dossier, Payment, PaymentState
from lookup.province import OfficeHours, Province
from lookup.status import DossierStatus as S
from lookup.text import format_vnd

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def office_hours_text(hours: OfficeHours) -> str:
    days = sorted(hours.weekdays)
    span = f"{WEEKDAYS[days[0]]} đến {WEEKDAYS[days[-1]]}" if days == list(range(days[0], days[-1] + 1)) else (
        ", ".join(WEEKDAYS[d] for d in days))  # fmt: skip
    return f"{hours.open}–{hours.close}, {span}"


def status_notice(dossier: Dossier, province: Province) -> Text:
    step = dossier.current_step
    lines = [f"🔔 Hồ sơ {dossier.code} ({dossier.procedure_name}) vừa chuyển sang: {dossier.status.label}."]
    buttons = [Button("Xem hồ sơ", dossier.code)]
    match dossier.status:
        case S.YEU_CAU_BO_SUNG:
            lines.append("Cơ quan giải quyết đề nghị bổ sung giấy tờ" + (f": {step.note}" if step.note else "."))
            if step.respond_by:
                lines.append(f"Hạn bổ sung: {step.respond_by.astimezone(VN_TZ):%d/%m/%Y}.")
            lines.append("Bạn bổ sung trực tuyến trên Cổng dịch vụ công (mục Hồ sơ của tôi) hoặc nộp tại "
                         f"Bộ phận Một cửa – {dossier.agency_name}.")  # fmt: skip
        case S.YEU_CAU_NGHIA_VU_TAI_CHINH:
            lines.append(f"Số tiền cần nộp: {format_vnd(dossier.total_fee_vnd)}. Bạn có thể thanh toán ngay trong "
                         "Zalo (cần mã bảo mật trên Phiếu tiếp nhận).")  # fmt: skip
            buttons.insert(0, Button("Thanh toán", f"#thanhtoan {dossier.code}"))
        case S.DA_XU_LY_XONG if dossier.channel == "trực tuyến":
            lines.append(f"Kết quả điện tử đã sẵn sàng: đăng nhập {province.portal_url}, mục Hồ sơ của tôi, "
                         "để xem và tải về.")  # fmt: skip
        case S.DA_XU_LY_XONG:
            hours = office_hours_text(province.office_hours)
            lines.append(f"Mời bạn đến nhận kết quả tại Bộ phận Một cửa – {dossier.agency_name}, {hours}. "
                         "Mang theo Phiếu tiếp nhận và giấy tờ tùy thân.")  # fmt: skip
        case S.DANG_XU_LY | S.DUOC_TIEP_NHAN:
            unit = f" tại {step.unit}" if step.unit else ""
            lines.append(f"Hồ sơ đang được xử lý{unit}. Hẹn trả kết quả: {when(dossier.due_at)}.")
        case S.KHONG_DUOC_TIEP_NHAN | S.DUNG_XU_LY:
            if step.note:
                lines.append(f"Lý do: {step.note}")
            hotline = province.hotlines[0]
            lines.append(f"Cần giải đáp, gọi {hotline.label}: {hotline.phone}.")
        case S.DA_TRA_KET_QUA:
            lines.append("Kết quả đã được trả. Cảm ơn bạn đã sử dụng dịch vụ công.")
        case _:
            lines.append(f"Bước hiện tại: {step.step}.")
    buttons += [Button("Bỏ theo dõi", f"#botheodoi {dossier.code}"), MENU_BUTTON]
    return Text("\n".join(lines), tuple(buttons))


def payment_notice(dossier: Dossier, payment: Payment, base_url: str) -> Text:
    if payment.state is PaymentState.DA_THANH_TOAN:
        lines = [
            f"✅ Đã thanh toán {format_vnd(payment.amount_vnd)} phí, lệ phí cho hồ sơ {dossier.code}.",
            f"Mã giao dịch: {payment.transaction_id}",
            f"Thời gian: {when(payment.settled_at or datetime.now(VN_TZ))}",
            f"Biên lai điện tử: {base_url}/pay/{payment.id}/bien-lai",
            f"Trạng thái hồ sơ: {dossier.status.label}.",
        ]
        if dossier.status is S.DANG_XU_LY:
            lines.append(f"Hồ sơ đã được chuyển tiếp để xử lý; hẹn trả kết quả: {when(dossier.due_at)}.")
        buttons = (Button("Xem biên lai", f"{base_url}/pay/{payment.id}/bien-lai", "url"),
                   Button("Xem hồ sơ", dossier.code), MENU_BUTTON)  # fmt: skip
        return Text("\n".join(lines), buttons)
    return Text(
        f"❌ Thanh toán {format_vnd(payment.amount_vnd)} cho hồ sơ {dossier.code} chưa thành công (giao dịch đã bị "
        "hủy hoặc ngân hàng từ chối). Phí, lệ phí vẫn chưa được nộp; bạn có thể thử lại.",
        (Button("Thanh toán lại", f"#thanhtoan {dossier.code}"), Button("Hỗ trợ", "#hotro"), MENU_BUTTON),
    )
