"""The front door: `/` says what this service is and links what a visitor may want (the chat page
in emulator mode, the staff console, the API document, health), and `/favicon.ico`, which every
browser asks for (both were 404s)."""

from __future__ import annotations

import html
import io
from functools import cache

from aiohttp import web
from PIL import Image, ImageDraw

from bot.appkeys import PROVINCE, SETTINGS
from bot.web.pages import html_page
from lookup.demo import prompt_example

routes = web.RouteTableDef()

_BRAND = (11, 83, 148)  # the pages' heading colour (#0b5394)


def _chat_page_url(request: web.Request) -> str | None:
    """The emulator's chat page, where a person plays the citizen: only in emulator mode (there is no
    such page in front of the real Zalo)."""
    settings = request.app[SETTINGS]
    if settings.zalo_emulator:
        return "/emulator/"
    if settings.zalo_emulator_url:
        return settings.zalo_emulator_url.rstrip("/") + "/emulator/"
    return None


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    province = request.app[PROVINCE]
    links: list[tuple[str, str, str]] = []
    if chat := _chat_page_url(request):
        links.append((chat, "Trò chuyện với chatbot", "trình giả lập Zalo: đóng vai người dân nhắn OA"))
    links += [
        ("/staff/", "Trang cán bộ", "xem hội thoại, thống kê, người dân chờ cán bộ (cần đăng nhập)"),
        ("/api/openapi.json", "Tài liệu API", "OpenAPI: hồ sơ, tiến độ, thanh toán, thủ tục"),
        ("/healthz", "Tình trạng dịch vụ", "/healthz; sẵn sàng phục vụ: /readyz"),
    ]
    items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(label)}</a> — {html.escape(note)}</li>'
        for href, label, note in links
    )
    demo = (
        "<p class='bad'>Chế độ thử nghiệm (demo): dữ liệu mẫu, không dùng cho vận hành thật.</p>"
        if settings.demo_mode
        else ""
    )
    body = (
        f"<h1>Tra cứu hồ sơ — {html.escape(province.oa_name)}</h1>{demo}"
        f"<p>Chatbot của Official Account Zalo “{html.escape(province.oa_name)}”: người dân tra cứu hồ sơ theo "
        "mã biên nhận hoặc ảnh mã QR, tìm thủ tục hành chính, được hướng dẫn từng bước và nộp lệ phí; "
        "kèm dịch vụ hồ sơ và thanh toán mà chatbot tra cứu.</p>"
        '<form method="get" action="/tra-cuu"><p><label>Mã hồ sơ <input name="code" required autocomplete="off" '
        f'placeholder="{html.escape(prompt_example(province, demo=settings.demo_mode))}"></label> '
        '<button class="primary">Tra cứu</button></p></form>'
        f"<ul>{items}</ul>"
    )
    return html_page(f"Tra cứu hồ sơ — {province.oa_name}", body)


@cache
def _favicon() -> bytes:
    # Drawn once rather than kept as a binary file: a blue rounded square with a white magnifier.
    size = 64
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=12, fill=_BRAND)
    draw.ellipse((12, 10, 42, 40), outline="white", width=6)
    draw.line((37, 36, 52, 52), fill="white", width=8)
    out = io.BytesIO()
    image.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.Response:
    return web.Response(body=_favicon(), content_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})
