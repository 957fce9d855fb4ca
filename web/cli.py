"""The `vitrine` command: run the site, the API workers, or seed the demo catalogue."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from web.config import ConfigError, Settings, load_settings, worker_endpoints
from web.supervisor import Child, Supervisor

log = logging.getLogger("vitrine")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s",
        stream=sys.stderr,
    )


async def _prepare_database(settings: Settings) -> None:
    """Create the schema, and seed the demo catalogue on first start."""
    from api.db import catalogue_is_empty, create_engine, create_schema  # noqa: PLC0415
    from api.demo import seed_demo  # noqa: PLC0415

    engine = create_engine(settings)
    try:
        await create_schema(engine)
        if await catalogue_is_empty(engine):
            log.info(
                "empty database: seeding the demo catalogue (%d products)", settings.demo_products
            )
            await seed_demo(
                engine, products=settings.demo_products, seed=settings.demo_seed, progress=True
            )
    finally:
        await engine.dispose()


def _api_children(settings: Settings, workers: int) -> list[Child]:
    return [
        Child(
            f"api-worker-{n}", [sys.executable, "-m", "web.cli", "api-worker", "--bind", endpoint]
        )
        for n, endpoint in enumerate(worker_endpoints(settings.api_endpoint, workers))
    ]


def command_api(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_prepare_database(settings))
    return Supervisor(_api_children(settings, args.workers or settings.api_workers)).run()


def command_api_worker(settings: Settings, args: argparse.Namespace) -> int:
    from api.worker import serve_worker  # noqa: PLC0415

    asyncio.run(serve_worker(settings, args.bind, http=not args.no_http))
    return 0


def command_front(settings: Settings, _args: argparse.Namespace) -> int:
    from web.server import serve_front  # noqa: PLC0415

    asyncio.run(serve_front(settings))
    return 0


def command_run(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(_prepare_database(settings))
    print(
        f"Vitrine: the shop on {settings.front_url}; the API on "
        f"{', '.join(settings.api_endpoints)} and {settings.api_http_url}/api/v1/. "
        "Ctrl-C stops everything.",
        flush=True,
    )
    front = Child("front", [sys.executable, "-m", "web.cli", "front"])
    return Supervisor([*_api_children(settings, settings.api_workers), front]).run()


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


def _parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vitrine", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="seed if empty and start the whole site")
    api = commands.add_parser("api", help="start the API workers (ZeroMQ and HTTP JSON)")
    api.add_argument(
        "--workers",
        type=int,
        default=0,
        help=f"worker processes (default VITRINE_API_WORKERS={settings.api_workers})",
    )
    commands.add_parser("front", help="one storefront process (the API must be running)")
    worker = commands.add_parser("api-worker", help="one API worker in this process")
    worker.add_argument("--bind", default=settings.api_endpoint, help="ZeroMQ endpoint to bind")
    worker.add_argument("--no-http", action="store_true", help="serve ZeroMQ only")
    seed = commands.add_parser("seed", help="replace the catalogue with a generated demo one")
    seed.add_argument("--products", type=int, default=settings.demo_products)
    seed.add_argument("--seed", type=int, default=settings.demo_seed)
    return parser


COMMANDS = {
    "run": command_run,
    "api": command_api,
    "api-worker": command_api_worker,
    "front": command_front,
    "seed": command_seed,
}


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"vitrine: {error}", file=sys.stderr)
        return 2
    args = _parser(settings).parse_args(argv)
    if getattr(args, "workers", 0) < 0 or getattr(args, "products", 1) < 1:
        print("vitrine: --workers and --products must be positive", file=sys.stderr)
        return 2
    _configure_logging(settings)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
