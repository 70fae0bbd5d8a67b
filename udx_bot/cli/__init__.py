"""The ``udx-bot`` command line. Each group of subcommands lives in its own module here and
registers itself with :func:`register` (see COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from udx_bot.clock import Clock, system_clock
from udx_bot.config import ConfigError, Settings
from udx_bot.i18n import CatalogError, check_catalogs

COMMAND_MODULES = (
    "udx_bot.cli.chat",  # demo, console
    "udx_bot.cli.data",  # migrate, import
    "udx_bot.cli.run",  # run
    "udx_bot.cli.digest",  # digest send|preview
    "udx_bot.cli.people",  # grant, revoke, import participants
    "udx_bot.cli.announce",  # announce
)


def version() -> str:
    """The installed distribution's version (pyproject.toml's, once installed)."""
    try:
        return metadata.version("udx-bot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="udx-bot",
        description="Chat bot for the Urban Diplomacy Exchange partner-city network. "
        "Configuration comes from the environment (DATABASE_URL, TELEGRAM_BOT_TOKEN, "
        "SLACK_BOT_TOKEN, UDX_*; see README.md).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (DEBUG)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock = system_clock) -> int:
    """The entry point: the wiring that hands every command the clock (tests pass a fake)."""
    # python-telegram-bot 22: durations as timedelta (the coming default; silences its warning)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else getattr(args, "log_level", logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        check_catalogs()  # a broken install stops here, not with English for German speakers
    except CatalogError as error:
        print(f"udx-bot: {error}", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"udx-bot: {error}", file=sys.stderr)
        return 2
    try:
        code: int = asyncio.run(args.run(args, settings, clock))
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
