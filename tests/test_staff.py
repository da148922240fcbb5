"""The staff console: authentication on every route, CSRF, password hashing and lockout, roles and
the audit log, conversation filters and paging, export, and replay from the console."""

from __future__ import annotations

import re

import pytest

from bot.appkeys import REDIS, SETTINGS, TRANSCRIPT
from bot.conv_keys import UserKey
from bot.settings import Settings
from bot.staff.accounts import MAX_FAILURES, Role
from bot.staff.context import ACCOUNTS, AUDIT
from bot.staff.keys import StaffKeys
from bot.staff.sessions import COOKIE

OA = Settings().zalo_oa_id
PASSWORD = "correct horse battery"
TRANSCRIPT_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes, tests only


@pytest.fixture
async def console(backend, aiohttp_client, make_settings, clock, catalog):
    from bot.app import create_app

    app = create_app(make_settings(transcript_key=TRANSCRIPT_KEY), clock=clock, catalog=catalog)
    client = await aiohttp_client(app)
    await app[ACCOUNTS].add("viewer1", PASSWORD, Role.VIEWER)
    await app[ACCOUNTS].add("super1", PASSWORD, Role.SUPERVISOR)
    return client


async def login(client, name: str, password: str = PASSWORD):
    async with client.get("/staff/login") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    return await client.post("/staff/login", data={"csrf": token, "name": name, "password": password,
                                                   "next": "/staff/conversations"}, allow_redirects=False)  # fmt: skip


async def csrf_of(client, path: str = "/staff/conversations") -> str:
    async with client.get(path) as r:
        return re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", f"{OA}:someone", path)


async def test_no_staff_route_answers_without_a_session(console):
    staff_routes = [
        (route.method, route.resource.canonical)
        for route in console.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/staff")
    ]
    assert len(staff_routes) >= 10
    for method, path in staff_routes:
        if path == "/staff/login":
            continue
        async with console.request(method, _concrete(path), allow_redirects=False) as r:
            assert r.status in (302, 401), (method, path, r.status)
            if r.status == 302:
                assert r.headers["Location"].startswith("/staff/login")
    # A forged cookie is no session either.
    async with console.get("/staff/conversations", cookies={COOKIE: "made-up.signature"}, allow_redirects=False) as r:
        assert r.status == 302


async def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(console):
    response = await login(console, "viewer1")
    assert response.status == 302 and response.headers["Location"] == "/staff/conversations"
    cookie = response.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith(COOKIE))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
    async with console.get("/staff/conversations") as r:
        assert r.status == 200 and "Hội thoại" in await r.text()
        assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Frame-Options"] == "DENY"
    token = await csrf_of(console)
    async with console.post("/staff/logout", data={"csrf": token}, allow_redirects=False) as r:
        assert r.status == 302
    async with console.get("/staff/conversations", allow_redirects=False) as r:
        assert r.status == 302


