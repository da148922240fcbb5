"""Per-client limits (issue 15, items 4, 5, 11): dossier codes cannot be enumerated, nobody can lock
a citizen's security code or an officer's account from elsewhere, the counters are shared by every
web process, X-Forwarded-For and X-Forwarded-Proto count only from TRUSTED_PROXIES."""

import asyncio
import re

import pytest

from bot.app import create_app
from bot.staff.accounts import ACCOUNT_SLOW_AFTER, MAX_CLIENT_FAILURES, MAX_FAILURES, Role
from bot.staff.context import ACCOUNTS
from bot.staff.sessions import COOKIE
from lookup.dossiers import DOSSIER_SLOW_AFTER, MAX_SECURITY_FAILURES, SLOW_SECONDS
from tests.conftest import APPLICANT, STAFF

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_login_delay(monkeypatch):
    """The half second every failed login waits is not what these tests are about."""
    monkeypatch.setattr("bot.staff.views.FAILED_LOGIN_DELAY_SECONDS", 0)


@pytest.fixture
async def proxied(backend, aiohttp_client, make_settings, clock, catalog):
    """The service behind a proxy on loopback, so a test can speak as many clients (X-Forwarded-For)."""
    return await aiohttp_client(create_app(make_settings(trusted_proxies="127.0.0.1"), clock=clock, catalog=catalog))


def as_client(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"203.0.113.250, {ip}"}  # the left one is whatever the client wrote


async def receive(api) -> dict:
    body = {"procedure_code": "1.004194", "applicant": APPLICANT}
    return await (await api.post("/api/dossiers", json=body, headers=STAFF)).json()


def unknown_code(n: int) -> str:
    return f"000.31.01.H34-261116-{9000 + n:04d}"


async def test_guessing_codes_is_refused_with_429_and_retry_after(api):
    created = await receive(api)
    statuses = [(await api.get(f"/api/dossiers/{unknown_code(n)}")).status for n in range(20)]
    assert statuses == [404] * 20
    refused = await api.get(f"/api/dossiers/{created['code']}")  # even a real one, from this client, for now
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert (await refused.json())["error"]["code"] == "rate_limited"
    page = await api.get("/tra-cuu", params={"code": created["code"]})
    assert page.status == 429 and "thử lại" in await page.text()


async def test_lookups_per_minute_are_limited_and_the_header_is_not_trusted_by_default(api):
    created = await receive(api)
    url = f"/api/dossiers/{created['code']}/progress"
    for n in range(30):
        # A made-up X-Forwarded-For does not make a new client when no proxy is trusted.
        assert (await api.get(url, headers={"X-Forwarded-For": f"198.51.100.{n}"})).status == 200
    assert (await api.get(url, headers={"X-Forwarded-For": "198.51.100.99"})).status == 429


async def test_behind_a_trusted_proxy_each_forwarded_client_counts_apart(proxied):
    created = await receive(proxied)
    for n in range(20):
        assert (await proxied.get(f"/api/dossiers/{unknown_code(n)}", headers=as_client("192.0.2.1"))).status == 404
    assert (await proxied.get(f"/api/dossiers/{created['code']}", headers=as_client("192.0.2.1"))).status == 429
    assert (await proxied.get(f"/api/dossiers/{created['code']}", headers=as_client("192.0.2.2"))).status == 200


@pytest.mark.real_redis
# Processes share a real Redis; the embedded store lives in one process.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_the_counters_are_shared_by_every_web_process(backend, aiohttp_client, make_settings, clock, catalog):
    first = await aiohttp_client(create_app(make_settings(), clock=clock, catalog=catalog))
    second = await aiohttp_client(create_app(make_settings(), clock=clock, catalog=catalog))
    for n in range(20):
        web = first if n % 2 else second
        assert (await web.get(f"/api/dossiers/{unknown_code(n)}")).status == 404
    assert (await first.get(f"/api/dossiers/{unknown_code(99)}")).status == 429
    assert (await second.get(f"/api/dossiers/{unknown_code(99)}")).status == 429


