"""Small server-rendered pages: the public lookup page the receipt QR opens, the payment page (which
hands the citizen over to the payment platform; in demo mode, to the emulated bank of
`bot.web.gateway_emulator`) and the electronic receipt."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from aiohttp import web

from bot.appkeys import CLOCK, PAYMENTS, PROVINCE, SETTINGS
from bot.ratelimit import RateLimited
from bot.web.limits import limit, look_up
from lookup.calendar import VN_TZ
from lookup.codes import InvalidDossierCode
from lookup.demo import prompt_example
from lookup.dossier import PaymentState
from lookup.dossier_store import DossierNotFound
from lookup.payments import BANKS, PaymentNotFound, find_payment
from lookup.text import format_vnd

routes = web.RouteTableDef()

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:640px;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.3rem;color:#0b5394} table{border-collapse:collapse;width:100%}
td{padding:.35rem;border-bottom:1px solid #ddd} td:first-child{color:#555;width:40%}
.banks{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}
button{padding:.6rem;font-size:1rem;cursor:pointer;border:1px solid #0b5394;background:#fff;border-radius:6px}
button.primary{background:#0b5394;color:#fff} .ok{color:#137333} .bad{color:#b3261e}
input{padding:.5rem;font-size:1rem;width:70%}
"""


def html_page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    text = (
        f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return web.Response(
        text=text,
        content_type="text/html",
        status=status,
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY", **(headers or {})},
    )


def _rows(pairs: list[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in pairs)
        + "</table>"
    )


@routes.get("/tra-cuu")
async def lookup_page(request: web.Request) -> web.Response:
    province = request.app[PROVINCE]
    code = request.query.get("code", "").strip()
    example = prompt_example(province, demo=request.app[SETTINGS].demo_mode)  # one that exists in demo mode
    form = (
        f"<form method='get'><input name='code' value='{html.escape(code)}' placeholder='{example}'>"
        " <button class='primary'>Tra cứu</button></form>"
    )
    body = f"<h1>Tra cứu hồ sơ – {html.escape(province.oa_name)}</h1>{form}"
    if not code:
        return html_page("Tra cứu hồ sơ", body)
    try:
        dossier = await look_up(request, code)
    except RateLimited as exc:
        return html_page("Tra cứu hồ sơ", body + "<p class='bad'>Bạn tra cứu quá nhiều lần trong thời gian ngắn. "
                         f"Vui lòng thử lại sau {max(1, exc.retry_after // 60)} phút.</p>", 429,
                         {"Retry-After": str(exc.retry_after)})  # fmt: skip
    except (InvalidDossierCode, DossierNotFound):
        return html_page(
            "Tra cứu hồ sơ",
            body + f"<p class='bad'>Không tìm thấy hồ sơ có mã "
            f"<b>{html.escape(code)}</b>. Mã hồ sơ có dạng {example}.</p>",
            404,
        )
    view = dossier.public_view(request.app[CLOCK]())
    rows = _rows(
        [
            ("Mã hồ sơ", view["code"]),
            ("Thủ tục", view["procedure"]["name"]),
            ("Cơ quan", view["agency"]["name"]),
            ("Người nộp", view["applicant"]["full_name"]),
            ("Trạng thái", view["status"]["name"]),
            ("Bước hiện tại", f"{view['current_step']['step']} – {view['current_step']['unit'] or ''}"),
            ("Ngày hẹn trả", dossier.due_at.strftime("%d/%m/%Y %H:%M")),
            ("Tiến độ", view["timeliness"]),
            ("Phí, lệ phí", format_vnd(view["fees"]["total_vnd"])),
            ("Thanh toán", view["fees"]["payment_state"]),
        ]
    )
    return html_page(f"Hồ sơ {dossier.code}", body + rows)


async def payment_context(request: web.Request):
    await limit(request, "payments")
    payments = request.app[PAYMENTS]
    payment_id = request.match_info["payment_id"]
    try:
        dossier = await payments.dossier_of(payment_id)
        return dossier, find_payment(dossier, payment_id)
    except (PaymentNotFound, DossierNotFound) as exc:
        raise web.HTTPNotFound(text="Không tìm thấy yêu cầu thanh toán") from exc


@routes.get("/pay/{payment_id}")
async def pay_page(request: web.Request) -> web.Response:
    dossier, payment = await payment_context(request)
    summary = _rows(
        [("Mã hồ sơ", dossier.code), ("Thủ tục", dossier.procedure_name)]
        + [(line.name, format_vnd(line.amount_vnd)) for line in dossier.fee_lines]
        + [("Tổng cộng", format_vnd(payment.amount_vnd)), ("Trạng thái", payment.state.value)]
    )
    body = f"<h1>Nền tảng thanh toán – thanh toán phí, lệ phí</h1>{summary}"
    if payment.state in (PaymentState.CHUA_THANH_TOAN, PaymentState.CHO_THANH_TOAN):
        body += _hand_over(request, dossier.code, payment.id, payment.amount_vnd)
    elif payment.state is PaymentState.DA_THANH_TOAN:
        body += (
            f"<p class='ok'>Thanh toán thành công. Mã giao dịch <b>{html.escape(payment.transaction_id or '')}</b>. "
            f"<a href='/pay/{payment.id}/bien-lai'>Xem biên lai</a>. Bạn có thể quay lại Zalo.</p>"
        )
    else:
        body += "<p class='bad'>Giao dịch đã bị hủy. Vui lòng tạo yêu cầu thanh toán mới để thanh toán lại.</p>"
    return html_page("Thanh toán", body)


def _hand_over(request: web.Request, code: str, payment_id: str, amount_vnd: int) -> str:
    """What the page offers for an open payment: in demo mode the emulated bank's choice of banks; in
    production only a hand-over to the configured payment platform, which confirms through its signed
    callback."""
    settings = request.app[SETTINGS]
    if settings.demo_mode:
        buttons = "".join(
            f"<button name='bank_code' value='{bank}'>{html.escape(name)}</button>" for bank, name in BANKS
        )
        return (
            f"<h2>Chọn ngân hàng hoặc ví điện tử</h2>"
            f"<form method='post' action='/pay/{payment_id}/bank' class='banks'>{buttons}</form>"
        )
    if not settings.payment_gateway_url:
        return ("<p class='bad'>Thanh toán trực tuyến đang tạm ngừng. Vui lòng nộp phí, lệ phí tại Bộ phận tiếp "
                "nhận và trả kết quả.</p>")  # fmt: skip
    query = urlencode({"payment_id": payment_id, "dossier_code": code, "amount_vnd": amount_vnd,
                       "return_url": f"{settings.base_url}/pay/{payment_id}"})  # fmt: skip
    gateway = settings.payment_gateway_url
    link = f"{gateway}{'&' if '?' in gateway else '?'}{query}"
    return (f"<p><a href='{html.escape(link)}' rel='noreferrer'><button class='primary'>Thanh toán trên Nền tảng "
            "thanh toán</button></a></p>")  # fmt: skip


@routes.get("/pay/{payment_id}/bien-lai")
async def receipt_page(request: web.Request) -> web.Response:
    """The electronic receipt (biên lai) of a settled payment. Reached by its unguessable payment id,
    as sent to the payer; it shows the applicant's name masked, as the public view does."""
    dossier, payment = await payment_context(request)
    if payment.state is not PaymentState.DA_THANH_TOAN:
        raise web.HTTPNotFound(text="Chưa có biên lai: khoản phí này chưa được thanh toán")
    view = dossier.public_view(request.app[CLOCK]())
    bank = dict(BANKS).get(payment.bank_code or "", payment.bank_code or "")
    rows = _rows(
        [("Mã hồ sơ", dossier.code), ("Thủ tục", dossier.procedure_name), ("Cơ quan thu", dossier.agency_name),
         ("Người nộp", view["applicant"]["full_name"])]
        + [(line.name, format_vnd(line.amount_vnd)) for line in dossier.fee_lines]
        + [("Tổng số tiền", format_vnd(payment.amount_vnd)), ("Hình thức", f"Thanh toán trực tuyến qua {bank}"),
           ("Mã giao dịch", payment.transaction_id or ""),
           ("Thời gian", payment.settled_at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y") if payment.settled_at else "")]
    )  # fmt: skip
    body = (f"<h1>BIÊN LAI THU PHÍ, LỆ PHÍ (điện tử)</h1><p>Số biên lai: {html.escape(payment.id.upper())}</p>"
            f"{rows}<p>Biên lai điện tử do Nền tảng thanh toán (mô phỏng) lập; dùng để tra cứu, đối chiếu.</p>"
            )  # fmt: skip
    return html_page("Biên lai", body)
