"""Typed application keys of the staff console and its start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.appkeys import REDIS, SETTINGS
from bot.staff.accounts import Accounts
from bot.staff.audit import AuditLog
from bot.staff.keys import StaffKeys
from bot.staff.sessions import Sessions

ACCOUNTS = web.AppKey("staff_accounts", Accounts)
SESSIONS = web.AppKey("staff_sessions", Sessions)
AUDIT = web.AppKey("staff_audit", AuditLog)


async def staff_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    keys = StaffKeys(settings.redis_key_prefix)
    secret = settings.staff_cookie_secret.get_secret_value().encode() if settings.staff_cookie_secret else None
    app[ACCOUNTS] = Accounts(app[REDIS], keys)
    app[SESSIONS] = Sessions(app[REDIS], keys, secret)
    app[AUDIT] = AuditLog(app[REDIS], keys)
    yield
