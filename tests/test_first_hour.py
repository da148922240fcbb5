"""What a new user meets first (issue 20): a landing page at the root that says what this is and
links the pages that exist (the chat page only in emulator mode), a favicon (both were 404s), the
emulator's JSON readable in a terminal, and README commands that run as written."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from bot.app import create_app

# One backend is enough: nothing here touches the store.
pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


async def _links(client, path: str = "/") -> list[str]:
    async with client.get(path) as r:
        assert r.status == 200 and r.content_type == "text/html"
        return re.findall(r'href="([^"]+)"', await r.text())


async def test_the_root_says_what_this_is_and_every_link_answers(backend, aiohttp_client, make_settings, clock,
                                                                 catalog):  # fmt: skip
    client = await aiohttp_client(create_app(make_settings(), clock=clock, catalog=catalog))
    async with client.get("/") as r:
        page = await r.text()
    assert "Cổng hành chính công tỉnh Kon Tum" in page and "tra cứu hồ sơ" in page
    assert 'action="/tra-cuu"' in page  # a citizen who lands here can look a code up at once
    links = await _links(client)
    assert {"/staff/", "/api/openapi.json", "/healthz"} <= set(links)
    assert not any("emulator" in link for link in links)  # no chat page in front of the real Zalo
    for link in links:
        async with client.get(link) as r:
            assert r.status == 200, (link, r.status)  # /staff/ ends on the login page


async def test_in_emulator_mode_the_root_links_the_chat_page(backend, aiohttp_client, make_settings, clock, catalog):
    client = await aiohttp_client(create_app(make_settings(zalo_emulator=True), clock=clock, catalog=catalog))
    links = await _links(client)
    assert links[0] == "/emulator/"
    async with client.get("/") as r:
        assert "thử nghiệm" in await r.text()  # demo mode is said
    async with client.get("/emulator/") as r:
        assert r.status == 200 and "<html" in await r.text()


async def test_a_favicon_is_served(backend, aiohttp_client, make_settings, clock, catalog):
    client = await aiohttp_client(create_app(make_settings(), clock=clock, catalog=catalog))
    async with client.get("/favicon.ico") as r:
        assert r.status == 200 and r.content_type == "image/x-icon"
        icon = Image.open(io.BytesIO(await r.read()))
    assert icon.format == "ICO" and icon.size[0] >= 16


async def test_the_emulator_answers_in_readable_utf8(backend, live):
    """`curl .../follow` printed "Ch\\u00e0o m\\u1eebng": the README has people read these in a terminal."""
    async with live.http.post(f"{live.base}/emulator/users/citizen1/follow") as r:
        raw = await r.read()
    assert r.charset == "utf-8" and b"\\u" not in raw
    assert "Chào mừng" in raw.decode("utf-8")
    async with live.http.get(f"{live.base}/emulator/users/citizen1/messages") as r:
        raw = await r.read()
    assert b"\\u" not in raw and "Chào mừng" in raw.decode("utf-8")