async def test_wrong_codes_from_elsewhere_never_lock_the_owner_out(proxied):
    created = await receive(proxied)
    url = f"/api/dossiers/{created['code']}"
    for _ in range(MAX_SECURITY_FAILURES):
        assert (
            await proxied.get(url, headers={**as_client("192.0.2.66"), "X-Security-Code": "AAAAAAAA"})
        ).status == 403
    locked = await proxied.get(url, headers={**as_client("192.0.2.66"), "X-Security-Code": created["security_code"]})
    assert locked.status == 429 and int(locked.headers["Retry-After"]) > 0  # the guesser is refused...
    owner = await proxied.get(url, headers={**as_client("192.0.2.7"), "X-Security-Code": created["security_code"]})
    assert owner.status == 200 and owner.headers.get("Retry-After") is None  # ...the owner is not
    assert (await owner.json())["applicant"]["phone"] == APPLICANT["phone"]
    body = {"dossier_code": created["code"], "security_code": created["security_code"]}
    pay = await proxied.post("/api/payments", headers=as_client("192.0.2.7"), json=body)
    assert pay.status in (201, 409)  # the code is accepted (this dossier may have no fees)


async def test_many_guessers_only_slow_a_dossier_down(proxied):
    created = await receive(proxied)
    url = f"/api/dossiers/{created['code']}"
    service = proxied.app[__import__("bot.appkeys", fromlist=["DOSSIERS"]).DOSSIERS]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    service.sleep = sleep
    for n in range(DOSSIER_SLOW_AFTER):
        headers = {**as_client(f"192.0.2.{n // 4}"), "X-Security-Code": "BBBBBBBB"}
        assert (await proxied.get(url, headers=headers)).status == 403
    assert waited == []
    owner = await proxied.get(url, headers={**as_client("192.0.2.200"), "X-Security-Code": created["security_code"]})
    assert owner.status == 200 and waited == [SLOW_SECONDS]  # slowed, not blocked


async def test_one_client_guessing_across_dossiers_is_refused_everywhere(proxied, clock):
    dossiers = [await receive(proxied) for _ in range(5)]
    guesser = {**as_client("192.0.2.9"), "X-Security-Code": "CCCCCCCC"}
    for _ in range(2):  # two minutes
        statuses = [(await proxied.get(f"/api/dossiers/{d['code']}", headers=guesser)).status
                    for _ in range(2) for d in dossiers]  # fmt: skip
        assert statuses == [403] * 10  # ten checks a minute, never five on one dossier
        assert (await proxied.get(f"/api/dossiers/{dossiers[0]['code']}", headers=guesser)).status == 429
        clock.advance(minutes=1)
    # Twenty wrong codes in all: this client is refused for every dossier; another client is not.
    right = dossiers[0]["security_code"]
    url = f"/api/dossiers/{dossiers[0]['code']}"
    assert (await proxied.get(url, headers={**as_client("192.0.2.9"), "X-Security-Code": right})).status == 429
    assert (await proxied.get(url, headers={**as_client("192.0.2.8"), "X-Security-Code": right})).status == 200


async def test_an_officer_can_clear_a_dossiers_wrong_codes(api):
    from bot.appkeys import DOSSIERS

    created = await receive(api)
    url = f"/api/dossiers/{created['code']}"
    for _ in range(MAX_SECURITY_FAILURES):
        await api.get(url, headers={"X-Security-Code": "DDDDDDDD"})
    assert (await api.get(url, headers={"X-Security-Code": created["security_code"]})).status == 429
    assert await api.app[DOSSIERS].clear_security_failures(created["code"]) >= 2
    assert (await api.get(url, headers={"X-Security-Code": created["security_code"]})).status == 200


async def staff_login(client, name: str, password: str, ip: str):
    async with client.get("/staff/login") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
    return await client.post("/staff/login", headers=as_client(ip), allow_redirects=False,
                             data={"csrf": token, "name": name, "password": password})  # fmt: skip


