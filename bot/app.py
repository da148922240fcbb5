"""The application factory: builds everything from one Settings object."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aiohttp
from aiohttp import web

from bot.api import dossiers, openapi, payments, procedures
from bot.appkeys import (
    CATALOG,
    CLOCK,
    CONVERSATION,
    DOSSIERS,
    HANDOFFS,
    HTTP,
    NOTIFIER,
    PAYMENTS,
    PROVINCE,
    QUEUE,
    REDIS,
    SANDBOX,
    SETTINGS,
    TRANSCRIPT,
    WORKER,
)
from bot.conv_keys import ConversationKeys
from bot.conversation import Conversation, Deps
from bot.following import Following
from bot.handoff import Handoffs
from bot.image_fetch import FetchPolicy, ImageFetcher
from bot.intake.keys import IntakeKeys
from bot.intake.queue import EventQueue
from bot.intake.worker import Worker
from bot.notify import Notifier
from bot.outbox import Outbox
from bot.photos import PhotoReader
from bot.ratelimit import LIMITER, Limits, RateLimiter
from bot.redis_conn import connect
from bot.redis_lock import RedisLock
from bot.replay.sandbox import Sandbox
from bot.routing import build_dispatcher
from bot.sealing import Sealer
from bot.settings import InsecureSettings, Settings
from bot.staff import dead_letters, handoff_views, oa_views, understanding_views
from bot.staff import views as staff_views
from bot.staff.context import staff_ctx
from bot.staff.guard import staff_guard
from bot.state import ConversationState
from bot.throttle import Throttle
from bot.transcript import Transcript
from bot.web import gateway_emulator, health, home, metrics_route, pages, procedure_page
from bot.web.errors import api_errors
from bot.web.request_ids import request_ids
from bot.zalo import webhook, webhook_http
from bot.zalo.auth import AuthKeeper, AuthorizationLost
from bot.zalo.oa_client import OA_TOKENS, OAClient, OutboundGuard, TokenManager
from handlers.content import Content
from handlers.understood import names_from, suggest_from
from lookup.calendar import VN_TZ, WorkingCalendar
from lookup.catalog import Catalog, load_catalog
from lookup.demo import prompt_example
from lookup.dossiers import DossierService
from lookup.keys import Keys
from lookup.payments import PaymentService
from lookup.province import load_province
from lookup.search import ProcedureIndex
from understanding.interpreter import default_model

log = logging.getLogger(__name__)


def vietnam_now() -> datetime:
    return datetime.now(VN_TZ)


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[REDIS] = connect(settings.redis_url, settings.redis_pool_size, settings.redis_pool_timeout_seconds)
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
    clock = app[CLOCK]
    app[LIMITER] = RateLimiter(app[REDIS], settings.redis_key_prefix, Limits.from_settings(settings),
                               lambda: clock().timestamp())  # fmt: skip
    yield


async def _chatbot_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    redis = app[REDIS]
    keys = ConversationKeys(settings.redis_key_prefix)
    tokens = TokenManager(
        redis, keys, app[HTTP], oa_id=settings.zalo_oa_id, app_id=settings.zalo_app_id,
        app_secret=settings.zalo_app_secret.get_secret_value(), oauth_base=settings.oa_oauth_base,
        seed_refresh_token=settings.seed_refresh_token, seed_access_token=settings.zalo_access_token,
    )  # fmt: skip
    app[OA_TOKENS] = tokens
    index = ProcedureIndex.for_catalog(app[CATALOG])
    # Built before the first citizen asks (~0.7 s for the default catalog), off the event loop.
    await asyncio.to_thread(index.warm)
    # The intent model too: loaded (or, written by another scikit-learn, retrained) before the first
    # citizen's message, never inside a turn.
    await asyncio.to_thread(default_model)
    allowed, local = settings.image_policy_hosts
    policy = FetchPolicy(allowed, local, settings.image_max_bytes, settings.image_fetch_timeout_seconds)
    async with ImageFetcher(policy) as fetcher:
        photos = PhotoReader(fetcher)
        following = Following(redis, keys)
        app[HANDOFFS] = Handoffs(redis, keys)
        app[NOTIFIER] = Notifier(app[QUEUE], following, app[PROVINCE], settings.base_url)
        deps = Deps(
            dossiers=app[DOSSIERS], catalog=app[CATALOG], province=app[PROVINCE],
            throttle=Throttle(redis, keys, app[CLOCK]),
            content=Content.load(app[PROVINCE]), search=index.search, read_photo=photos.read,
            payments=app[PAYMENTS], following=following, handoffs=app[HANDOFFS], base_url=settings.base_url,
            example_code=prompt_example(app[PROVINCE], demo=settings.demo_mode), suggest=suggest_from(index),
            names_procedure=names_from(index),
        )  # fmt: skip
        sealer = Sealer.from_setting(settings.transcript_key.get_secret_value() if settings.transcript_key else None)
        app[TRANSCRIPT] = Transcript(redis, keys, settings.transcript_retention_days * 24 * 3600, sealer)
        app[SANDBOX] = Sandbox(redis, keys)
        guard = OutboundGuard(redis, keys, settings.zalo_oa_id, settings.oa_calls_per_second)
        app[CONVERSATION] = Conversation(
            build_dispatcher(), deps, ConversationState(redis, keys, settings.conversation_ttl_seconds),
            app[TRANSCRIPT], OAClient(app[HTTP], tokens, settings.oa_api_base, guard=guard), app[CLOCK],
            app[SANDBOX], Outbox(redis, keys), lambda user: RedisLock(redis, keys.lock(user), ttl_ms=6_000),
            messages_per_minute=settings.messages_per_minute,
        )  # fmt: skip
        yield
        photos.close()


async def _intake_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[QUEUE] = EventQueue(app[REDIS], IntakeKeys(settings.redis_key_prefix, settings.intake_shards))
    yield


def _worker_ctx(app: web.Application) -> Callable[[web.Application], AsyncIterator[None]]:
    async def run_worker(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        app[WORKER] = Worker(
            app[REDIS], app[QUEUE].keys, app[CONVERSATION].handle, queue=app[QUEUE],
            lease_ms=settings.intake_lease_ms, max_in_flight=settings.worker_max_in_flight,
            hold_on=(AuthorizationLost,), may_send=app[OA_TOKENS].auth.may_send,
        )  # fmt: skip
        task = asyncio.create_task(app[WORKER].run(), name="worker")
        sweeper = asyncio.create_task(app[NOTIFIER].sweep_forever(app[DOSSIERS]), name="announcement-sweeper")
        keeper = asyncio.create_task(AuthKeeper(app[OA_TOKENS], lambda: app[WORKER].held).run_forever(),
                                     name="oa-authorization-keeper")  # fmt: skip
        yield
        keeper.cancel()
        sweeper.cancel()
        app[WORKER].stop()
        await task

    return run_worker


async def _finish_turns(app: web.Application) -> None:
    """On shutdown, before open connections are closed: let the worker finish the turns in flight
    (the emulator's OA API may be served by this very server); what is still queued stays in Redis
    for the next worker."""
    if WORKER in app:
        app[WORKER].stop()
        await asyncio.sleep(0)
        if app[WORKER].chain_tasks:
            await asyncio.wait(app[WORKER].chain_tasks, timeout=5)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = vietnam_now,
    catalog: Catalog | None = None,
    role: str = "serve",
) -> web.Application:
    """Everything the service needs, from one Settings object. `role`: "serve" is the web service
    (with a worker inside unless RUN_WORKER=false); "worker" handles queued events and serves only
    the probes and /metrics. `catalog` lets tests and tools that build many apps share one. Outside
    demo/emulator mode, missing or demo-valued secrets raise InsecureSettings."""
    settings = settings or Settings()
    if problems := settings.insecure_secrets():
        # `python -m bot` says so line by line before getting here; this guards every other way in.
        raise InsecureSettings("; ".join(problems))
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[request_ids, staff_guard, oa_views.oa_banner, api_errors])  # fmt: skip
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[PROVINCE] = load_province(settings.province)
    if catalog is not None:
        app[CATALOG] = catalog
    app.cleanup_ctx.extend([_redis_ctx, _catalog_ctx, _http_ctx, _services_ctx, _intake_ctx, _chatbot_ctx])
    with_worker = role == "worker" or settings.run_worker
    if with_worker:
        app.cleanup_ctx.append(_worker_ctx(app))
    app.on_shutdown.append(_finish_turns)
    tables = [health.routes, metrics_route.routes]
    if role == "serve":
        app.cleanup_ctx.append(staff_ctx)
        tables += [dossiers.routes, procedures.routes, payments.routes, openapi.routes, pages.routes, webhook.routes,
                   staff_views.routes, handoff_views.routes, dead_letters.routes, procedure_page.routes,
                   understanding_views.routes, home.routes, oa_views.routes]  # fmt: skip
    if settings.demo_mode and role == "serve":
        # Stand-ins for outside parties exist only in demo/emulator mode: the emulated bank settles fees
        # for anyone holding a payment id.
        tables.append(gateway_emulator.routes)
    for table in tables:
        app.router.add_routes(table)
    if role == "serve":
        webhook_http.install(app)  # the webhook's plain deliveries skip aiohttp's request machinery
    if settings.zalo_emulator and role == "serve":
        from bot.emulator import setup_emulator

        setup_emulator(app, settings)
    return app
