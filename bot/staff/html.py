"""Server-rendered pieces of the console: the layout, forms with their CSRF token, and a transcript
as chat bubbles. Every value from a transcript or a request is escaped here."""

from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from bot.notify import NOTICE_EVENT
from bot.staff.sessions import Session
from lookup.calendar import VN_TZ
from lookup.codes import find_codes
from understanding.intents import FACET_LABELS, LABELS

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1a202c}
header{background:#1f4e79;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff}header form{margin-left:auto}main{padding:1rem;max-width:1100px}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border-bottom:1px solid #e2e8f0;padding:.35rem;
text-align:left;font-size:.9rem}.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:1rem}
.filters label{display:flex;flex-direction:column;font-size:.8rem}.chat{display:flex;flex-direction:column;gap:.4rem}
.bubble{max-width:70%;padding:.5rem .7rem;border-radius:.8rem;white-space:pre-wrap;font-size:.92rem}
.in{align-self:flex-end;background:#dbeafe;border-bottom-right-radius:.2rem}.in .meta{text-align:right}
.out{align-self:flex-start;background:#fff;border:1px solid #cbd5e0;border-bottom-left-radius:.2rem}
.out.staff{background:#fefcbf}.event{align-self:center;font-size:.8rem;color:#4a5568;background:#edf2f7;
border-radius:1rem;padding:.2rem .8rem}.tech{display:none;font-family:monospace}
#tech:checked~.chat .tech{display:inline}.techlabel{font-size:.85rem;color:#4a5568}
.meta{font-size:.72rem;color:#4a5568;margin-top:.2rem}.btn{display:inline-block;border:1px solid #2b6cb0;
border-radius:.4rem;padding:.1rem .4rem;margin:.15rem .15rem 0 0;font-size:.8rem;color:#2b6cb0}
.error{color:#c53030}.same{color:#2f855a}.changed,.missing,.extra{color:#c53030}pre{background:#fff;padding:.5rem;
overflow:auto}img.thumb{max-width:160px;max-height:160px;display:block}.counts a{margin-right:.6rem}
.revealed{background:#fefcbf}.actions{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-start;margin-bottom:1rem}
fieldset{border:1px solid #cbd5e0;border-radius:.4rem;background:#fff}fieldset label{display:block;font-size:.85rem}
fieldset input[name=reason]{width:22rem;max-width:100%}figcaption{font-weight:600}
"""

# Set per request by `bot.staff.oa_views.oa_banner` (supervisors): the OA's authorization is lost or expiring.
BANNER: ContextVar[str] = ContextVar("staff_banner", default="")


def page(title: str, body: str, session: Session | None = None, status: int = 200) -> web.Response:
    nav = ""
    if session:
        nav = ('<a href="/staff/conversations">Hội thoại</a><a href="/staff/handoffs">Chờ cán bộ</a>'
               '<a href="/staff/dashboard">Thống kê</a>'
               + ('<a href="/staff/audit">Nhật ký truy cập</a><a href="/staff/dead-letters">Sự kiện lỗi</a>'
                  '<a href="/staff/oa">Ủy quyền OA</a>' if session.account.is_supervisor else "")
               + f'<form method="post" action="/staff/logout">{csrf_field(session)}<span>{escape(session.account.name)}'
               f" ({escape(session.account.role.value)})</span> <button>Đăng xuất</button></form>")  # fmt: skip
    html = (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{escape(title)} · tracuu</title>'
            f"<style>{STYLE}</style></head><body><header><strong>tracuu · cán bộ hỗ trợ</strong>{nav}</header>"
            f"{BANNER.get()}"
            f"<main><h1>{escape(title)}</h1>{body}</main></body></html>")  # fmt: skip
    return web.Response(text=html, content_type="text/html", status=status)


def csrf_field(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'


def when(at: float | str) -> str:
    stamp = float(at) / 1000 if isinstance(at, str) else at
    return datetime.fromtimestamp(stamp, VN_TZ).strftime("%H:%M %d/%m/%Y")


def query_link(path: str, params: dict[str, str], **changes: str) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v}
    return escape(f"{path}?{urlencode(merged)}" if merged else path)


def _linked(text: str) -> str:
    """Escaped text with the dossier codes it mentions linked to the dossier's lookup page."""
    out = escape(text)
    for code in find_codes(text):
        out = out.replace(escape(code), f'<a href="/tra-cuu?code={quote(code)}">{escape(code)}</a>')
    return out


def _buttons(payload: dict[str, Any]) -> str:
    return "".join(f'<span class="btn" title="{escape(str(b.get("payload", "")))}">{escape(b.get("title", ""))}</span>'
                   for b in payload.get("buttons", []))  # fmt: skip


def _out_message(body: dict[str, Any]) -> str:
    parts = [_linked(body["text"])] if body.get("text") else []
    payload = (body.get("attachment") or {}).get("payload") or {}
    if payload.get("template_type") == "list":
        parts += [f"• <b>{escape(e.get('title', ''))}</b> {escape(e.get('subtitle', ''))}" for e in payload["elements"]]
    if payload.get("template_type") == "media":
        parts.append("[ảnh]")
    return "<br>".join(parts) + (f"<div>{_buttons(payload)}</div>" if payload.get("buttons") else "")


def _in_message(entry: dict[str, Any], revealed: str | None) -> str:
    body = entry.get("body") or {}
    parts = []
    if revealed is not None:
        parts.append(f'<span class="revealed" title="dữ liệu gốc (đã ghi nhật ký)">{_linked(revealed)}</span>')
    elif entry.get("text"):
        parts.append(_linked(entry["text"]))
    for item in body.get("attachments", []):
        src = item.get("thumbnail") or item.get("url")
        if item.get("type") == "image" and src and src.startswith(("http://", "https://")):
            parts.append(f'<a href="{escape(src)}"><img class="thumb" src="{escape(src)}" alt="ảnh người dân gửi"></a>')
        else:
            parts.append(f"[{escape(item.get('type') or 'tệp')}]")
    return "<br>".join(parts) or f"<i>{escape(entry['kind'])}</i>"


# Inbound events that carry no message, said as what happened (the raw "follow" was a citizen's bubble).
EVENT_NOTES = {
    "follow": "Người dân bấm “Quan tâm” OA",
    "unfollow": "Người dân bỏ quan tâm OA",
    "user_click_chatnow": "Người dân mở khung chat với OA",
    "user_submit_info": "Người dân gửi thông tin liên hệ",
    NOTICE_EVENT: "Thông báo tự động về hồ sơ người dân theo dõi",
}


def _tech(text: str) -> str:
    """Details for whoever debugs the bot (handler ids, event kinds): hidden until asked for."""
    return f' <span class="tech">· {escape(text)}</span>'


def inbound_meta(entry: dict[str, Any]) -> dict[str, Any]:
    """What the turn reached (`meta` of the inbound summary), from a read transcript entry."""
    body = entry.get("body") or {}
    if isinstance(body, str):  # as stored; `Transcript.entries` hands it over parsed
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body.get("meta") or {} if isinstance(body, dict) else {}


def understood_note(entry: dict[str, Any]) -> str:
    """What the bot read in a citizen's message: intent, facet and confidence (and "asked which")."""
    understood = (inbound_meta(entry)).get("understood") or {}
    if not understood.get("intent"):
        return ""
    label = LABELS.get(understood["intent"], understood["intent"])
    facet = FACET_LABELS.get(understood.get("facet") or "", "")
    confidence = float(understood.get("confidence") or 0)
    note = f"{label}{f' ({facet})' if facet else ''} {confidence:.0%}"
    if understood.get("source") == "context":  # a short question about what was on screen
        note = f"{label}{f' ({facet})' if facet else ''}, hỏi tiếp về nội dung vừa hiển thị"
    if understood.get("source") == "catalog":  # the model was unsure or heard a guide; the name settled it
        runner_up = (understood.get("runner_up") or [""])[0]
        note = f"{label}{f' ({facet})' if facet else ''}, theo tên thủ tục trong danh mục"
        note += f" (mô hình nghe là: {LABELS.get(runner_up, runner_up)})" if runner_up else ""
    if understood.get("ambiguous"):
        note += ", chưa chắc: đã hỏi lại"
    return f' · <span class="intent" title="Bot hiểu tin nhắn này là">ý định: {escape(note)}</span>'


def _is_event(entry: dict[str, Any]) -> bool:
    body = entry.get("body") or {}
    return entry["direction"] == "in" and not entry.get("text") and not body.get("attachments")


def bubbles(entries: list[dict[str, Any]], revealed: dict[str, str] | None = None) -> str:
    """The transcript as the citizen saw it in Zalo: their messages on the right, the OA's on the
    left, events as a line between them; handler ids and event kinds behind the toggle."""
    out = []
    for entry in entries:
        handler = entry.get("handler") or ""
        tech = _tech(f"{entry['kind']}{f' → {handler}' if handler else ''}")
        if _is_event(entry):
            note = EVENT_NOTES.get(entry["kind"], "Sự kiện từ Zalo")
            out.append(f'<div class="event">{escape(note)} · {when(entry["at_ms"])}{tech}</div>')
            continue
        direction = "in" if entry["direction"] == "in" else "out"
        content = _in_message(entry, (revealed or {}).get(entry["id"])) if direction == "in" else _out_message(
            entry.get("body") or {})  # fmt: skip
        staff = direction == "out" and handler.startswith("staff:")
        who = "Người dân" if direction == "in" else f"Cán bộ {handler.removeprefix('staff:')}" if staff else "Bot"
        meta = f"{escape(who)} · {when(entry['at_ms'])}"
        if direction == "in":
            meta += understood_note(entry)
        if entry.get("error"):
            meta += f' · <span class="error">{escape(entry["error"])}</span>'
        css = f"bubble {direction}{' staff' if staff else ''}"
        out.append(f'<div class="{css}">{content}<div class="meta">{meta}{tech}</div></div>')
    toggle = ('<input type="checkbox" id="tech"><label class="techlabel" for="tech"> Hiện chi tiết kỹ thuật (loại '
              "sự kiện, bộ xử lý của bot)</label>")  # fmt: skip
    return f'{toggle}<div class="chat">{"".join(out)}</div>'