async def test_nobody_on_the_internet_can_lock_an_officer_out(proxied):
    accounts = proxied.app[ACCOUNTS]
    await accounts.add("officer1", PASSWORD, Role.VIEWER)
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    accounts.sleep = sleep
    for _ in range(MAX_FAILURES):
        await staff_login(proxied, "officer1", "guess number one", "192.0.2.66")
    assert (await staff_login(proxied, "officer1", PASSWORD, "192.0.2.66")).status == 429  # that client, refused
    assert (await staff_login(proxied, "officer1", PASSWORD, "192.0.2.10")).status == 302  # the officer, not
    for n in range(ACCOUNT_SLOW_AFTER):
        await staff_login(proxied, "officer1", "guess number two", f"192.0.2.{100 + n}")
    assert (await staff_login(proxied, "officer1", PASSWORD, "192.0.2.10")).status == 302
    assert waited  # past the account's ceiling each attempt is slowed, never refused


async def test_one_client_trying_many_names_is_refused(proxied, clock):
    await proxied.app[ACCOUNTS].add("officer2", PASSWORD, Role.VIEWER)
    statuses = [(await staff_login(proxied, f"name{n}", "whatever it is", "192.0.2.77")).status for n in range(11)]
    assert statuses == [401] * 10 + [429]  # ten attempts a minute from one client
    for _ in range(MAX_CLIENT_FAILURES // 10 - 1):
        clock.advance(minutes=1)
        for n in range(10):
            await staff_login(proxied, f"other{n}", "whatever it is", "192.0.2.77")
    clock.advance(minutes=1)
    # Twenty failures from this client, any names: refused even for a real account's right password.
    assert (await staff_login(proxied, "officer2", PASSWORD, "192.0.2.77")).status == 429
    assert (await staff_login(proxied, "officer2", PASSWORD, "192.0.2.78")).status == 302


async def test_the_session_cookie_is_secure_behind_a_trusted_tls_proxy(backend, aiohttp_client, make_settings, clock,
                                                                       catalog):  # fmt: skip
    for settings, headers, secure in (
        ({"trusted_proxies": "127.0.0.1"}, {"X-Forwarded-Proto": "https"}, True),
        ({}, {"X-Forwarded-Proto": "https"}, False),  # not from a trusted proxy: not believed
        ({"trusted_proxies": "127.0.0.1"}, {}, False),
        ({"staff_cookie_secure": True}, {}, True),
    ):
        client = await aiohttp_client(create_app(make_settings(**settings), clock=clock, catalog=catalog))
        await client.app[ACCOUNTS].add("officer3", PASSWORD, Role.VIEWER)
        async with client.get("/staff/login", headers=headers) as r:
            token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
        # Sent by hand: the test client keeps a Secure cookie to itself over plain HTTP.
        headers = {**headers, "Cookie": f"tracuu_login_csrf={token}"}
        response = await client.post("/staff/login", headers=headers, allow_redirects=False,
                                     data={"csrf": token, "name": "officer3", "password": PASSWORD})  # fmt: skip
        cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith(COOKIE))
        assert ("Secure" in cookie) is secure, (settings, headers, cookie)


def test_the_client_is_the_first_untrusted_hop_and_ipv6_counts_by_its_64():
    from unittest.mock import MagicMock

    from bot.appkeys import SETTINGS
    from bot.settings import Settings
    from bot.web.clients import client_address, client_id

    def request(peer: str, forwarded: str | None, proxies: str) -> MagicMock:
        r = MagicMock()
        r.transport.get_extra_info.return_value = (peer, 1234)
        r.headers.getall.return_value = [forwarded] if forwarded else []
        r.app = {SETTINGS: Settings(demo=True, trusted_proxies=proxies)}
        return r

    assert client_address(request("10.0.0.5", "1.2.3.4", "")) == "10.0.0.5"
    assert client_address(request("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", "10.0.0.0/8")) == "1.2.3.4"
    assert client_address(request("10.0.0.5", "not-an-ip, 10.0.0.9", "10.0.0.0/8")) == "10.0.0.9"
    assert client_address(request("1.2.3.4", "5.6.7.8", "10.0.0.0/8")) == "1.2.3.4"
    assert client_id(request("2001:db8:1:2:aaaa::1", None, "")) == "ip:2001:db8:1:2::/64"
    assert client_id(request("::ffff:192.0.2.1", None, "")) == "ip:192.0.2.1"


