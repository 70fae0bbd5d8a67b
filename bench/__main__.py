"""``python -m bench``: generate a network, measure, print a markdown table, write JSON.

    python -m bench                          # 10,000 participants, 100,000 notes, SQLite
    python -m bench --quick --json out.json  # small sizes, for a CI smoke run
    python -m bench --database postgresql://postgres@127.0.0.1:5432/test --participants 2000

A PostgreSQL run works in a fresh database that is dropped afterwards (the role needs
CREATEDB); the SQLite default is a fresh file in a temporary directory. No threshold is
enforced: the exit status is 0 unless the benchmark itself fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "true")

from bench import figures as fig
from bench.generate import generate, progress_printer
from bench.report import document, markdown, write_json
from bench.report_figure import reports
from bench.slack_rtt import slack_rtt
from bench.sqlfloor import replayer_for
from bench.telegram_rtt import telegram_rtt
from bench.workers import fanout_two_workers
from handlers import build_router
from storage import Store, open_store
from udx_bot.clock import system_clock
from udx_bot.config import ConfigError, Settings, normalize_database_url
from udx_bot.context import Services

POOL_SIZE = Settings().concurrent_updates  # as the bot sizes its pool


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, help="participants to generate (10,000)")
    parser.add_argument("--notes", type=int, help="notes to generate (100,000)")
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a CI smoke run")
    parser.add_argument("--fanout", type=int, help="announcement recipients (1,500; quick: 30)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    parser.add_argument(
        "--rtt-ms", type=float, help="the slow fake Bot API's and Slack's delay per call, ms (80)"
    )
    args = parser.parse_args(argv)
    for name in ("participants", "notes", "fanout"):
        value = getattr(args, name)
        if value is not None and value < (1 if name != "notes" else 0):
            parser.error(f"--{name} must be positive")
    return args


def config_from(args: argparse.Namespace) -> fig.Config:
    config = fig.Config.quick(args.fanout) if args.quick else fig.Config()
    changes: dict[str, Any] = {}
    if args.participants is not None:
        changes["participants"] = args.participants
    if args.notes is not None:
        changes["notes"] = args.notes
    if args.fanout is not None:
        changes["fanout"] = args.fanout
    if args.rtt_ms is not None:
        changes["rtt_ms"] = args.rtt_ms
    from dataclasses import replace

    config = replace(config, **changes)
    return replace(config, fanout=min(config.fanout, config.participants))


@asynccontextmanager
async def fresh_database(url: str | None) -> AsyncIterator[tuple[Store, str | None, str]]:
    """(store, PostgreSQL schema or None, description) on an empty, migrated database."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="udx-bench-") as directory:
            store = await open_store(
                f"sqlite+aiosqlite:///{directory}/bench.sqlite3", pool_size=POOL_SIZE
            )
            try:
                yield store, None, "sqlite (fresh file)"
            finally:
                await store.close()
        return
    async_url = normalize_database_url(url)
    if async_url.startswith("sqlite"):
        store = await open_store(async_url, pool_size=POOL_SIZE)
        try:
            yield store, None, "sqlite"
        finally:
            await store.close()
        return
    from sqlalchemy import make_url, text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"udx_bench_{uuid.uuid4().hex[:12]}"

    async def execute(sql: str, url: str = async_url) -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    # A fresh database keeps the engine exactly as the bot runs it (pooled connections); a
    # schema (the tests' way) would need NullPool, a new connection per transaction, which
    # would dominate every latency figure.
    try:
        await execute(f'CREATE DATABASE "{name}"')
    except Exception as error:
        raise SystemExit(
            f"bench: cannot create a scratch database on {make_url(async_url).host} "
            f"(the role needs CREATEDB): {error}"
        ) from None
    bench_url = make_url(async_url).set(database=name).render_as_string(hide_password=False)
    try:
        store = await open_store(bench_url, pool_size=POOL_SIZE)
        try:
            yield store, None, f"postgresql (database {name}, dropped afterwards)"
        finally:
            await store.close()
    finally:
        await execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    config = config_from(args)
    values: dict[str, Any] = {}
    notes: dict[str, str] = {}
    extra: dict[str, Any] = {}
    started = time.perf_counter()
    async with fresh_database(args.database) as (store, schema, description):
        settings = Settings(database_url=str(store.db.engine.url))
        services = Services(
            settings=settings, store=store, router=build_router(), clock=system_clock
        )
        _say(f"bench: {description}")
        network = await generate(
            store,
            participants_count=config.participants,
            notes_count=config.notes,
            seed=config.seed,
            progress=progress_printer(),
            now=system_clock(),
        )
        replayer = await replayer_for(store.db.engine, schema)
        try:
            steps = (
                ("latency through the router and its SQL floor", fig.latency, (replayer,)),
                ("updates per second through python-telegram-bot", fig.telegram, ()),
                (
                    f"many people at once, {config.rtt_ms:g} ms per Bot API call",
                    telegram_rtt,
                    (),
                ),
                (f"many people at once on Slack, {config.rtt_ms:g} ms per call", slack_rtt, ()),
                ("digests", fig.digests, ()),
                ("the coordinators' report over every note", reports, ()),
                (f"fan-out to {config.fanout:,} Telegram recipients", fig.fanout, ()),
                ("the same fan-out by two worker processes", fanout_two_workers, ()),
            )
            peaks = extra["rss_mb_peak_after"] = {"generate": fig.rss().values["rss_mb"]}
            for title, step, more in steps:
                _say(f"bench: {title} …")
                result = await step(services, network, config, *more)  # type: ignore[operator]
                values.update(result.values)
                notes.update(result.notes)
                extra.update(result.extra)
                # where the process's peak memory grew (rss_mb is the peak of the whole run)
                peaks[step.__name__] = fig.rss().values["rss_mb"]
        finally:
            await replayer.close()
    result = fig.rss()
    values.update(result.values)
    metadata = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sizes": {
            "participants": config.participants,
            "notes": config.notes,
            "fanout": config.fanout,
            "repetitions": config.repetitions,
            "router_calls_per_repetition": config.calls,
            "telegram_updates_per_repetition": config.telegram_updates,
            "rtt_ms": config.rtt_ms,
            "rtt_chats": config.rtt_chats,
            "rtt_updates_per_chat": config.rtt_per_chat,
        },
        "database": description.split(" ")[0],
        "quick": bool(args.quick),
        "generate_s": round(network.seconds, 2),
        "total_s": round(time.perf_counter() - started, 1),
        **extra,
    }
    return document(values, notes, metadata)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        doc = asyncio.run(run(args))
    except ConfigError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    meta = doc["metadata"]
    values = {k: v for k, v in doc.items() if k != "metadata"}
    sizes = meta["sizes"]
    print(
        f"udx-bot benchmark, {meta['date']}: {meta['database']}, "
        f"{sizes['participants']:,} participants, {sizes['notes']:,} notes; "
        f"{meta['machine']['cores']} cores, Python {meta['machine']['python']}\n"
    )
    print(markdown(values, meta["notes"]))
    if args.json is not None:
        write_json(args.json, doc)
        print(f"\nbench: wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
