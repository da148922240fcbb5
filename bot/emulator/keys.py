"""Typed app keys of the emulator (its own, not the bot's)."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.emulator.state import EmulatorState
from bot.emulator.webhook_sender import WebhookSender
from bot.settings import Settings

EMU_SETTINGS = web.AppKey("emulator_settings", Settings)
EMU_STATE = web.AppKey("emulator_state", EmulatorState)
EMU_WEBHOOK = web.AppKey("emulator_webhook", WebhookSender)
EMU_HTTP = web.AppKey("emulator_http", aiohttp.ClientSession)
