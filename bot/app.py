"""The application factory: builds everything from one Settings object."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aiohttp
from aiohttp import web

from bot.api import dossiers, openapi, payments, procedures
from bot.appkeys import CATALOG, CLOCK, DOSSIERS, HTTP, PAYMENTS, PROVINCE, REDIS, SETTINGS
from bot.redis_conn import connect
from bot.settings import Settings
from bot.web import health, pages
from bot.web.errors import api_errors
from lookup.calendar import VN_TZ, WorkingCalendar
from lookup.catalog import Catalog, load_catalog
from lookup.dossiers import DossierService
from lookup.keys import Keys
from lookup.payments import PaymentService
from lookup.province import load_province

log = logging.getLogger(__name__)


def vietnam_now() -> datetime:
    return datetime.now(VN_TZ)


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    app[REDIS] = connect(app[SETTINGS].redis_url)
    yield
    await app[REDIS].aclose()


async def _catalog_ctx(app: web.Application) -> AsyncIterator[None]:
    if CATALOG not in app:
        # Parsing ~3,000 procedures takes a few hundred ms: off the loop so probes keep answering.
        app[CATALOG] = await asyncio.to_thread(load_catalog, app[SETTINGS].catalog_path)
    log.info("catalog loaded: %d procedures, %d life-event groups", len(app[CATALOG]), len(app[CATALOG].groups))
    yield


async def _http_ctx(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[HTTP] = session
        yield


async def _services_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[DOSSIERS] = DossierService(
        app[REDIS], Keys(settings.redis_key_prefix), app[CATALOG], app[PROVINCE], WorkingCalendar.load(), app[CLOCK]
    )
    app[PAYMENTS] = PaymentService(app[DOSSIERS], settings.payment_gateway_secret.get_secret_value())
    yield


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = vietnam_now,
    catalog: Catalog | None = None,
) -> web.Application:
    """Everything the service needs, from one Settings object. `catalog` lets tests and tools that
    build many apps share one already-loaded catalog."""
    settings = settings or Settings()
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[api_errors])
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[PROVINCE] = load_province(settings.province)
    if catalog is not None:
        app[CATALOG] = catalog
    app.cleanup_ctx.extend([_redis_ctx, _catalog_ctx, _http_ctx, _services_ctx])
    for table in (health.routes, dossiers.routes, procedures.routes, payments.routes, openapi.routes, pages.routes):
        app.router.add_routes(table)
    return app
