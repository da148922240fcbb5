"""Command line: `python -m bot serve | worker | emulator | seed | build-catalog | staff add | oa | unlock | replay`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

# bot.app and bot.appkeys are imported by the commands that build the service (~1.5 s of CPU: the
# understanding model's scikit-learn among them): a refusal, the emulator, unlock or oa start without.
from bot.logs import setup_logging
from bot.loop import install_fast_loop
from bot.preflight import port_problem, refuse_unready
from bot.settings import Settings

log = logging.getLogger("bot")
DEMO_STAFF_PASSWORD = "demo-password"  # noqa: S105 - demo accounts of the embedded store, printed at start


def _demo_ctx(count: int):
    async def seed_demo(app: web.Application) -> AsyncIterator[None]:
        from bot.appkeys import DOSSIERS, SETTINGS
        from lookup.demo import generate, load_fixed_demo

        entries = await load_fixed_demo(app[DOSSIERS])
        if count:
            await generate(app[DOSSIERS], count)
        base = app[SETTINGS].base_url
        from bot.staff.accounts import Role
        from bot.staff.context import ACCOUNTS

        for name, role in (("demo.viewer", Role.VIEWER), ("demo.supervisor", Role.SUPERVISOR)):
            await app[ACCOUNTS].add(name, DEMO_STAFF_PASSWORD, role)
        log.info("staff console %s/staff/: demo.viewer / demo.supervisor, password %r", base, DEMO_STAFF_PASSWORD)
        log.info("demo data: %d fixed dossiers + %d generated", len(entries), count)
        for e in entries:
            log.info("  %s  mã bảo mật %s  %-38s  %s/tra-cuu?code=%s", e.code, e.security_code, e.status, base, e.code)
        yield

    return seed_demo


def refuse_insecure(settings: Settings, fields: tuple[str, ...] | None = None) -> None:
    """Outside demo/emulator mode, a missing or demo-valued secret stops the command before anything
    starts: one line each on stderr, exit status 2."""
    problems = settings.insecure_secrets() if fields is None else settings.insecure_secrets(fields)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        sys.exit(2)


def announce_demo(settings: Settings) -> None:
    if not settings.demo_mode:
        return
    why = ", ".join(n for n, on in (("--demo", settings.demo), ("--emulator / ZALO_EMULATOR", settings.zalo_emulator),
                                    ("ZALO_EMULATOR_URL", bool(settings.zalo_emulator_url))) if on)  # fmt: skip
    in_use = ", ".join(settings.demo_secrets_in_use()) or "none"
    log.warning("*** DEMO MODE (%s): NOT FOR PRODUCTION. Built-in demo secrets accepted (in use: %s); the emulated "
                "bank (/pay/{id}/bank, /pay/{id}/confirm) is mounted and settles fees for anyone holding a "
                "payment id. ***", why, in_use)  # fmt: skip


async def _freeze_startup_heap(app: web.Application) -> None:
    """Once the app has started (catalog, search index, intent model: ~157,000 objects), those
    objects leave the garbage collector's generations (gc.freeze), and its youngest generation is
    collected every 10,000 allocations instead of 700: the collector traversing the whole startup
    heap cost the webhook 60-80 us a delivery here, in pauses of a few hundred ms (its p99)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def serve(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.port:
        settings.port = args.port
    if args.emulator:
        settings.zalo_emulator = True
    if args.demo:
        settings.demo = True
    if args.no_worker:
        settings.run_worker = False
    refuse_insecure(settings)
    if not settings.redis_url and not settings.run_worker:
        sys.exit("the embedded store lives in this process only: with no REDIS_URL, `serve` must run its worker")
    refuse_unready(settings)
    announce_demo(settings)
    if not settings.demo_mode and not settings.payment_gateway_url:
        log.warning("PAYMENT_GATEWAY_URL is not set: /pay/{id} pages cannot hand citizens over to the payment "
                    "platform")  # fmt: skip
    from bot.app import create_app

    app = create_app(settings)
    if args.demo:
        app.cleanup_ctx.append(_demo_ctx(args.count))
    app.on_startup.append(_freeze_startup_heap)
    log.info("serving on http://%s:%d (public base %s)", settings.host, settings.port, settings.base_url)
    if settings.zalo_emulator:
        log.info("Zalo emulator on: chat page at %s/emulator/", settings.loopback_url)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


def work(args: argparse.Namespace) -> None:
    settings = Settings()
    refuse_insecure(settings)
    if not settings.redis_url:
        sys.exit("a separate worker shares the web processes' Redis: set REDIS_URL (or run `serve` alone)")
    port = args.port or settings.worker_metrics_port
    refuse_unready(settings, port)
    announce_demo(settings)
    from bot.app import create_app

    app = create_app(settings, role="worker")
    app.on_startup.append(_freeze_startup_heap)
    log.info("worker: probes and /metrics on http://%s:%d", settings.host, port)
    web.run_app(app, host=settings.host, port=port, print=None, access_log=None)


def emulate(args: argparse.Namespace) -> None:
    from bot.emulator import create_emulator_app

    settings = Settings()
    settings.port = args.port
    if args.webhook:
        settings.emulator_webhook_urls = args.webhook
    if problem := port_problem(settings.host, args.port):
        sys.exit(f"refusing to start: {problem}")
    log.info("Zalo emulator on http://%s:%d/emulator/, webhooks to %s", settings.host, args.port,
             ", ".join(settings.webhook_urls))  # fmt: skip
    web.run_app(create_emulator_app(settings), host=settings.host, port=args.port, print=None, access_log=None)


async def _seed(args: argparse.Namespace) -> None:
    settings = Settings(demo=True)  # demo dossiers with published security codes; it signs nothing
    if not settings.redis_url:
        sys.exit(
            "seed writes to a Redis server: set REDIS_URL (the embedded store lives only inside "
            "`serve --demo`, which seeds itself)"
        )
    from bot.app import create_app
    from bot.appkeys import DOSSIERS

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


def _staff_add(args: argparse.Namespace) -> None:
    import getpass

    from bot.redis_conn import connect
    from bot.staff.accounts import AccountError, Accounts, Role
    from bot.staff.keys import StaffKeys

    settings = Settings()
    if not settings.redis_url:
        sys.exit("staff accounts live in Redis: set REDIS_URL (`serve --demo` creates demo accounts by itself)")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            sys.exit("the passwords differ")

    async def add() -> None:
        redis = connect(settings.redis_url)  # a cluster too
        try:
            account = await Accounts(redis, StaffKeys(settings.redis_key_prefix)).add(
                args.name, password, Role(args.role)
            )
        finally:
            await redis.aclose()
        print(f"staff account {account.name} ({account.role.value}) saved")

    try:
        asyncio.run(add())
    except AccountError as exc:
        sys.exit(str(exc))


def _unlock(args: argparse.Namespace) -> None:
    """An officer's unlock for a citizen refused after wrong security codes: forgets every wrong code
    counted for the dossier (from every address and Zalo user)."""
    from bot.redis_conn import connect
    from lookup.dossiers import clear_security_failures
    from lookup.keys import Keys

    settings = Settings()
    if not settings.redis_url:
        sys.exit("the counters live in Redis: set REDIS_URL")

    async def unlock() -> int:
        redis = connect(settings.redis_url)  # a cluster too
        try:
            return await clear_security_failures(redis, Keys(settings.redis_key_prefix), args.code)
        finally:
            await redis.aclose()

    try:
        removed = asyncio.run(unlock())
    except ValueError as exc:  # not a dossier code
        sys.exit(str(exc))
    print(f"{args.code}: {removed} wrong-code counter(s) cleared; the citizen can enter the security code again")


def _replay(args: argparse.Namespace) -> None:
    from bot.replay.cli import run

    logging.getLogger().setLevel(logging.WARNING)  # the report is the output; the service's info lines are noise
    sys.exit(asyncio.run(run(args.files, args.against, args.update, demo=args.demo)))


def _oa(args: argparse.Namespace) -> None:
    from bot.zalo.auth_cli import main as oa_main

    if args.oa_command == "set-refresh-token":
        refuse_insecure(Settings(), ("zalo_app_secret",))
    oa_main(args.oa_command)


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
    p.add_argument("--no-worker", action="store_true", help="web only: workers run as `worker` (or RUN_WORKER=false)")
    p.set_defaults(run=serve)
    p = commands.add_parser("worker", help="handle queued events (several may share one Redis)")
    p.add_argument("--port", type=int, help="probes and /metrics (default WORKER_METRICS_PORT, 9101)")
    p.set_defaults(run=work)
    p = commands.add_parser("emulator", help="run the Zalo emulator as its own process")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument("--webhook", help="bot webhook URLs, comma-separated (default EMULATOR_WEBHOOK_URLS)")
    p.set_defaults(run=emulate)
    p = commands.add_parser("seed", help="store demo dossiers in the Redis of REDIS_URL")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(run=lambda a: asyncio.run(_seed(a)))
    p = commands.add_parser("build-catalog", help="build fixtures/catalog.json.gz from procedure records")
    p.add_argument("--source", type=Path, default=Path("../shared/data/procedures.jsonl"))
    p.add_argument("--output", type=Path, default=Path("fixtures/catalog.json.gz"))
    p.set_defaults(run=build_catalog)
    staff = commands.add_parser("staff", help="staff console accounts").add_subparsers(
        dest="staff_command", required=True
    )
    p = staff.add_parser("add", help="create a staff account or reset its password (asks for the password)")
    p.add_argument("name")
    p.add_argument("--role", choices=["viewer", "supervisor"], default="viewer")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(run=_staff_add)
    oa = commands.add_parser("oa", help="the OA's Zalo authorization").add_subparsers(dest="oa_command", required=True)
    oa.add_parser("set-refresh-token", help="store a refresh token read from stdin and use it at once").set_defaults(
        run=_oa
    )
    oa.add_parser("status", help="the OA's authorization: ok, expiring or lost").set_defaults(run=_oa)
    p = commands.add_parser("unlock", help="clear a dossier's wrong security-code counters (an officer's unlock)")
    p.add_argument("code", help="the dossier code")
    p.set_defaults(run=_unlock)
    p = commands.add_parser("replay", help="replay transcript files against the current bot; exit 1 on any change")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--against", help="a running service's base URL (default: a fresh in-process one)")
    p.add_argument("--update", action="store_true", help="rewrite the files with the replies given now")
    p.add_argument("--demo", action="store_true", help="with --against: the target is a demo service (demo secrets)")
    p.set_defaults(run=_replay)
    args = parser.parse_args(argv)
    setup_logging()
    install_fast_loop()
    args.run(args)


if __name__ == "__main__":
    main()
