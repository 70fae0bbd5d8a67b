"""``fanout_two_workers_*`` (PostgreSQL): the fan-out drained by two outbox worker processes at
once; both elect one sender per platform (storage/locks.py), so together they stay within the
deployment's one rate budget and send nothing twice."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from bench.figures import BOT_TOKEN, Config, Figures
from bench.generate import Network
from storage.outbox import NewMessage
from udx_bot.context import Services
from udx_bot.types import Reply

ROOT = Path(__file__).resolve().parent.parent


TWO_WORKERS_SCRIPT = """
import asyncio, signal
from storage import open_store
from udx_bot.clock import system_clock
from udx_bot.config import Settings
from udx_bot.outbox_wiring import routes
from udx_bot.outbox_worker import OutboxWorker

async def main():
    settings = Settings.from_env()
    store = await open_store(settings.database_url, migrate=False)
    worker = OutboxWorker(
        store, routes(settings), clock=system_clock, worker_name=settings.worker_name
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await worker.start()
    await stop.wait()
    await worker.stop()
    await store.close()

asyncio.run(main())
"""


async def fanout_two_workers(services: Services, network: Network, config: Config) -> Figures:
    """The same fan-out drained by two outbox worker processes on one PostgreSQL: the share of
    the configured rate the two reach together, and the duplicate sends (both elect one sender
    per platform, so the budget is the deployment's)."""
    figures = Figures()
    keys = ["fanout_two_workers_rate_fraction", "fanout_two_workers_dup"]
    if services.store.db.dialect != "postgresql":
        figures.unavailable(keys, "PostgreSQL only (SQLite runs one worker per database file)")
        return figures
    try:
        from tests.fakes.telegram_api import FakeTelegram
    except ImportError:
        figures.unavailable(keys, "tests.fakes is missing (run the benchmark from a checkout)")
        return figures

    recipients = network.participant_ids[: config.fanout]
    rate = services.settings.telegram_rate
    url = make_url(services.store.db.engine.url).render_as_string(hide_password=False)
    async with FakeTelegram(global_rate=rate, per_chat_rate=1) as fake:
        run_id = f"{time.time_ns()}"
        announcement = json.dumps([Reply.text("Bench: two workers, one budget.").to_json()])
        rows = [
            NewMessage(
                f"bench2:{run_id}:{pid}",
                "announcement",
                "telegram",
                network.user_ids[pid],
                network.user_ids[pid],
                announcement,
                pid,
            )
            for pid in recipients
        ]
        await services.store.outbox.enqueue_many(rows, now=services.clock())
        wanted = {int(network.user_ids[pid]) for pid in recipients}

        def sends() -> list[Any]:
            return [
                c for c in fake.calls if c.ok and c.method == "sendMessage" and c.chat_id in wanted
            ]

        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "UDX_TELEGRAM_RATE": f"{rate:g}",
            "PYTHONPATH": str(ROOT),
        }
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                TWO_WORKERS_SCRIPT,
                env={**env, "UDX_WORKER_NAME": f"bench-{n}"},
                cwd=ROOT,
            )
            for n in (1, 2)
        ]
        deadline = len(recipients) / rate * 3 + 60
        try:
            begin = time.perf_counter()
            while not sends() and time.perf_counter() - begin < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            started = time.perf_counter()  # from the first send: both have started by then
            while len({c.chat_id for c in sends()}) < len(wanted):
                if time.perf_counter() - started > deadline:
                    break
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            await asyncio.sleep(0.5)  # late duplicates would show up here
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
            for proc in procs:
                await proc.wait()
        done = sends()
        unique = len({c.chat_id for c in done})
        figures.values["fanout_two_workers_rate_fraction"] = round(unique / elapsed / rate, 3)
        figures.values["fanout_two_workers_dup"] = len(done) - unique
        figures.notes["fanout_two_workers_rate_fraction"] = (
            f"{len(recipients)} recipients, two worker processes, {rate:g}/s for the "
            f"deployment: {unique / elapsed:.1f}/s together, {fake.count_429} 429s"
        )
    return figures
