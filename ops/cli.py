"""The `vitrine` command: run the site, the API workers, the template preview; seed the demo
catalogue; capture template fixtures from a running site."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import errno
import json
import logging
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from pythonjsonlogger.json import JsonFormatter

from ops.supervisor import Child, Supervisor
from vitrine.config import ConfigError, Settings, load_settings, worker_endpoints
from web.templating import TEMPLATES_DIR

log = logging.getLogger("vitrine")

# `vitrine serve` is the production shape: never a single worker.
MIN_SERVE_WORKERS = 2


def _configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        # One object a line: time, level, logger, pid, message, and the fields a line adds
        # (trace, status, ms... see log_request and the worker's batch line).
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{process}{message}",
                style="{",
                rename_fields={
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "process": "pid",
                },
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s")
        )
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    # Alembic says at INFO which plugins it loaded and which dialect it found, four times a
    # start; api/db.py logs the one line that matters (the schema moved from one revision to
    # another). Its warnings still show.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


async def _prepare_database(settings: Settings) -> None:
    """Migrate the schema to the latest revision, and seed the demo catalogue on first start."""
    from api.db import catalogue_is_empty, create_engine, migrate  # noqa: PLC0415
    from api.demo import seed_demo  # noqa: PLC0415

    engine = create_engine(settings)
    try:
        await migrate(engine)
        if await catalogue_is_empty(engine):
            log.info(
                "empty database: seeding the demo catalogue (%d products)", settings.demo_products
            )
            await seed_demo(
                engine, products=settings.demo_products, seed=settings.demo_seed, progress=True
            )
    finally:
        await engine.dispose()


def _metrics_port(settings: Settings, index: int) -> list[str]:
    """The --metrics-port of a supervisor's child `index`: numbered up from
    VITRINE_METRICS_PORT, so each process has its own (none when that is 0)."""
    return ["--metrics-port", str(settings.metrics_port + index if settings.metrics_port else 0)]


def _api_children(settings: Settings, workers: int, first_index: int = 0) -> list[Child]:
    return [
        Child(
            f"api-worker-{n}",
            [
                *[sys.executable, "-m", "ops.cli", "api-worker", "--bind", endpoint],
                *_metrics_port(settings, first_index + n),
            ],
            ready_address=_tcp_address(endpoint),
        )
        for n, endpoint in enumerate(worker_endpoints(settings.api_endpoint, workers))
    ]


def _tcp_address(endpoint: str) -> tuple[str, int] | None:
    """(host, port) of a tcp:// ZeroMQ endpoint a worker binds once it is ready; None otherwise."""
    scheme, _, rest = endpoint.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme != "tcp" or not port.isascii() or not port.isdigit():
        return None
    return ("127.0.0.1" if host in ("*", "0.0.0.0") else host, int(port))  # noqa: S104


def command_api(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_prepare_database(settings))
    return Supervisor(_api_children(settings, args.workers or settings.api_workers)).run()


def command_api_worker(settings: Settings, args: argparse.Namespace) -> int:
    from api.worker import serve_worker  # noqa: PLC0415

    if args.metrics_port is not None:
        settings = dataclasses.replace(settings, metrics_port=args.metrics_port)
    asyncio.run(serve_worker(settings, args.bind, http=not args.no_http))
    return 0


def command_front(settings: Settings, args: argparse.Namespace) -> int:
    if args.metrics_port is not None:
        settings = dataclasses.replace(settings, metrics_port=args.metrics_port)
    if args.url:
        settings = dataclasses.replace(settings, front_url=args.url)
    return _serve_front_on_port(settings, with_api=True)


def _serve_front_on_port(settings: Settings, *, with_api: bool) -> int:
    """Serve a front; a port someone else holds is one line naming the setting, not a traceback."""
    from web.server import serve_front  # noqa: PLC0415

    try:
        asyncio.run(serve_front(settings, with_api=with_api))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"vitrine: {settings.front_url} is in use by another program: stop it, or set "
            "VITRINE_FRONT to another address (e.g. VITRINE_FRONT=http://127.0.0.1:8001)",
            file=sys.stderr,
        )
        return 2
    return 0


