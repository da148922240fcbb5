"""Small server-rendered pages: the public lookup page the receipt QR opens, and the emulated
payment platform's page where the citizen picks a bank."""

from __future__ import annotations

import html

from aiohttp import web

from bot.appkeys import CLOCK, DOSSIERS, HTTP, PAYMENTS, PROVINCE, SETTINGS
from bot.web.gateway_emulator import deliver, signed_callback
from lookup.calendar import VN_TZ
from lookup.codes import EXAMPLE_CODE, InvalidDossierCode
from lookup.dossier import PaymentState
from lookup.dossier_store import DossierNotFound
from lookup.payments import BANKS, CUSTOMER_CANCELLED, SUCCESS, PaymentNotFound, find_payment
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


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return web.Response(
        text=text,
        content_type="text/html",
        status=status,
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
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
    form = (
        f"<form method='get'><input name='code' value='{html.escape(code)}' placeholder='{EXAMPLE_CODE}'>"
        " <button class='primary'>Tra cứu</button></form>"
    )
    body = f"<h1>Tra cứu hồ sơ – {html.escape(province.oa_name)}</h1>{form}"
    if not code:
        return _page("Tra cứu hồ sơ", body)
    try:
        dossier = await request.app[DOSSIERS].get(code)
    except (InvalidDossierCode, DossierNotFound):
        return _page(
            "Tra cứu hồ sơ",
            body + f"<p class='bad'>Không tìm thấy hồ sơ có mã "
            f"<b>{html.escape(code)}</b>. Mã hồ sơ có dạng {EXAMPLE_CODE}.</p>",
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
    return _page(f"Hồ sơ {dossier.code}", body + rows)


async def _payment_context(request: web.Request):
    payments = request.app[PAYMENTS]
    payment_id = request.match_info["payment_id"]
    try:
        dossier = await payments.dossier_of(payment_id)
        return dossier, find_payment(dossier, payment_id)
    except (PaymentNotFound, DossierNotFound) as exc:
        raise web.HTTPNotFound(text="Không tìm thấy yêu cầu thanh toán") from exc


@routes.get("/pay/{payment_id}")
async def pay_page(request: web.Request) -> web.Response:
    dossier, payment = await _payment_context(request)
    summary = _rows(
        [("Mã hồ sơ", dossier.code), ("Thủ tục", dossier.procedure_name)]
        + [(line.name, format_vnd(line.amount_vnd)) for line in dossier.fee_lines]
        + [("Tổng cộng", format_vnd(payment.amount_vnd)), ("Trạng thái", payment.state.value)]
    )
    body = f"<h1>Nền tảng thanh toán – thanh toán phí, lệ phí</h1>{summary}"
    if payment.state in (PaymentState.CHUA_THANH_TOAN, PaymentState.CHO_THANH_TOAN):
        buttons = "".join(
            f"<button name='bank_code' value='{code}'>{html.escape(name)}</button>" for code, name in BANKS
        )
        body += (
            f"<h2>Chọn ngân hàng hoặc ví điện tử</h2>"
            f"<form method='post' action='/pay/{payment.id}/bank' class='banks'>{buttons}</form>"
        )
    elif payment.state is PaymentState.DA_THANH_TOAN:
        body += (
            f"<p class='ok'>Thanh toán thành công. Mã giao dịch <b>{html.escape(payment.transaction_id or '')}</b>. "
            f"<a href='/pay/{payment.id}/bien-lai'>Xem biên lai</a>. Bạn có thể quay lại Zalo.</p>"
        )
    else:
        body += "<p class='bad'>Giao dịch đã bị hủy. Vui lòng tạo yêu cầu thanh toán mới để thanh toán lại.</p>"
    return _page("Thanh toán", body)


@routes.get("/pay/{payment_id}/bien-lai")
async def receipt_page(request: web.Request) -> web.Response:
    """The electronic receipt (biên lai) of a settled payment. Reached by its unguessable payment id,
    as sent to the payer; it shows the applicant's name masked, as the public view does."""
    dossier, payment = await _payment_context(request)
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
    return _page("Biên lai", body)


@routes.post("/pay/{payment_id}/bank")
async def choose_bank(request: web.Request) -> web.Response:
    form = await request.post()
    bank_code = str(form.get("bank_code", ""))
    payment = await request.app[PAYMENTS].choose_bank(request.match_info["payment_id"], bank_code)
    bank = dict(BANKS)[bank_code]
    body = (
        f"<h1>{html.escape(bank)} – xác nhận thanh toán</h1><p>Số tiền: <b>{format_vnd(payment.amount_vnd)}</b></p>"
        f"<form method='post' action='/pay/{payment.id}/confirm'><input type='hidden' name='bank_code' "
        f"value='{bank_code}'><button class='primary' name='action' value='pay'>Xác nhận thanh toán</button> "
        "<button name='action' value='cancel'>Hủy giao dịch</button></form>"
    )
    return _page("Xác nhận thanh toán", body)


@routes.post("/pay/{payment_id}/confirm")
async def bank_confirms(request: web.Request) -> web.StreamResponse:
    """The emulated bank sends its signed callback to the platform over HTTP, then the citizen is
    sent back to the payment page, which shows the outcome."""
    dossier, payment = await _payment_context(request)
    form = await request.post()
    result = SUCCESS if form.get("action") == "pay" else CUSTOMER_CANCELLED
    body = signed_callback(
        payment.id,
        dossier.code,
        payment.amount_vnd,
        str(form.get("bank_code") or "VCB"),
        result,
        request.app[CLOCK](),
        request.app[SETTINGS].payment_gateway_secret.get_secret_value(),
    )
    # Post to the socket this request came in on: never to a Host header the client chose.
    host, port = request.transport.get_extra_info("sockname")[:2] if request.transport else ("127.0.0.1", 0)
    host = f"[{host}]" if ":" in host else host
    await deliver(request.app[HTTP], f"http://{host}:{port}/api/payments/{payment.id}/callback", body)
    raise web.HTTPSeeOther(f"/pay/{payment.id}")
