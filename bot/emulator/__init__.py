"""The emulated Zalo side: OA Open API + OAuth, signed webhook deliveries with retries, image
hosting, a JSON API to play the citizen, and a chat page. Mounted in-process with `--emulator`;
it shares only settings values with the bot, none of its logic."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.emulator import chat_page, oa_api, oauth, users_api
from bot.emulator.jsonresp import json_response
from bot.emulator.keys import EMU_HTTP, EMU_SETTINGS, EMU_STATE, EMU_WEBHOOK
from bot.emulator.state import EmulatorState
from bot.emulator.webhook_sender import WebhookSender
from bot.settings import Settings


def setup_emulator(app: web.Application, settings: Settings) -> None:
    app[EMU_SETTINGS] = settings
    app[EMU_STATE] = EmulatorState(settings.zalo_refresh_token)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            app[EMU_HTTP] = http
            schedule = [float(s) for s in settings.emulator_retry_schedule.split(",") if s.strip()]
            app[EMU_WEBHOOK] = WebhookSender(
                http, settings.webhook_urls, settings.zalo_app_id,
                settings.zalo_oa_secret_key.get_secret_value(), schedule, app[EMU_STATE].deliveries,
            )  # fmt: skip
            yield
            for task in list(app[EMU_STATE].tasks):
                task.cancel()

    async def end_long_polls(app: web.Application) -> None:
        await app[EMU_STATE].close()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(end_long_polls)
    for table in (oa_api.routes, oauth.routes, users_api.routes, chat_page.routes):
        app.router.add_routes(table)


def create_emulator_app(settings: Settings) -> web.Application:
    """The emulator as its own process (`python -m bot emulator`), in front of several bot
    processes: webhooks go to EMULATOR_WEBHOOK_URLS, the bot's OA API calls come here."""
    app = web.Application(client_max_size=32 * 1024 * 1024)
    setup_emulator(app, settings)

    async def healthz(request: web.Request) -> web.Response:
        return json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app