async def test_staff_with_a_trailing_slash_opens_the_console_after_login(console):
    """The README and the start-up log say open /staff/: it redirected to the login and, once
    logged in, landed on a 404."""
    async with console.get("/staff/", allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/staff/login?next=/staff/"
    async with console.get("/staff/login?next=/staff/") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    async with console.post("/staff/login", data={"csrf": token, "name": "viewer1", "password": PASSWORD,
                                                  "next": "/staff/"}) as r:  # fmt: skip
        assert r.status == 200 and "Hội thoại" in await r.text()
    for path in ("/staff", "/staff/"):
        async with console.get(path) as r:
            assert r.status == 200 and r.url.path == "/staff/conversations", path


async def test_login_form_without_its_csrf_token_is_refused(console):
    await console.get("/staff/login")
    async with console.post("/staff/login", data={"csrf": "forged", "name": "viewer1", "password": PASSWORD},
                            allow_redirects=False) as r:  # fmt: skip
        assert r.status == 403


async def test_a_form_without_the_session_csrf_token_is_refused(console):
    await login(console, "super1")
    async with console.post(f"/staff/conversations/{OA}:u1/reveal", data={"reason": "citizen called"}) as r:
        assert r.status == 403
    async with console.post("/staff/logout", data={"csrf": "wrong"}) as r:
        assert r.status == 403


@pytest.mark.production_password_hashing
async def test_passwords_are_stored_as_argon2id_hashes(console):
    stored = await console.app[REDIS].hgetall(StaffKeys(console.app[SETTINGS].redis_key_prefix).account("viewer1"))
    assert stored["hash"].startswith("$argon2id$") and PASSWORD not in stored["hash"]


async def test_repeated_wrong_passwords_refuse_that_client_even_the_right_one(console, monkeypatch):
    """Refused for the client that guessed (429), never for the account: see test_limits for the
    officer logging in from elsewhere meanwhile."""
    monkeypatch.setattr("bot.staff.views.FAILED_LOGIN_DELAY_SECONDS", 0)  # 3 s of waiting, not what it is about
    for _ in range(MAX_FAILURES - 1):
        assert (await login(console, "viewer1", "wrong password!")).status == 401
    assert (await login(console, "viewer1", "wrong password!")).status == 429  # the last one allowed
    locked = await login(console, "viewer1")
    assert locked.status == 429 and "thử lại sau 15 phút" in await locked.text()
    assert int(locked.headers["Retry-After"]) > 0
    assert (await login(console, "super1")).status == 302  # other accounts are unaffected


async def _conversation_with_a_phone_number(console) -> str:
    transcript = console.app[TRANSCRIPT]
    user = UserKey(OA, "citizen-7")
    await transcript.record(user, "in", "user_send_text", text="số em là 0905123456, hồ sơ 000.25.23.H34-261102-0001",
                            handler="lookup_code.by_code", body={"meta": {"flow": "lookup"}})  # fmt: skip
    await transcript.record(user, "out", "message", text="Đã nhận", handler="lookup_code.by_code",
                            body={"text": "Đã nhận"})  # fmt: skip
    return f"{OA}:citizen-7"


async def test_viewers_see_masked_data_and_may_not_reveal(console):
    conversation = await _conversation_with_a_phone_number(console)
    await login(console, "viewer1")
    async with console.get(f"/staff/conversations/{conversation}") as r:
        page = await r.text()
    assert "0905123456" not in page and "09******56" in page
    assert 'href="/tra-cuu?code=000.25.23.H34-261102-0001"' in page  # the dossier mentioned is linked
    token = await csrf_of(console, f"/staff/conversations/{conversation}")
    async with console.post(
        f"/staff/conversations/{conversation}/reveal", data={"csrf": token, "reason": "hotline"}
    ) as r:
        assert r.status == 403
    async with console.get(f"/staff/conversations/{conversation}/export.jsonl") as r:
        assert "0905123456" not in await r.text()
    assert await console.app[AUDIT].recent() == []


async def test_a_supervisor_reveal_shows_the_original_and_is_audited(console):
    conversation = await _conversation_with_a_phone_number(console)
    raw = await console.app[REDIS].xrange(
        f"{console.app[SETTINGS].redis_key_prefix}:{{zalo:{OA}:citizen-7}}:transcript"
    )
    assert all("0905123456" not in str(fields) for _, fields in raw)  # masked at rest
    await login(console, "super1")
    token = await csrf_of(console, f"/staff/conversations/{conversation}")
    async with console.post(f"/staff/conversations/{conversation}/reveal", data={"csrf": token, "reason": ""}) as r:
        assert r.status == 400  # a reason is required
    reason = "công dân gọi tổng đài, xác minh số điện thoại"
    async with console.post(f"/staff/conversations/{conversation}/reveal", data={"csrf": token, "reason": reason}) as r:
        assert r.status == 200 and "0905123456" in await r.text()
    async with console.post(f"/staff/conversations/{conversation}/export", data={"csrf": token, "reason": reason}) as r:
        assert "0905123456" in await r.text()
    audit = await console.app[AUDIT].recent()
    assert [(a["who"], a["action"], a["conversation"], a["why"]) for a in audit] == [
        ("super1", "export-unmasked", conversation, reason),
        ("super1", "reveal", conversation, reason),
    ]


async def test_filters_counts_and_paging_over_many_conversations(console):
    transcript = console.app[TRANSCRIPT]
    for i in range(45):
        user = UserKey(OA, f"bulk-{i:02d}")
        flow = ("lookup", "search", "qr")[i % 3]
        meta: dict = {"flow": flow}
        if i % 9 == 0:
            meta["outcome"] = "not_understood"
        text = "000.31.01.H34-261110-0001" if i % 5 == 0 else f"câu hỏi số {i} về khai sinh"
        await transcript.record(user, "in", "user_send_text", text=text, handler="x.y", body={"meta": meta})
    await login(console, "viewer1")

    async def listing(**query: str) -> tuple[int, int, str]:
        async with console.get("/staff/conversations", params=query) as r:
            page = await r.text()
        total = int(re.search(r'<span id="total">(\d+)</span>', page).group(1))
        return total, page.count('<tr><td><a href="/staff/conversations/'), page

    total, shown, page = await listing()
    assert total == 45 and shown == 20
    assert 'data-count="flow:search">15<' in page and 'data-count="outcome:not_understood">5<' in page
    assert (await listing(page="3"))[1] == 5
    assert (await listing(flow="qr"))[0] == 15
    assert (await listing(outcome="not_understood"))[0] == 5
    assert (await listing(code="000.31.01.H34-261110-0001"))[0] == 9
    assert (await listing(user="bulk-1"))[0] == 10
    assert (await listing(q="cau hoi so 4 ve"))[0] == 1  # accent-free text finds the accented message
    assert (await listing(flow="search", q="khai sinh"))[0] == 12


async def test_transcripts_expire_after_the_retention_period(console):
    await _conversation_with_a_phone_number(console)
    prefix = console.app[SETTINGS].redis_key_prefix
    ttl = await console.app[REDIS].ttl(f"{prefix}:{{zalo:{OA}:citizen-7}}:transcript")
    assert 89 * 24 * 3600 < ttl <= 90 * 24 * 3600


async def test_sandbox_read_out_takes_the_staff_token_and_only_for_sandbox_users(console):
    from tests.conftest import STAFF

    async with console.get("/staff/api/sandbox/replay-abc", headers=STAFF) as r:
        assert r.status == 200 and (await r.json()) == {"items": []}
    async with console.get("/staff/api/sandbox/real-citizen", headers=STAFF) as r:
        assert r.status == 404
    async with console.get("/staff/api/sandbox/replay-abc", headers={"Authorization": "Bearer nope"}) as r:
        assert r.status == 401


async def test_dashboard_draws_todays_figures_and_the_most_viewed_procedures(console):
    transcript = console.app[TRANSCRIPT]
    turns = [
        ("a", {"flow": "search", "procedure_code": "1.001193"}),
        ("b", {"flow": "search", "search_results": ["1.001193", "1.000894"]}),
        ("c", {"flow": "lookup", "dossier_code": "000.25.23.H34-261102-0001"}),
        ("c", {"flow": "qr", "qr": "read", "dossier_code": "000.31.01.H34-261110-0001"}),
        ("d", {"outcome": "not_understood"}),
    ]
    for user, meta in turns:
        await transcript.record(UserKey(OA, user), "in", "user_send_text", text="x", handler="h.h", body={"meta": meta})
    await login(console, "viewer1")
    async with console.get("/staff/dashboard") as r:
        page = await r.text()
    assert page.count("<svg") == 3
    assert "<title>Theo mã: 1</title>" in page and "<title>Theo QR: 1</title>" in page
    assert "<td>1.001193</td><td>Thủ tục đăng ký khai sinh</td><td>2</td>" in page
    assert "1.000894" not in page  # only the first search result counts as shown
