"""What a new user meets first (issue 20): a landing page at the root that says what this is and
links the pages that exist (the chat page only in emulator mode), a favicon (both were 404s), the
emulator's JSON readable in a terminal, and README commands that run as written."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from bot.app import create_app
from lookup.receipts import lookup_url, qr_image

# One backend is enough: nothing here is about the store.
embedded_only = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


async def _links(client, path: str = "/") -> list[str]:
    async with client.get(path) as r:
        assert r.status == 200 and r.content_type == "text/html"
        return re.findall(r'href="([^"]+)"', await r.text())


@embedded_only
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


@embedded_only
async def test_in_emulator_mode_the_root_links_the_chat_page(backend, aiohttp_client, make_settings, clock, catalog):
    client = await aiohttp_client(create_app(make_settings(zalo_emulator=True), clock=clock, catalog=catalog))
    links = await _links(client)
    assert links[0] == "/emulator/"
    async with client.get("/") as r:
        assert "thử nghiệm" in await r.text()  # demo mode is said
    async with client.get("/emulator/") as r:
        assert r.status == 200 and "<html" in await r.text()


@embedded_only
async def test_a_favicon_is_served(backend, aiohttp_client, make_settings, clock, catalog):
    client = await aiohttp_client(create_app(make_settings(), clock=clock, catalog=catalog))
    async with client.get("/favicon.ico") as r:
        assert r.status == 200 and r.content_type == "image/x-icon"
        icon = Image.open(io.BytesIO(await r.read()))
    assert icon.format == "ICO" and icon.size[0] >= 16


@embedded_only
async def test_the_emulator_answers_in_readable_utf8(backend, live):
    """`curl .../follow` printed "Ch\\u00e0o m\\u1eebng": the README has people read these in a terminal."""
    async with live.http.post(f"{live.base}/emulator/users/citizen1/follow") as r:
        raw = await r.read()
    assert r.charset == "utf-8" and b"\\u" not in raw
    assert "Chào mừng" in raw.decode("utf-8")
    async with live.http.get(f"{live.base}/emulator/users/citizen1/messages") as r:
        raw = await r.read()
    assert b"\\u" not in raw and "Chào mừng" in raw.decode("utf-8")


ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def test_the_readme_try_it_commands_run_python_from_the_venv():
    """`python -c "from pyzbar…"` failed with "No module named 'pyzbar'": only the venv that `./dev`
    makes has the packages. Every command block a new user copies (the ones before "Running in
    production", which is about a deployment's own environment) runs `.venv/bin/python`."""
    text = README.read_text(encoding="utf-8").split("## Running in production")[0]
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    bare = [line for block in blocks for line in block.splitlines() if re.search(r"(^|[\s;|&(])python3?\s", line)]
    assert bare == []


def test_the_readme_receipt_decoding_command_runs_as_written(tmp_path):
    line = next(line for line in README.read_text(encoding="utf-8").splitlines() if "pyzbar" in line and "-c" in line)
    code = "000.25.23.H34-261102-0001"
    qr_image(lookup_url("http://127.0.0.1:8080", code)).save(tmp_path / "receipt.png")
    # Run where the user runs it: the project folder, which holds .venv (linked, so it is the real one).
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    done = subprocess.run(  # noqa: S603 - the README's own line, the point of the test
        ["/bin/sh", "-c", line], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert code in done.stdout
