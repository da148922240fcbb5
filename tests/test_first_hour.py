"""What a new user meets first (issue 20): a landing page at the root that says what this is and
links the pages that exist (the chat page only in emulator mode), a favicon (both were 404s), the
emulator's JSON readable in a terminal, and README commands that run as written."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from bot.app import create_app
from bot.staff.accounts import Role
from bot.staff.context import ACCOUNTS
from lookup.codes import find_codes
from lookup.demo import demo_codes, load_fixed_demo, prompt_example
from lookup.province import load_province
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


@pytest.fixture
async def demo(live) -> list[str]:
    from bot.appkeys import DOSSIERS

    return [entry.code for entry in await load_fixed_demo(live.app[DOSSIERS])]


async def _staff(live) -> aiohttp.ClientSession:
    await live.app[ACCOUNTS].add("officer1", "correct horse battery", Role.VIEWER)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(f"{live.base}/staff/login") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    async with session.post(f"{live.base}/staff/login", data={"csrf": token, "name": "officer1",
                            "password": "correct horse battery"}) as r:  # fmt: skip
        assert r.status == 200
    return session


@embedded_only
async def test_the_code_the_bot_gives_as_an_example_finds_a_dossier_in_demo_mode(backend, live, demo):
    """The prompt suggested 000.09.23.H34-241015-0012, which no dossier had: sending it got "không
    tìm thấy". In demo mode the example is a demo dossier's code."""
    prompt = (await live.say("ex1", "#tracuuhoso"))[0]["text"]
    (example,) = find_codes(prompt)
    assert example in demo
    card = (await live.say("ex1", example))[0]["text"]
    assert f"Hồ sơ {example}" in card and "Không tìm thấy" not in card
    not_a_code = (await live.say("ex1", "mã của em là 12345"))[0]["text"]
    assert find_codes(not_a_code) == [example]  # the format help shows the same one
    pay_prompt = (await live.say("ex2", "#thanhtoan"))[0]["text"]
    assert find_codes(pay_prompt) == [example]  # and so does the payment's prompt (it named 241015-0012)


def test_outside_demo_mode_the_example_is_in_the_provinces_own_notation():
    for name in ("kontum", "quangngai"):
        province = load_province(name)
        example = prompt_example(province, demo=False)
        assert find_codes(example) == [example] and example.startswith(province.agencies[0].id + "-")
        assert prompt_example(province, demo=True) in demo_codes(province)


@embedded_only
async def test_the_console_lists_only_found_dossiers_and_counts_photo_lookups_as_qr(backend, live, demo):
    """A code that found nothing was listed as the citizen's dossier; two lookups by QR photo showed
    on the dashboard as "Theo mã" (the photo's turn was recorded as a typed lookup)."""
    for user, code in (("by-photo-1", demo[0]), ("by-photo-2", demo[1])):
        out = io.BytesIO()
        qr_image(lookup_url(live.base, code)).save(out, format="PNG")
        async with live.http.post(f"{live.base}/emulator/users/{user}/image", data=out.getvalue(),
                                  headers={"Content-Type": "image/png"}) as r:  # fmt: skip
            assert code in (await r.json())["replies"][0]["text"]
    missing = "000.25.23.H34-261102-0099"
    assert "Không tìm thấy" in (await live.say("typed-wrong", missing))[0]["text"]
    console = await _staff(live)
    try:
        async with console.get(f"{live.base}/staff/dashboard") as r:
            dashboard = await r.text()
        assert "<title>Theo mã: 0</title>" in dashboard and "<title>Theo QR: 2</title>" in dashboard
        async with console.get(f"{live.base}/staff/conversations") as r:
            listing = await r.text()
        assert 'data-count="flow:qr">2<' in listing and 'data-count="flow:lookup">1<' in listing
        assert demo[0] in listing and missing not in listing  # not "looked up": nothing was found
        async with console.get(f"{live.base}/staff/conversations", params={"code": missing}) as r:
            found = await r.text()
        assert '<span id="total">1</span>' in found and "typed-wrong" in found  # still findable by what was typed
    finally:
        await console.close()


def _serve(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed argv
        [sys.executable, "-m", "bot", "serve", "--demo", "--emulator", *argv],
        env={"PATH": "/usr/bin:/bin", "LOG_FORMAT": "text", **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _one_line_refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refusing to start: "), result.stderr[-2000:]
    assert "DEMO MODE" not in result.stderr and "mã bảo mật" not in result.stderr  # no banner first
    return lines[0]


def test_an_unknown_province_is_one_line_naming_the_valid_ones():
    """It was a 24-line FileNotFoundError."""
    line = _one_line_refusal(_serve(env={"PROVINCE": "nowhere"}))
    assert "PROVINCE=nowhere" in line and "kontum, quangngai" in line


def test_an_unreachable_redis_is_one_line():
    """`--demo` with REDIS_URL pointing nowhere was a 90-line ConnectionError."""
    line = _one_line_refusal(_serve(env={"REDIS_URL": "redis://:secret@127.0.0.1:1/0"}))
    assert "cannot reach Redis" in line and "127.0.0.1:1" in line and "secret" not in line


def test_a_second_instance_on_the_same_port_is_one_line_before_any_banner():
    """It printed the banner and the demo table, then `OSError: [Errno 98]`."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line_refusal(_serve("--port", str(port), env={}))
    assert f"port {port}" in line and "already in use" in line
