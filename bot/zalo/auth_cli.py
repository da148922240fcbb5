"""`python -m bot oa set-refresh-token` and `python -m bot oa status`: the OA's authorization from
a shell, for scripts (the console's OAuth flow is `/staff/oa`). The token is read from standard
input, never from the command line (it would sit in the shell history and `ps`)."""

from __future__ import annotations

import asyncio
import getpass
import sys
import time

import aiohttp
from redis.asyncio import Redis

from bot.conv_keys import ConversationKeys
from bot.settings import Settings
from bot.zalo.oa_client import TokenManager, TokenRefreshFailed


def _tokens(settings: Settings, redis: Redis, http: aiohttp.ClientSession) -> TokenManager:
    return TokenManager(
        redis, ConversationKeys(settings.redis_key_prefix), http, oa_id=settings.zalo_oa_id,
        app_id=settings.zalo_app_id, app_secret=settings.zalo_app_secret.get_secret_value(),
        oauth_base=settings.oa_oauth_base, seed_refresh_token=None,
    )  # fmt: skip


async def set_refresh_token(settings: Settings, refresh_token: str, who: str) -> str:
    """Use the token at once and store the pair it brings; a line for the operator. Raises on refusal."""
    redis = Redis.from_url(settings.redis_url or "", decode_responses=True)
    try:
        async with aiohttp.ClientSession() as http:
            tokens = _tokens(settings, redis, http)
            await tokens.set_refresh_token(refresh_token, who=who)
            status = await tokens.status()
    finally:
        await redis.aclose()
    return (f"OA {settings.zalo_oa_id}: authorized again (new token pair stored; the refresh token expires in "
            f"{status.days_left()} days); held messages are sent now")  # fmt: skip


async def show_status(settings: Settings) -> str:
    redis = Redis.from_url(settings.redis_url or "", decode_responses=True)
    try:
        async with aiohttp.ClientSession() as http:
            status = await _tokens(settings, redis, http).status()
    finally:
        await redis.aclose()
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(status.since)) if status.since else ""
    return (
        f"OA {settings.zalo_oa_id}: {status.state}"
        + (f" since {since}" if since else "")
        + (f" ({status.error})" if status.error else "")
        + (f"; refresh token expires in {status.days_left()} days" if status.refresh_expires_at else "")
    )


def main(command: str) -> None:
    settings = Settings()
    if not settings.redis_url:
        sys.exit("the token pair lives in Redis: set REDIS_URL")
    if command == "status":
        print(asyncio.run(show_status(settings)))
        return
    token = sys.stdin.readline().strip()
    if not token:
        sys.exit("no refresh token on standard input")
    try:
        print(asyncio.run(set_refresh_token(settings, token, who=f"cli:{getpass.getuser()}")))
    except TokenRefreshFailed as exc:
        sys.exit(f"{exc}; nothing was changed")
    except (aiohttp.ClientError, TimeoutError) as exc:
        sys.exit(f"could not reach Zalo's OAuth ({type(exc).__name__}); nothing was changed")