def command_preview(settings: Settings, _args: argparse.Namespace) -> int:
    # The preview exists only in debug mode, and needs no API.
    settings = dataclasses.replace(settings, debug=True)
    print(f"Vitrine template preview on {settings.front_url}/_preview/", flush=True)
    return _serve_front_on_port(settings, with_api=False)


# Capturing waits this long for a page; a debug front renders any page well within it.
CAPTURE_TIMEOUT_SECONDS = 30


def command_fixtures(_settings: Settings, args: argparse.Namespace) -> int:
    """`vitrine fixtures capture URL...`: store each page's context beside its template."""
    from web.fixtures import FixtureError, check_name, save_fixture  # noqa: PLC0415
    from web.handlers.base import CAPTURE_HEADER  # noqa: PLC0415

    if args.name and len(args.urls) > 1:
        print("vitrine: --name names one capture: give one URL", file=sys.stderr)
        return 2
    for url in args.urls:
        if urlsplit(url).scheme not in {"http", "https"}:
            print(f"vitrine: {url!r} is not an http(s) URL", file=sys.stderr)
            return 2
        request = urllib.request.Request(url, headers={CAPTURE_HEADER: "1"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=CAPTURE_TIMEOUT_SECONDS) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as error:  # 400, 404, 410 pages are worth capturing too
            body = error.read()
        except OSError as error:
            print(f"vitrine: cannot fetch {url}: {error}", file=sys.stderr)
            return 1
        try:
            answer = json.loads(body)
            name = check_name(args.name or fixture_name_for(url))
            path = save_fixture(answer["template"], name, answer["context"], args.into)
        except (ValueError, KeyError, TypeError) as error:
            hint = "" if isinstance(error, FixtureError) else " (is that front in VITRINE_DEBUG=1?)"
            print(f"vitrine: {url} gave no page context{hint}: {error}", file=sys.stderr)
            return 1
        print(f"{url} -> {path} (status {answer.get('status')})")
    return 0


def fixture_name_for(url: str) -> str:
    """A name from the URL: /c/women?brand=Kestrel -> c-women-brand-kestrel."""
    parts = urlsplit(url)
    words = re.sub(r"[^a-z0-9]+", "-", f"{parts.path} {parts.query}".lower()).strip("-")
    return words[:80].strip("-") or "home"


def command_run(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(_prepare_database(settings))
    print(
        f"Vitrine: the shop on {settings.front_url}; the API on "
        f"{', '.join(settings.api_endpoints)}, the JSON API's public face on "
        f"{settings.api_public_http_url}/api/v1/ (internal: {settings.api_http_url}). "
        "Ctrl-C stops everything.",
        flush=True,
    )
    front = Child("front", [sys.executable, "-m", "ops.cli", "front", *_metrics_port(settings, 0)])
    # Workers first, each waited for: the front's first page finds them answering.
    return Supervisor([*_api_children(settings, settings.api_workers, 1), front]).run()


def command_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from api.db import create_engine, migrate  # noqa: PLC0415

    async def run() -> None:
        engine = create_engine(settings)
        try:
            await migrate(engine, args.revision)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"database schema at {args.revision}")
    return 0


def command_nginx_config(settings: Settings, args: argparse.Namespace) -> int:
    """Render nginx.conf for these settings and say how to start nginx on it."""
    from ops.nginx import NginxParams, nginx_command, render_nginx_conf  # noqa: PLC0415

    try:
        params = NginxParams.from_settings(settings)
        if args.no_microcache:
            params = params.replace(microcache=False)
        path = render_nginx_conf(params, args.output or settings.nginx_dir)
    except ValueError as error:
        print(f"vitrine: {error}", file=sys.stderr)
        return 2
    print(path)
    print("start it with: " + " ".join(nginx_command(path)[:-2]), file=sys.stderr)
    return 0


def _nginx_url(listen: str) -> str:
    """The address shoppers reach nginx on, from its `listen` (8080, *:8080, 127.0.0.1:8080)."""
    host, _, port = listen.rpartition(":")
    if host in ("", "*", "0.0.0.0"):  # noqa: S104 - read, not bound
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def command_serve(settings: Settings, args: argparse.Namespace) -> int:
    """The production shape on one host: nginx, the fronts of VITRINE_FRONTS, the API workers,
    all supervised; workers register and fronts discover them (docs/operations.md)."""
    from ops.nginx import NginxParams, nginx_command, render_nginx_conf  # noqa: PLC0415

    workers = max(args.workers or settings.api_workers, MIN_SERVE_WORKERS)
    asyncio.run(_prepare_database(settings))
    conf = render_nginx_conf(NginxParams.from_settings(settings), settings.nginx_dir)
    # The fronts, and the JSON API's public face, believe X-Real-IP from nginx on this host,
    # unless told otherwise; shoppers reach the site through nginx, so canonical and Open Graph
    # links name nginx's address by default.
    shared = {
        "VITRINE_API_DISCOVERY": "on",
        "VITRINE_TRUSTED_PROXIES": ",".join(settings.trusted_proxies) or "127.0.0.1",
        "VITRINE_PUBLIC_URL": settings.public_url or _nginx_url(settings.nginx_listen),
    }
    front_env = shared
    fronts = [
        Child(
            f"front-{n}",
            [
                *[sys.executable, "-m", "ops.cli", "front", "--url", url],
                *_metrics_port(settings, n),
            ],
            env=front_env,
        )
        for n, url in enumerate(settings.front_urls)
    ]
    api_workers = _api_children(settings, workers, len(fronts))
    for child in api_workers:
        child.env = shared
    print(
        f"Vitrine (production shape): the shop on http://{settings.nginx_listen} through nginx "
        f"({conf}); fronts on {', '.join(settings.front_urls)}; {workers} API workers from "
        f"{settings.api_endpoint}; the public JSON API on http://{settings.nginx_listen}/api/v1/. "
        "Ctrl-C stops everything.",
        flush=True,
    )
    nginx = Child("nginx", nginx_command(conf))
    return Supervisor([*api_workers, *fronts, nginx]).run()


def command_seed(settings: Settings, args: argparse.Namespace) -> int:
    from api.db import create_engine  # noqa: PLC0415
    from api.demo import seed_demo  # noqa: PLC0415

    async def seed() -> None:
        engine = create_engine(settings)
        try:
            summary = await seed_demo(engine, products=args.products, seed=args.seed, progress=True)
        finally:
            await engine.dispose()
        print(summary)

    asyncio.run(seed())
    return 0


def command_reviews(settings: Settings, args: argparse.Namespace) -> int:
    from ops.moderation import run  # noqa: PLC0415

    if args.action != "pending" and args.review_id is None:
        print(f"vitrine: reviews {args.action} needs a review id", file=sys.stderr)
        return 2
    return run(settings, args.action, args.review_id or 0, args.limit, sys.stdout)


def command_import(settings: Settings, args: argparse.Namespace) -> int:
    """`vitrine import FILE`: a catalogue (or stock) from CSV or JSON Lines (docs/import.md)."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from api.catalogue_import.options import ImportOptions  # noqa: PLC0415
    from api.catalogue_import.reading import FileError  # noqa: PLC0415
    from api.catalogue_import.run import import_catalogue  # noqa: PLC0415
    from api.db import create_engine, migrate  # noqa: PLC0415

    if args.stock_only and args.discontinue_missing:
        print(
            "vitrine: --discontinue-missing needs the whole catalogue, not a stock feed",
            file=sys.stderr,
        )
        return 2
    options = ImportOptions(
        file_format=args.format,
        stock_only=args.stock_only,
        skip_bad_rows=args.skip_bad_rows,
        discontinue_missing=args.discontinue_missing,
        dry_run=args.dry_run,
        batch_rows=args.batch_rows,
        currency=args.currency,
        progress=not args.quiet,
    )

    async def run() -> int:
        engine = create_engine(settings)
        try:
            await migrate(engine)
            report = await import_catalogue(engine, args.file, options)
        except FileError as error:
            print(f"vitrine: {error}; nothing was imported", file=sys.stderr)
            return 2
        except SQLAlchemyError as error:
            # Rolled back: a database that refused a write (locked too long, gone, read-only).
            print(f"vitrine: the database failed: {error}; nothing was imported", file=sys.stderr)
            return 1
        finally:
            await engine.dispose()
        print("\n".join(report.summary()))
        for line in report.problem_lines():
            print(line, file=sys.stderr)
        print(report.outcome(), file=sys.stderr if report.bad_rows else sys.stdout)
        return 1 if report.bad_rows else 0

    return asyncio.run(run())


def command_seo_audit(_settings: Settings, args: argparse.Namespace) -> int:
    from ops.seo_audit import run_audit  # noqa: PLC0415

    parts = urlsplit(args.base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        print(f"vitrine: {args.base_url!r} is not an http(s) URL", file=sys.stderr)
        return 2
    return run_audit(args.base_url, args.report, args.max_urls)


def _parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vitrine", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="seed if empty and start the whole site")
    serve = commands.add_parser(
        "serve", help="the production shape: nginx, the fronts of VITRINE_FRONTS, API workers"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help=f"API worker processes, at least {MIN_SERVE_WORKERS} (default VITRINE_API_WORKERS)",
    )
    api = commands.add_parser("api", help="start the API workers (ZeroMQ and HTTP JSON)")
    api.add_argument(
        "--workers",
        type=int,
        default=0,
        help=f"worker processes (default VITRINE_API_WORKERS={settings.api_workers})",
    )
    metrics_help = (
        f"Prometheus /metrics port, 0: none (VITRINE_METRICS_PORT={settings.metrics_port})"
    )
    front = commands.add_parser("front", help="one storefront process (the API must be running)")
    front.add_argument(
        "--url", default="", help=f"where to serve (VITRINE_FRONT={settings.front_url})"
    )
    front.add_argument("--metrics-port", type=int, default=None, help=metrics_help)
    worker = commands.add_parser("api-worker", help="one API worker in this process")
    worker.add_argument("--bind", default=settings.api_endpoint, help="ZeroMQ endpoint to bind")
    worker.add_argument("--no-http", action="store_true", help="serve ZeroMQ only")
    worker.add_argument("--metrics-port", type=int, default=None, help=metrics_help)
    commands.add_parser(
        "preview",
        help="serve only the template preview (/_preview/) on VITRINE_FRONT; no API needed",
    )
    fixtures = commands.add_parser("fixtures", help="template fixtures (see docs/templates.md)")
    fixture_commands = fixtures.add_subparsers(dest="fixtures_command", required=True)
    capture = fixture_commands.add_parser(
        "capture",
        help="fetch pages from a front in debug mode and store each context beside its template",
    )
    capture.add_argument("urls", nargs="+", metavar="URL")
    capture.add_argument("--name", default="", help="the fixture's name (default: from the URL)")
    capture.add_argument(
        "--into", type=Path, default=TEMPLATES_DIR, help="the templates folder to write into"
    )
    keys = commands.add_parser(
        "keys", help="make CURVE certificates for fronts and workers (docs/operations.md)"
    )
    keys.add_argument(
        "--dir", type=Path, default=None, help="where (default VITRINE_CURVE_KEYS or var/keys)"
    )
    keys.add_argument(
        "--front", default="", help="only one more front's key pair, by this name (front-2...)"
    )
    nginx = commands.add_parser(
        "nginx-config",
        help="render nginx.conf from VITRINE_NGINX_* and VITRINE_FRONTS; prints its path",
    )
    nginx.add_argument(
        "--output", type=Path, default=None, help="folder to render into (VITRINE_NGINX_DIR)"
    )
    nginx.add_argument("--no-microcache", action="store_true", help="no one-second page cache")
    migrate = commands.add_parser(
        "migrate", help="run the schema migrations (api/migrations/) on VITRINE_DATABASE_URL"
    )
    migrate.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    seed = commands.add_parser("seed", help="replace the catalogue with a generated demo one")
    seed.add_argument("--products", type=int, default=settings.demo_products)
    seed.add_argument("--seed", type=int, default=settings.demo_seed)
    moderation = commands.add_parser(
        "reviews", help="the reviews held for moderation: list them, publish or reject one"
    )
    moderation.add_argument("action", choices=("pending", "publish", "reject"))
    moderation.add_argument("review_id", nargs="?", type=int, help="the review's id (#N)")
    moderation.add_argument("--limit", type=int, default=50, help="most held reviews to list")
    _import_parser(commands)
    audit = commands.add_parser(
        "seo-audit",
        help="crawl a site as a search engine would and report SEO errors (exit 1 on any)",
    )
    audit.add_argument("base_url", metavar="BASE_URL", help="such as http://127.0.0.1:8000")
    audit.add_argument(
        "--report", type=Path, default=Path("var/seo-audit.json"), help="the JSON report's path"
    )
    audit.add_argument(
        "--max-urls", type=int, default=10_000, help="most pages and links to fetch (default 10000)"
    )
    return parser


def _import_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from api.catalogue_import.options import (  # noqa: PLC0415
        DEFAULT_BATCH_ROWS,
        DEFAULT_CURRENCY,
        FORMATS,
    )

    command = commands.add_parser(
        "import",
        help="load products, variants, stock, prices and images from CSV or JSON Lines, "
        "upserting by SKU (docs/import.md)",
    )
    command.add_argument("file", type=Path, metavar="FILE")
    command.add_argument(
        "--format", choices=FORMATS, default="", help="csv or jsonl (default: the extension)"
    )
    command.add_argument(
        "--stock-only", action="store_true", help="a stock feed: update the stock of each sku"
    )
    command.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the good rows when some are bad (default: nothing when any row is bad)",
    )
    command.add_argument(
        "--discontinue-missing",
        action="store_true",
        help="the file is the whole catalogue: discontinue live products it does not list",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="check and count everything, write nothing"
    )
    command.add_argument(
        "--batch-rows",
        type=int,
        default=DEFAULT_BATCH_ROWS,
        help=f"rows read and written together (default {DEFAULT_BATCH_ROWS})",
    )
    command.add_argument(
        "--currency",
        default=DEFAULT_CURRENCY,
        help=f"of new products whose rows name none (default {DEFAULT_CURRENCY})",
    )
    command.add_argument("--quiet", action="store_true", help="no progress bar")


def command_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Make the CURVE certificates; print what to copy where and which settings to set."""
    from ops.keys import KeysExist, make_keys  # noqa: PLC0415

    directory = args.dir or settings.curve_keys_dir
    try:
        written = make_keys(directory, args.front)
    except (KeysExist, OSError, ValueError) as error:
        print(f"vitrine: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"{oct(path.stat().st_mode & 0o777)} {path}")
    print(
        f"One host: VITRINE_CURVE_KEYS={directory} for every front and worker. Hosts of their "
        "own: workers get worker.key_secret and allowed_fronts/ (VITRINE_CURVE_WORKER_SECRET, "
        "VITRINE_CURVE_ALLOWED_FRONTS), fronts their .key_secret and worker.key "
        "(VITRINE_CURVE_FRONT_SECRET, VITRINE_CURVE_WORKER_PUBLIC); see docs/operations.md.",
        file=sys.stderr,
    )
    return 0


COMMANDS = {
    "keys": command_keys,
    "run": command_run,
    "serve": command_serve,
    "api": command_api,
    "api-worker": command_api_worker,
    "front": command_front,
    "preview": command_preview,
    "fixtures": command_fixtures,
    "seed": command_seed,
    "import": command_import,
    "seo-audit": command_seo_audit,
    "reviews": command_reviews,
    "migrate": command_migrate,
    "nginx-config": command_nginx_config,
}


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        if (sys.argv[1:] if argv is None else argv)[:1] != ["keys"]:
            print(f"vitrine: {error}", file=sys.stderr)
            return 2
        # VITRINE_CURVE_KEYS may name the folder `vitrine keys --dir` is about to fill.
        settings = Settings()
    args = _parser(settings).parse_args(argv)
    if (
        getattr(args, "workers", 0) < 0
        or getattr(args, "products", 1) < 1
        or getattr(args, "max_urls", 1) < 1
        or getattr(args, "limit", 1) < 1
        or (getattr(args, "review_id", None) or 1) < 1
        or getattr(args, "batch_rows", 1) < 1
    ):
        print(
            "vitrine: --workers, --products, --max-urls, --limit, --batch-rows and ids must be"
            " positive",
            file=sys.stderr,
        )
        return 2
    _configure_logging(settings)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
