"""The "Phiếu tiếp nhận hồ sơ và hẹn trả kết quả" as a PNG, with a QR code for looking it up.

By national rule the receipt's QR lets a person look up (or pay for) the dossier; ours encodes the
lookup URL `<public base>/tra-cuu?code=<dossier code>`, which phone cameras open directly.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import qrcode
from PIL import Image, ImageDraw, ImageFont

from lookup.calendar import VN_TZ
from lookup.dossier import Dossier
from lookup.masking import mask_name
from lookup.text import format_vnd

FONT_DIR = Path(__file__).resolve().parent / "fonts"
WIDTH = 1240
MARGIN = 80
LINE_GAP = 10


def lookup_url(public_base_url: str, code: str) -> str:
    return f"{public_base_url.rstrip('/')}/tra-cuu?code={quote(code, safe='.-')}"


def qr_image(payload: str, box_size: int = 8) -> Image.Image:
    # Error correction M survives a crease or a smudge while keeping modules large enough for a
    # phone camera at arm's length.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(payload.encode("utf-8"))
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _when(moment: datetime) -> str:
    local = moment.astimezone(VN_TZ)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


class _Writer:
    """Lays out lines top to bottom, wrapping long text to the page width."""

    def __init__(self, draw: ImageDraw.ImageDraw) -> None:
        self.draw = draw
        self.y = MARGIN

    def line(self, text: str, size: int = 26, bold: bool = False, center: bool = False, indent: int = 0) -> None:
        font = _font(size, bold)
        width_chars = max(20, int((WIDTH - 2 * MARGIN - indent) / (size * 0.55)))
        for part in textwrap.wrap(text, width_chars) or [""]:
            left = MARGIN + indent
            if center:
                left = (WIDTH - self.draw.textlength(part, font=font)) // 2
            self.draw.text((left, self.y), part, font=font, fill="black")
            self.y += size + LINE_GAP

    def gap(self, height: int = 16) -> None:
        self.y += height


def render_receipt(dossier: Dossier, public_base_url: str, province_full_name: str, *, full: bool) -> bytes:
    """PNG bytes of the receipt. With `full=False` (anyone holding the code) the applicant's name
    is masked and the security code, ID number, phone and address are left out."""
    height = 2200
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    w = _Writer(draw)
    w.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 26, bold=True, center=True)
    w.line("Độc lập - Tự do - Hạnh phúc", 24, bold=True, center=True)
    w.gap()
    w.line(dossier.agency_name.upper(), 24, bold=True, center=True)
    w.line(province_full_name, 22, center=True)
    w.gap(24)
    w.line("PHIẾU TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", 34, bold=True, center=True)
    w.line(f"Mã hồ sơ: {dossier.code}", 30, bold=True, center=True)
    w.gap(24)
    applicant = dossier.applicant
    w.line(f"Tiếp nhận hồ sơ của: {applicant.full_name if full else mask_name(applicant.full_name)}")
    if full:
        if applicant.id_number:
            w.line(f"Số định danh cá nhân: {applicant.id_number}")
        if applicant.phone:
            w.line(f"Số điện thoại: {applicant.phone}")
        if applicant.address:
            w.line(f"Địa chỉ: {applicant.address}")
    w.line(f"Thủ tục: {dossier.procedure_name} (mã {dossier.procedure_code})")
    w.line(f"Hình thức nộp: {dossier.channel}")
    w.gap()
    w.line("Thành phần hồ sơ:", bold=True)
    for index, name in enumerate(dossier.documents[:12], start=1):
        w.line(f"{index}. {name.lstrip('-• ').strip()}", 22, indent=20)
    if len(dossier.documents) > 12:
        w.line(f"... và {len(dossier.documents) - 12} thành phần khác", 22, indent=20)
    w.gap()
    w.line(f"Thời gian tiếp nhận: {_when(dossier.received_at)}")
    w.line(f"Thời gian hẹn trả kết quả: {_when(dossier.due_at)}", bold=True)
    if dossier.fee_lines:
        w.line(f"Phí, lệ phí: {format_vnd(dossier.total_fee_vnd)}")
    if full:
        w.line(f"Mã bảo mật (tra cứu, thanh toán trực tuyến): {dossier.security_code}", bold=True)
    w.gap(24)

    qr = qr_image(lookup_url(public_base_url, dossier.code))
    qr_top = w.y
    image.paste(qr, (MARGIN, qr_top))
    hint = _Writer(draw)
    hint.y = qr_top + 40
    for text in (
        "Quét mã QR để tra cứu tình trạng hồ sơ,",
        "hoặc gửi ảnh mã này cho Zalo OA",
        "để tra cứu và thanh toán trực tuyến.",
    ):
        hint.line(text, 22, indent=qr.width + 30)
    bottom = max(qr_top + qr.height, hint.y) + MARGIN
    image = image.crop((0, 0, WIDTH, min(bottom, height)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