async def test_non_ascii_cookie_signature_and_login_token_are_refused_not_500(api):
    async with api.get("/staff/conversations", allow_redirects=False,
                       headers={"Cookie": f"{COOKIE}=abc.s%C3%A9"}) as r:  # fmt: skip
        assert r.status == 302
    from bot.staff.context import SESSIONS

    assert await api.app[SESSIONS].from_cookie("abc.sé") is None
    async with api.post("/staff/login", data={"csrf": "thử", "name": "x", "password": "y"},
                        headers={"Cookie": "tracuu_login_csrf=abc"}) as r:  # fmt: skip
        assert r.status == 403


# The command reaches the service's Redis; the embedded store lives in the service.
@pytest.mark.parametrize("backend", ["real"], indirect=True)
async def test_python_m_bot_unlock_clears_them_from_the_command_line(backend, api):
    import subprocess
    import sys

    created = await receive(api)
    url = f"/api/dossiers/{created['code']}"
    for _ in range(MAX_SECURITY_FAILURES):
        await api.get(url, headers={"X-Security-Code": "EEEEEEEE"})
    assert (await api.get(url, headers={"X-Security-Code": created["security_code"]})).status == 429
    done = await asyncio.to_thread(
        subprocess.run,  # our own CLI, fixed argv
        [sys.executable, "-m", "bot", "unlock", created["code"]], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": backend.redis_url, "REDIS_KEY_PREFIX": backend.prefix},
    )  # fmt: skip
    assert done.returncode == 0 and "cleared" in done.stdout, done.stderr
    assert (await api.get(url, headers={"X-Security-Code": created["security_code"]})).status == 200


async def test_a_password_reset_also_lets_a_refused_client_in_again(proxied):
    accounts = proxied.app[ACCOUNTS]
    await accounts.add("officer4", PASSWORD, Role.VIEWER)
    for _ in range(MAX_FAILURES):
        await staff_login(proxied, "officer4", "not the password", "192.0.2.44")
    assert (await staff_login(proxied, "officer4", PASSWORD, "192.0.2.44")).status == 429
    await accounts.add("officer4", PASSWORD, Role.VIEWER)  # python -m bot staff add officer4
    assert (await staff_login(proxied, "officer4", PASSWORD, "192.0.2.44")).status == 302


async def test_in_the_chat_one_citizens_wrong_codes_do_not_lock_another_out(live, clock):
    from bot.appkeys import DOSSIERS
    from lookup.demo import load_fixed_demo

    await load_fixed_demo(live.app[DOSSIERS])
    code, right = "000.25.23.H34-261102-0001", "KTDEMA23"  # demo dossier waiting for 200.000 đồng
    await live.say("chat-guesser", f"#thanhtoan {code}")
    for n in range(MAX_SECURITY_FAILURES):
        if n == 3:  # the citizen's own code-guessing throttle: three a minute
            clock.advance(minutes=1)
            await live.say("chat-guesser", f"#thanhtoan {code}")
        assert "chưa đúng" in (await live.say("chat-guesser", f"WRONG{n:03d}"))[0]["text"]
    clock.advance(minutes=1)
    await live.say("chat-guesser", f"#thanhtoan {code}")
    assert "tạm khóa" in (await live.say("chat-guesser", right))[0]["text"]  # the guesser is refused...
    await live.say("chat-owner", f"#thanhtoan {code}")
    assert "Tổng cộng: 200.000 đồng" in (await live.say("chat-owner", right))[0]["text"]  # ...the owner is not
