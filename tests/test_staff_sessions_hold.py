"""Console sessions across processes: the service runs as several processes behind one address, and
an officer's requests land on any of them."""

from __future__ import annotations

import pytest

from bot.app import create_app
from bot.staff.accounts import Role
from bot.staff.context import ACCOUNTS
from bot.staff.sessions import COOKIE
from tests.test_staff import PASSWORD, login


# Processes share only a real Redis (each embedded store is its own). Its id is not "real": the
# mutation bench leaves out the real-Redis copies of tests that also run embedded, not this one.
@pytest.mark.parametrize("backend", [pytest.param("real", id="shared-redis")], indirect=True)
async def test_an_officer_logged_in_on_one_process_is_known_to_the_next(backend, aiohttp_client, make_settings, clock,
                                                                         catalog):  # fmt: skip
    """Without STAFF_COOKIE_SECRET each process draws a cookie secret and the first one stored in
    Redis wins: a process that kept its own would refuse every cookie signed by the others, and the
    officer would be sent back to the login page on every other click."""
    settings = make_settings()
    assert settings.staff_cookie_secret is None
    first = await aiohttp_client(create_app(settings, clock=clock, catalog=catalog))
    second = await aiohttp_client(create_app(settings, clock=clock, catalog=catalog))
    await first.app[ACCOUNTS].add("viewer1", PASSWORD, Role.VIEWER)
    logged_in = await login(first, "viewer1")
    assert logged_in.status == 302
    cookie = {"Cookie": f"{COOKIE}={logged_in.cookies[COOKIE].value}"}
    for client in (second, first, second):
        async with client.get("/staff/conversations", headers=cookie, allow_redirects=False) as r:
            assert r.status == 200, r.headers.get("Location")
