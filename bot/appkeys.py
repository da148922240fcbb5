"""Typed keys of what the app factory puts on the application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot.conversation import Conversation
from bot.handoff import Handoffs
from bot.intake.queue import EventQueue
from bot.intake.worker import Worker
from bot.notify import Notifier
from bot.replay.sandbox import Sandbox
from bot.settings import Settings
from bot.transcript import Transcript
from lookup.catalog import Catalog
from lookup.dossiers import DossierService
from lookup.payments import PaymentService
from lookup.province import Province

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Callable[[], datetime])
REDIS = web.AppKey("redis", Redis)
CATALOG = web.AppKey("catalog", Catalog)
PROVINCE = web.AppKey("province", Province)
DOSSIERS = web.AppKey("dossiers", DossierService)
PAYMENTS = web.AppKey("payments", PaymentService)
HTTP = web.AppKey("http", aiohttp.ClientSession)
QUEUE = web.AppKey("queue", EventQueue)
WORKER = web.AppKey("worker", Worker)
NOTIFIER = web.AppKey("notifier", Notifier)
HANDOFFS = web.AppKey("handoffs", Handoffs)
CONVERSATION = web.AppKey("conversation", Conversation)
TRANSCRIPT = web.AppKey("transcript", Transcript)
SANDBOX = web.AppKey("sandbox", Sandbox)
