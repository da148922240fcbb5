"""The whole record of a procedure on one server-rendered page, `/thu-tuc/{code}`, opened from the
chat's "Xem chi tiết" buttons: readable on a 360 px phone, every fact from the record's facts
(`lookup.facts`), what the record lacks said to be missing, and the national portal's page linked."""

from __future__ import annotations

import html
from datetime import date

from aiohttp import web

from bot.appkeys import CATALOG, CLOCK, PROVINCE
from lookup.facts import ChannelFact, ProcedureFacts, facts_of, fees_today, where_lines

routes = web.RouteTableDef()

_STYLE = """
*{box-sizing:border-box} html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1a1a;background:#f5f7fa;
  line-height:1.5;font-size:16px;overflow-wrap:anywhere}
main{max-width:760px;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}
h1{font-size:1.25rem;line-height:1.35;color:#0b5394;margin:.25rem 0 .5rem}
h2{font-size:1.05rem;color:#0b5394;margin:1.5rem 0 .5rem;border-bottom:1px solid #e3e8ef;padding-bottom:.25rem}
h3{font-size:.95rem;margin:1rem 0 .25rem;color:#374151}
.code{color:#4b5563;font-size:.9rem} .tag{display:inline-block;background:#e8f0fe;color:#0b5394;border-radius:4px;
  padding:0 .4rem;margin:.1rem .2rem .1rem 0;font-size:.85rem}
dl{margin:0} dt{font-weight:600;color:#374151;margin-top:.75rem} dd{margin:.1rem 0 0}
ul,ol{padding-left:1.2rem;margin:.25rem 0} li{margin:.35rem 0}
.meta{color:#6b7280;font-size:.85rem} .missing{color:#b45309} .warn{background:#fff7ed;border-left:3px solid #f59e0b;
  padding:.4rem .6rem;margin:.5rem 0}
.step{white-space:pre-line;margin:.5rem 0}
a.button{display:inline-block;background:#0b5394;color:#fff;text-decoration:none;border-radius:6px;padding:.6rem .9rem;
  margin:.75rem 0} footer{margin-top:2rem;color:#6b7280;font-size:.8rem}
"""


def _e(text: str | None) -> str:
    return html.escape(text or "")


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body><main>{body}</main></body></html>"
    )
    return web.Response(text=text, content_type="text/html", status=status,
                        headers={"X-Frame-Options": "DENY", "Cache-Control": "public, max-age=300"})  # fmt: skip


def _missing(what: str) -> str:
    return f"<span class='missing'>Nguồn dữ liệu chưa ghi {_e(what)}.</span>"


def _channels(items: list[ChannelFact], summary: str | None, what: str) -> str:
    if not items:
        return _missing(what)
    if len({i.text for i in items}) == 1:
        out = _e(summary)
    else:
        rows = (f"<li>{_e(i.channel + ': ' if i.channel else '')}{_e(i.text)}</li>" for i in items)
        out = "<ul>" + "".join(rows) + "</ul>"
    details = list(dict.fromkeys(i.detail for i in items if i.detail))
    return out + "".join(f"<div class='meta'>{_e(d)}</div>" for d in details)


def _documents(facts: ProcedureFacts) -> str:
    if not facts.documents:
        return _missing("thành phần hồ sơ")
    groups: dict[str | None, list] = {}
    for d in facts.documents:
        groups.setdefault(d.group, []).append(d)
    out = []
    for group, documents in groups.items():
        if group:
            out.append(f"<h3>{_e(group)}</h3>")
        items = []
        for d in documents:
            extra = [x for x in (d.counts, f"Mẫu: {d.form}" if d.form else None) if x]
            meta = f"<div class='meta'>{_e(' · '.join(extra))}</div>" if extra else ""
            items.append(f"<li>{_e(d.name)}{meta}</li>")
        out.append("<ul>" + "".join(items) + "</ul>")
    return "".join(out)


