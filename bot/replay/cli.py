"""`python -m bot replay FILE... [--against URL [--demo]] [--update]`: replays transcript files against
a running service (`--against`, with ZALO_OA_SECRET_KEY and STAFF_API_TOKEN of that service in the
environment; `--demo` when it is a demo service, whose OA secret is the built-in one) or, by default,
against a fresh in-process service on a loopback port (embedded store, demo dossiers, Zalo emulator
for photos). Exit status 1 when any turn differs; `--update` rewrites
the files with the replies given now (for golden conversations after an intended change)."""

from __future__ import annotations

import contextlib
import secrets
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.replay.diff import render_text
from bot.replay.runner import ReplayError, Target, replay
from bot.replay.transcript_file import golden_lines, load_turns
from bot.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def local_service() -> AsyncIterator[tuple[str, Settings]]:
    """The current bot on a loopback port with its own embedded store and the demo dossiers."""
    from bot.app import create_app
    from bot.appkeys import DOSSIERS
    from lookup.demo import load_fixed_demo

    settings = Settings(redis_url=None, port=_free_port(), zalo_emulator=True,
                        staff_api_token=secrets.token_urlsafe(16), emulator_quiet_seconds=0.05)  # fmt: skip
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await load_fixed_demo(app[DOSSIERS])
    site = web.TCPSite(runner, "127.0.0.1", settings.port)
    await site.start()
    try:
        yield settings.loopback_url, settings
    finally:
        await runner.cleanup()


async def run(files: list[Path], against: str | None, update: bool, demo: bool = False) -> int:
    async with contextlib.AsyncExitStack() as stack:
        if against:
            base, settings = against.rstrip("/"), Settings(demo=demo)
            # It signs webhooks: the demo OA secret only for a demo target (`--demo`).
            if problems := settings.insecure_secrets(("zalo_oa_secret_key",)):
                print("\n".join(problems), file=sys.stderr)
                return 2
            if settings.staff_api_token is None:
                print(
                    "replay --against needs STAFF_API_TOKEN (and ZALO_OA_SECRET_KEY) of that service", file=sys.stderr
                )
                return 2
        else:
            base, settings = await stack.enter_async_context(local_service())
        http = await stack.enter_async_context(aiohttp.ClientSession())
        token = settings.staff_api_token.get_secret_value() if settings.staff_api_token else ""
        failed = 0
        for path in files:
            secret = settings.zalo_oa_secret_key.get_secret_value()
            target = Target(
                base, settings.zalo_app_id, settings.zalo_oa_id, secret, token, http, images_dir=path.parent
            )
            turns = load_turns(path)
            try:
                diffs, given_now = await replay(turns, target)
            except ReplayError as exc:
                print(f"{path}: {exc}")
                failed += 1
                continue
            if update:
                for turn, replies in zip(turns, given_now, strict=True):
                    turn.replies = replies
                path.write_text("\n".join(golden_lines(path.stem, turns)) + "\n", encoding="utf-8")
                print(f"{path}: updated ({len(turns)} turns)")
                continue
            print(render_text(str(path), diffs))
            failed += any(d.status not in ("same", "not_replayable") for d in diffs)
        if not update:
            print(f"{len(files) - failed} of {len(files)} conversations replayed unchanged")
        return 1 if failed else 0
