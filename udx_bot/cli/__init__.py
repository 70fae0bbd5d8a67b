"""The ``udx-bot`` command line. Each group of subcommands lives in its own module here and
registers itself with its ``register`` function (see COMMANDS)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from storage.engine import DatabaseUnavailable
from udx_bot import log_redaction, logs
from udx_bot.cli import announce, chat, data, digest, export, members, people, report, run
from udx_bot.clock import Clock, system_clock
from udx_bot.config import ConfigError, Settings
from udx_bot.i18n import CatalogError, check_catalogs

# Each group's ``register(subparsers)``, in the order ``udx-bot --help`` lists them.
COMMANDS: tuple[Callable[[Any], None], ...] = (
    chat.register,  # demo, console
    data.register,  # migrate, import
    run.register,  # run
    digest.register,  # digest send|preview
    people.register,  # grant, revoke, import participants
    members.register,  # invite, remove
    announce.register,  # announce
    report.register,  # report
    export.register,  # export notes|participants|introductions
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
        "SLACK_BOT_TOKEN, LOG_LEVEL, LOG_FORMAT, UDX_*; see README.md).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (DEBUG)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock = system_clock) -> int:
    """The entry point: the wiring that hands every command the clock (tests pass a fake)."""
    # python-telegram-bot 22: durations as timedelta (the coming default; silences its warning)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    parser = build_parser()
    args = parser.parse_args(argv)
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
    level = getattr(args, "log_level", logging.WARNING)  # the command's own
    if settings.log_level is not None:
        level = logging.getLevelName(settings.log_level)
    logs.configure(logging.DEBUG if args.verbose else level, settings.log_format)
    redacting = log_redaction.install(settings)  # no token or secret in the log, whatever logs it
    try:
        code: int = asyncio.run(args.run(args, settings, clock))
    except KeyboardInterrupt:
        return 130
    except DatabaseUnavailable as error:
        print(f"udx-bot: {redacting.redact(str(error))}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
