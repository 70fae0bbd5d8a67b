"""``udx-bot export notes|participants|introductions [--format csv|json] [--output FILE]``
(stdout without --output). People who chose ``/profile anonymous on`` appear by city and
department only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from udx_bot.app import database
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.i18n import LANGUAGES, Translator
from udx_bot.reports.exports import FORMATS, KINDS, export


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "export",
        help="notes, participants or introductions as CSV or JSON (anonymous people unnamed)",
    )
    cmd.add_argument("kind", choices=KINDS)
    cmd.add_argument("--format", choices=FORMATS, default="csv")
    cmd.add_argument("--output", type=Path, metavar="FILE", help="default: standard output")
    cmd.add_argument("--language", choices=LANGUAGES, help="default: UDX_DEFAULT_LANGUAGE")
    cmd.set_defaults(run=run_export)


async def run_export(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    t = Translator(args.language or settings.default_language, tz="UTC")
    async with database(settings) as store:
        content = await export(store, args.kind, args.format, t)
    try:
        emit(content, args.output)
    except OSError as error:
        print(f"udx-bot: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def emit(content: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(content.decode())
        sys.stdout.flush()
    else:
        output.write_bytes(content)
        print(output)