def render_procedure(facts: ProcedureFacts, province_lines: list[str], portal: str, today: date | None = None) -> str:
    """The page's body for one procedure; a fee whose own note says it applied until before `today`
    is said as such, not as current."""
    fees = fees_today(facts, today) if today else facts.fees
    fee_summary = fees[0].text if fees and len({f.text for f in fees}) == 1 else facts.fee_summary
    tags = "".join(f"<span class='tag'>{_e(t)}</span>" for t in (facts.field, facts.level) if t)
    link = facts.national_url or portal
    parts = [
        f"<div class='code'>Mã thủ tục {_e(facts.code)}</div><h1>{_e(facts.name)}</h1><div>{tags}</div>",
        f"<a class='button' href='{_e(link)}' rel='noopener'>Xem, nộp trên Cổng Dịch vụ công quốc gia</a>",
        "<h2>Tóm tắt</h2><dl>",
        f"<dt>Cơ quan giải quyết</dt><dd>{_e(facts.agency) or _missing('cơ quan giải quyết')}</dd>",
        f"<dt>Nộp ở đâu</dt><dd>{'<br>'.join(_e(line) for line in province_lines) or _missing('nơi nộp')}</dd>",
        f"<dt>Thời hạn giải quyết</dt><dd>{_channels(facts.times, facts.time_summary, 'thời hạn giải quyết')}</dd>",
        f"<dt>Phí, lệ phí</dt><dd>{_channels(fees, fee_summary, 'phí, lệ phí')}"
        + (f"<div class='warn'>Tuy vậy, {_e(facts.fee_warning)}</div>" if facts.fee_warning else "")
        + (
            f"<div class='warn'>Tuy vậy, ghi chú của thủ tục: {_e(facts.fee_note)}</div>"
            if facts.fee_note and not facts.fee_warning
            else ""
        )
        + (f"<div class='meta'>{_e(facts.fee_description)}</div>" if facts.fee_description else "")
        + "</dd>",
        f"<dt>Nộp trực tuyến</dt><dd>{_e(facts.online_text) or _missing('cách nộp trực tuyến')}</dd>",
    ]
    if facts.channels:
        parts.append(f"<dt>Cách nộp</dt><dd>{_e(', '.join(facts.channels))}</dd>")
    if facts.subjects:
        parts.append(f"<dt>Đối tượng thực hiện</dt><dd>{_e(facts.subjects)}</dd>")
    parts.append("</dl>")
    if facts.time_note:
        parts.append(f"<p class='meta'>Ghi chú về thời hạn: {_e(facts.time_note)}</p>")
    parts.append(f"<h2>Thành phần hồ sơ</h2>{_documents(facts)}")
    if facts.forms:
        parts.append("<h2>Mẫu đơn, tờ khai</h2><ul>" + "".join(
            f"<li>{_e(d.short)}<div class='meta'>{_e(d.form)}</div></li>" for d in facts.forms) + "</ul>")  # fmt: skip
    results = "".join(f"<li>{_e(r)}</li>" for r in facts.results)
    parts.append(f"<h2>Kết quả</h2>{f'<ul>{results}</ul>' if results else _missing('kết quả')}")
    if facts.steps:
        parts.append("<h2>Trình tự thực hiện</h2>" + "".join(f"<div class='step'>{_e(s)}</div>" for s in facts.steps))
    if facts.conditions:
        parts.append(f"<h2>Điều kiện</h2><div class='step'>{_e(facts.conditions)}</div>")
    if facts.legal_basis:
        parts.append("<h2>Căn cứ pháp lý</h2><div>" + " ".join(
            f"<span class='tag'>{_e(n)}</span>" for n in facts.legal_basis) + "</div>")  # fmt: skip
    parts.append(
        f"<footer>Thông tin theo bản ghi của Cổng Dịch vụ công quốc gia ({_e(link)}). Văn bản dài trên Cổng được "
        "trích đến hết một từ và đánh dấu “…”; xem đầy đủ trên Cổng.</footer>"
    )
    return "".join(parts)


@routes.get("/thu-tuc/{code}")
async def procedure_page(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    procedure = request.app[CATALOG].get(code)
    province = request.app[PROVINCE]
    if procedure is None:
        body = f"<h1>Không tìm thấy thủ tục</h1><p>Không có thủ tục mã <b>{_e(code)}</b>.</p>"
        return _page("Không tìm thấy thủ tục", body, 404)
    facts = facts_of(procedure)
    where = [line for line in where_lines(facts, province) if not line.startswith("Cơ quan giải quyết:")]
    today = request.app[CLOCK]().date() if CLOCK in request.app else None
    body = render_procedure(facts, where, province.national_portal_url, today)
    return _page(f"{facts.name} ({facts.code})", body)
