"""``udx-bot migrate`` and ``udx-bot import cities|partnerships FILE.csv``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from storage.engine import Database
from storage.migrate import upgrade
from udx_bot.app import database, warn_if_ephemeral
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.imports import ImportFailed, Progress, import_cities, import_partnerships


def register(sub: Any) -> None:
    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(run=run_migrate)
    imp = sub.add_parser("import", help="import cities or partnerships from a CSV file")
    kinds = imp.add_subparsers(dest="kind", metavar="KIND", required=True)
    cities = kinds.add_parser("cities", help="header: name,country,timezone,language")
    cities.add_argument("file", type=Path)
    cities.set_defaults(run=run_import, importer=import_cities)
    partnerships = kinds.add_parser("partnerships", help="header: city,partner_city,since")
    partnerships.add_argument("file", type=Path)
    partnerships.set_defaults(run=run_import, importer=import_partnerships)


async def run_migrate(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    warn_if_ephemeral(settings)
    db = Database.from_url(settings.database_url)
    try:
        await db.check()
        before, after = await upgrade(db)
    finally:
        await db.dispose()
    if before == after:
        print(f"schema is up to date (revision {after})")
    else:
        print(f"schema upgraded from {before or 'empty'} to {after}")
    return 0


def stderr_progress(label: str) -> Progress:
    def report(done: int, total: int) -> None:
        if total >= 1000:
            end = "\n" if done == total else ""
            print(f"\r{label}: {done}/{total} rows checked", end=end, file=sys.stderr, flush=True)

    return report


def stderr_notice(message: str) -> None:
    print(f"udx-bot: {message}", file=sys.stderr)


async def run_import(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    async with database(settings) as store:
        try:
            result = await args.importer(
                store, args.file, stderr_progress(str(args.file)), now=clock(), notice=stderr_notice
            )
        except ImportFailed as failure:
            print(failure, file=sys.stderr)
            return 1
    print(f"{args.file}: {result.created} {args.kind} added, {result.updated} updated")
    return 0
