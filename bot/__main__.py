"""Command line: `python -m bot serve | seed | build-catalog`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.appkeys import DOSSIERS, SETTINGS
from bot.settings import Settings

log = logging.getLogger("bot")


def _demo_ctx(count: int):
    async def seed_demo(app: web.Application) -> AsyncIterator[None]:
        from lookup.demo import generate, load_fixed_demo

        entries = await load_fixed_demo(app[DOSSIERS])
        if count:
            await generate(app[DOSSIERS], count)
        base = app[SETTINGS].base_url
        log.info("demo data: %d fixed dossiers + %d generated", len(entries), count)
        for e in entries:
            log.info("  %s  mã bảo mật %s  %-38s  %s/tra-cuu?code=%s", e.code, e.security_code, e.status, base, e.code)
        yield

    return seed_demo


def serve(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.port:
        settings.port = args.port
    if args.emulator:
        settings.zalo_emulator = True
    app = create_app(settings)
    if args.demo:
        app.cleanup_ctx.append(_demo_ctx(args.count))
    log.info("serving on http://%s:%d (public base %s)", settings.host, settings.port, settings.base_url)
    if settings.zalo_emulator:
        log.info("Zalo emulator on: chat page at %s/emulator/", settings.loopback_url)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


async def _seed(args: argparse.Namespace) -> None:
    settings = Settings()
    if not settings.redis_url:
        sys.exit(
            "seed writes to a Redis server: set REDIS_URL (the embedded store lives only inside "
            "`serve --demo`, which seeds itself)"
        )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()  # runs the cleanup contexts: Redis, catalog, services
    try:
        from lookup.demo import generate, load_fixed_demo

        entries = await load_fixed_demo(app[DOSSIERS])
        await generate(app[DOSSIERS], args.count, seed=args.seed)
        print(f"stored {len(entries)} fixed and {args.count} generated dossiers")
    finally:
        await runner.cleanup()


def build_catalog(args: argparse.Namespace) -> None:
    from lookup.catalog import save_catalog
    from lookup.catalog_build import build_catalog as build
    from lookup.catalog_build import read_records

    catalog = build(read_records(args.source))
    save_catalog(catalog, args.output)
    print(f"{len(catalog)} procedures, {len(catalog.groups)} life-event groups -> {args.output}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description="tracuu: Zalo OA chatbot and dossier service")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve", help="run the HTTP service")
    p.add_argument("--port", type=int, help="overrides PORT")
    p.add_argument("--demo", action="store_true", help="load the fixed demo dossiers and generate more at start")
    p.add_argument("--count", type=int, default=500, help="generated demo dossiers with --demo (default 500)")
    p.add_argument("--emulator", action="store_true", help="run the Zalo emulator in-process (or ZALO_EMULATOR=true)")
    p.set_defaults(run=serve)
    p = commands.add_parser("seed", help="store demo dossiers in the Redis of REDIS_URL")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(run=lambda a: asyncio.run(_seed(a)))
    p = commands.add_parser("build-catalog", help="build fixtures/catalog.json.gz from procedure records")
    p.add_argument("--source", type=Path, default=Path("../shared/data/procedures.jsonl"))
    p.add_argument("--output", type=Path, default=Path("fixtures/catalog.json.gz"))
    p.set_defaults(run=build_catalog)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args.run(args)


if __name__ == "__main__":
    main()
