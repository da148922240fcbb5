"""Shared fixtures. Every store test runs twice: on the embedded store (fakeredis) and on the real
Redis server. The real one is shared with CI and other sessions, so tests use their own database
number and a unique key prefix, and delete exactly what they wrote."""

from __future__ import annotations

import asyncio
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import fakeredis
import pytest
from argon2 import PasswordHasher
from hypothesis import settings as hypothesis_settings
from redis.asyncio import Redis

from bot.app import create_app
from bot.appkeys import WORKER
from bot.settings import Settings
from lookup.calendar import VN_TZ, WorkingCalendar
from lookup.catalog import Catalog, load_catalog
from lookup.dossiers import DossierService
from lookup.keys import Keys
from lookup.payments import PaymentService
from lookup.province import Province, load_province

# Property tests draw the same examples on every run ("fixed", the default: a red run is red again
# when rerun, and CI never fails on a draw nobody can reproduce); HYPOTHESIS_PROFILE=explore draws
# new ones each run, to look for bugs on purpose (a failure prints the seed to reproduce it).
hypothesis_settings.register_profile("fixed", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

# Under pytest-xdist (`./dev test` runs `-n 2`) each worker process is gw0, gw1, ...; None when not.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
WORKER_INDEX = int(XDIST_WORKER.removeprefix("gw")) if XDIST_WORKER else 0


def _worker_redis_url(url: str, index: int) -> str:
    """The base database (13) for the first worker, one below it for each next one (12, 11, ...), so
    that two workers never share a database (a test's scan or count sees only its own worker's)."""
    base, _, db = url.rpartition("/")
    if not db.isdigit() or index == 0:
        return url
    return f"{base}/{max(int(db) - index, 1)}"


REAL_REDIS_URL = _worker_redis_url(os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/13"), WORKER_INDEX)
STAFF_TOKEN = "test-staff-token"
GATEWAY_SECRET = "test-gateway-secret"
# Explicit, non-demo secrets: an app outside emulator mode refuses the built-in demo ones.
OA_SECRET = "test-oa-secret-key"
APP_SECRET = "test-app-secret"


def _real_redis_answers() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REAL_REDIS_URL, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


REAL_REDIS_UP = _real_redis_answers()


def pytest_report_header(config: pytest.Config) -> str:
    if REAL_REDIS_UP:
        return f"real Redis: {REAL_REDIS_URL}"
    return f"real Redis: NOT REACHABLE at {REAL_REDIS_URL}: real-Redis tests are SKIPPED (run ./dev test)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REAL_REDIS_UP:
        terminalreporter.write_sep("!", f"real Redis at {REAL_REDIS_URL} was unreachable: real-Redis tests SKIPPED")


class FakeClock:
    """A clock the test moves by hand; starts on a Monday morning in Kon Tum."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 16, 9, 30, tzinfo=VN_TZ)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Backend:
    name: str
    redis_url: str | None
    prefix: str

    def client(self) -> Redis:
        if self.redis_url is None:
            return fakeredis.FakeAsyncRedis(decode_responses=True)
        return Redis.from_url(self.redis_url, decode_responses=True)


@pytest.fixture(params=["embedded", "real"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Request it before `aiohttp_client` in a fixture or test that builds an app: fixtures are torn
    down in reverse, and the app (its worker creates the intake streams) must stop before the keys
    under the prefix are deleted, or they outlive the test."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "embedded":
        yield Backend("embedded", None, prefix)
        return
    if not REAL_REDIS_UP:
        warnings.warn(f"real Redis unreachable at {REAL_REDIS_URL}", pytest.PytestWarning, stacklevel=1)
        pytest.skip(f"REAL REDIS UNREACHABLE at {REAL_REDIS_URL}")
    yield Backend("real", REAL_REDIS_URL, prefix)
    import redis

    client = redis.Redis.from_url(REAL_REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "production_password_hashing: staff passwords at the service's argon2id cost")


# argon2id at the service's cost (64 MiB, 3 passes, 4 lanes) takes ~0.17 s of CPU per hash or check,
# and the suite adds accounts and logs in hundreds of times: a minute of the two cores. The tests
# are about who may log in and who is refused, not about the hash's cost, so they hash with argon2id
# at its lowest cost (a check reads the cost from the stored hash, so the two mix). The test of how
# passwords are stored keeps the real cost (@pytest.mark.production_password_hashing), and so does
# every `python -m bot` a test starts.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("production_password_hashing"):
        return
    from bot.staff import accounts

    monkeypatch.setattr(accounts, "_hasher", _CHEAP_HASHER)
    # Verified when the name is unknown: as cheap as a wrong password, as in the service.
    monkeypatch.setattr(accounts, "_DUMMY_HASH", _CHEAP_HASHER.hash("not-a-real-password"))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def province() -> Province:
    return load_province("kontum")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def redis_client(backend: Backend) -> AsyncIterator[Redis]:
    client = backend.client()
    yield client
    await client.aclose()


@pytest.fixture
def service(
    redis_client: Redis, backend: Backend, catalog: Catalog, province: Province, clock: FakeClock
) -> DossierService:
    return DossierService(redis_client, Keys(backend.prefix), catalog, province, WorkingCalendar.load(), clock)


@pytest.fixture
def payments(service: DossierService) -> PaymentService:
    return PaymentService(service, GATEWAY_SECRET)


@pytest.fixture
def make_settings(backend: Backend) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "redis_url": backend.redis_url,
            "redis_key_prefix": backend.prefix,
            "staff_api_token": STAFF_TOKEN,
            "payment_gateway_secret": GATEWAY_SECRET,
            "zalo_oa_secret_key": OA_SECRET,
            "zalo_app_secret": APP_SECRET,
            "public_base_url": "https://tracuu.example.vn",
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def api(backend: Backend, aiohttp_client, make_settings, clock: FakeClock, catalog: Catalog):
    """The real app on a real loopback socket, talking to the backend under test."""
    return await aiohttp_client(create_app(make_settings(), clock=clock, catalog=catalog))


STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
APPLICANT = {
    "full_name": "Nguyễn Văn An",
    "birth_date": "1990-04-12",
    "id_number": "062090001234",
    "phone": "0905123456",
    "address": "Tổ 3, phường Kon Tum",
}


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
async def browser():
    """Debian's chromium through Playwright: never a downloaded browser."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        yield browser
        await browser.close()


# Ports for the servers tests start: each xdist worker has its own block below the kernel's
# ephemeral range (32768-60999 on Debian), so no other worker's server nor any outgoing connection's
# local port can take a port between free_port() answering and the server binding it. A run starts
# at a random place in its block, so two runs at once on this shared machine seldom walk in step.
PORT_BLOCK = 1000


def _port_walk(index: int) -> Iterator[int]:
    import random

    first, start = 20000 + index * PORT_BLOCK, random.randrange(PORT_BLOCK)
    return (first + (start + i) % PORT_BLOCK for i in range(PORT_BLOCK))


_next_port = _port_walk(WORKER_INDEX)


def free_port() -> int:
    """A port of this worker's block that nothing listens on now; never the same one twice in a run
    (a test may ask for two before it binds either)."""
    import socket

    for port in _next_port:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken by someone else on this shared machine
            return port
    raise RuntimeError(f"this test process used up its {PORT_BLOCK} ports")


@dataclass
class Live:
    """The whole service with the Zalo emulator, on a real loopback port."""

    base: str
    http: Any
    app: Any

    async def act(self, user: str, action: str, text: str | None = None, **query: str) -> list[dict]:
        url = f"{self.base}/emulator/users/{user}/{action}"
        async with self.http.post(url, json={"text": text} if text is not None else None, params=query) as r:
            assert r.status == 200, await r.text()
            return (await r.json())["replies"]

    async def say(self, user: str, text: str, expect: int | None = None, **query: str) -> list[dict]:
        """The OA's replies to `text`. `expect`: how many the reply has (a heading and a list): they
        are waited for, as a loaded machine may part them by more than the emulator's quiet gap."""
        if expect is None:
            return await self.act(user, "text", text, **query)
        before = len(await self.oa_messages(user))
        await self.act(user, "text", text, **query)
        await self._until_count(user, before + expect, 10.0)  # no settling pause: not a check for extra ones
        return (await self.oa_messages(user))[before:]

    async def control(self, **body: Any) -> dict:
        async with self.http.post(f"{self.base}/emulator/control", json=body) as r:
            return await r.json()

    async def oa_messages(self, user: str) -> list[dict]:
        """Every message the OA sent `user`, in order."""
        async with self.http.get(f"{self.base}/emulator/users/{user}/messages") as r:
            return [m["message"] for m in (await r.json())["messages"] if m["direction"] == "oa"]

    async def settle(self, user: str, count: int, limit: float = 10.0) -> list[dict]:
        """The OA's messages to `user` once there are `count` (or `limit` s passed), after a pause
        in which a doubled or unexpected message would show."""
        await self._until_count(user, count, limit)
        await asyncio.sleep(0.4)
        return await self.oa_messages(user)

    async def _until_count(self, user: str, count: int, limit: float) -> None:
        """Until the OA has sent `user` `count` messages in all, or `limit` s passed."""
        async with self.http.get(f"{self.base}/emulator/users/{user}/replies",
                                 params={"count": str(count), "timeout": str(limit)}):  # fmt: skip
            pass

    async def emulator_state(self) -> dict:
        async with self.http.get(f"{self.base}/emulator/state") as r:
            return await r.json()


@pytest.fixture
async def live(make_settings, clock: FakeClock, catalog: Catalog) -> AsyncIterator[Live]:
    import aiohttp
    from aiohttp import web

    port = free_port()
    settings = make_settings(
        port=port, zalo_emulator=True, emulator_retry_schedule="0.05,0.1,0.2", emulator_quiet_seconds=0.15
    )
    app = create_app(settings, clock=clock, catalog=catalog)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    async with aiohttp.ClientSession() as http:
        yield Live(f"http://127.0.0.1:{port}", http, app)
    await stop_serving(runner)


async def stop_serving(runner: Any) -> None:
    """Stops an app a test serves on a real port (an aiohttp AppRunner), its worker first.

    A test may end while a turn is still sending to the emulator's OA API, which this very server
    serves. aiohttp's cleanup stops listening and closes the idle keep-alive connections before
    any of the app's shutdown hooks run, so a turn sending after that meets a closed server (a
    ServerDisconnectedError on a pooled connection, a refusal on a new one). So the worker stops
    first, taking nothing new (what is queued meanwhile stays in Redis: a redelivery, a notice),
    and its turns finish while the server still answers."""
    worker, loop = runner.app.get(WORKER), asyncio.get_running_loop()
    if worker is not None:
        worker.stop()
        deadline = loop.time() + 10
        while (worker.readers or worker.chain_tasks) and loop.time() < deadline:  # noqa: ASYNC110 - its own sets
            await asyncio.sleep(0.02)
    await runner.cleanup()
