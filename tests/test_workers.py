"""Several workers on one PostgreSQL (issue 15): two worker processes drain 2,000 outbox rows
against the fake Bot API, each row delivered once, the two together within the platform's
limit (one sender per platform, elected by an advisory lock); the sender killed with SIGKILL
mid-drain: the other takes over, every row is delivered once the dead one's lease has passed,
duplicates at most what it had in flight. The scheduler's jobs and Telegram long polling run
in one worker at a time. On SQLite a second worker on the same file is refused with one line."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import os
import signal
import sys
import time
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage import Store, open_store
from storage.locks import LOCK_NAMESPACE, Leadership
from storage.outbox import NewMessage
from storage.tables import outbox
from tests.fakes.telegram_api import FakeTelegram, visible_text
from tests.outbox_support import WAIT_FOR_GO, Deliveries, add_people, go
from tests.support import TEST_NOW
from tests.telegram_support import with_telegram
from udx_bot import runner
from udx_bot.context import Services
from udx_bot.exclusive import Exclusive
from udx_bot.platforms.telegram import TelegramService
from udx_bot.scheduler import SchedulerService
from udx_bot.types import Reply

ROOT = Path(__file__).resolve().parent.parent
RATE = 400.0  # each worker's UDX_TELEGRAM_RATE: the budget of the whole deployment
FAKE_RATE = 440.0  # the fake's limit: two senders at once would get 429s by the hundred
CONCURRENCY = 16
WAIT = 90.0
WORKER = f"""
import asyncio, sys
from datetime import timedelta
from storage import open_store
from tests.outbox_support import running_clock
from tests.support import TEST_NOW
from udx_bot.config import Settings
from udx_bot.outbox_wiring import routes
from udx_bot.outbox_worker import OutboxWorker

async def main():
    settings = Settings.from_env()
    store = await open_store(settings.database_url, schema=sys.argv[1])
    worker = OutboxWorker(
        store, routes(settings), clock=running_clock(TEST_NOW + timedelta(seconds=1)),
        worker_name=settings.worker_name, concurrency=int(sys.argv[2]),
        lease=timedelta(seconds=float(sys.argv[3])), poll_interval=0.2,
    )
    await worker.start()  # the service's loop, as udx-bot worker runs it
    while await store.outbox.next_due() is not None:
        await asyncio.sleep(0.2)
    await worker.stop()
    await store.close()

{WAIT_FOR_GO}
asyncio.run(main())
"""


@pytest.fixture
async def pg_store(pg_seeded: tuple[str, str]) -> AsyncIterator[tuple[Store, str, str]]:
    url, schema = pg_seeded
    store = await open_store(url, schema=schema)
    try:
        yield store, url, schema
    finally:
        await store.close()


async def kill_holder(store: Store, lock: Leadership) -> None:
    """End the database session that holds ``lock`` (a crash, a fail-over)."""
    async with store.db.write() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
                "granted AND classid = :ns AND objid = (hashtext(:key)::bigint & 4294967295)::oid"
            ),
            {"ns": LOCK_NAMESPACE, "key": lock.key},
        )


async def _fan_out(store: Store, count: int) -> None:
    people = await add_people(store, count, first_id=60_000, now=TEST_NOW)
    text = json.dumps([Reply.text("The network meets on Thursday.").to_json()])
    rows = [
        NewMessage(f"two:{pid}", "test", "telegram", chat, chat, text, pid) for pid, chat in people
    ]
    assert await store.outbox.enqueue_many(rows, now=TEST_NOW) == count


async def _worker(url: str, schema: str, fake: FakeTelegram, name: str, lease: float) -> Process:
    """A worker process, started; it runs once told (``go``)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": "123456:TEST",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "UDX_TELEGRAM_RATE": str(RATE),
        "UDX_WORKER_NAME": name,
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, schema, str(CONCURRENCY), str(lease),
        env=env, cwd=ROOT, stdin=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _finish(*procs: Process) -> None:
    try:
        for proc in procs:
            if proc.returncode is None:
                assert await asyncio.wait_for(proc.wait(), WAIT) == 0
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_two_workers_deliver_2000_rows_once_within_the_platform_limit(
    pg_store: tuple[Store, str, str],
) -> None:
    store, url, schema = pg_store
    count = 2000
    async with FakeTelegram(global_rate=FAKE_RATE) as fake:
        delivered = Deliveries(fake)
        procs = [await _worker(url, schema, fake, f"w{n}", lease=60) for n in (1, 2)]
        try:
            await _fan_out(store, count)  # while the two start
            for proc in procs:
                await go(proc)
            async with asyncio.timeout(WAIT):
                # both running (one may still be connecting): measure from a quarter on
                while delivered.total() < count // 4:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                started, at_start = time.monotonic(), delivered.total()
                while delivered.total() < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                elapsed = time.monotonic() - started
        finally:
            await _finish(*procs)
        copies = delivered.copies()
        assert len(copies) == count and set(copies.values()) == {1}  # each exactly once
        assert fake.count_429 == 0  # the two never sent at once
    fraction = (count - at_start) / elapsed / RATE
    assert fraction <= 1.05, fraction  # the combined rate within the deployment's budget
    assert await store.outbox.next_due() is None


async def test_the_sender_killed_mid_drain_is_taken_over_after_its_lease(
    pg_store: tuple[Store, str, str],
) -> None:
    store, url, schema = pg_store
    count, lease = 1200, 2.0
    async with FakeTelegram(global_rate=FAKE_RATE) as fake:
        delivered = Deliveries(fake)
        procs = {n: await _worker(url, schema, fake, n, lease=lease) for n in ("k1", "k2")}
        try:
            await _fan_out(store, count)  # while the two start
            for proc in procs.values():
                await go(proc)
            async with asyncio.timeout(WAIT):
                while delivered.total() < count // 3:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            async with store.db.read() as conn:
                claimers = set(
                    (
                        await conn.execute(
                            select(outbox.c.claimed_by).where(
                                outbox.c.status == "pending", outbox.c.claimed_by.is_not(None)
                            )
                        )
                    ).scalars()
                )
            assert len(claimers) == 1, claimers  # one sender
            (sender,) = claimers
            procs[sender].send_signal(signal.SIGKILL)
            assert await procs[sender].wait() == -signal.SIGKILL
            await _finish(*procs.values())
        finally:
            for proc in procs.values():
                if proc.returncode is None:
                    proc.kill()
        copies = delivered.copies()
        assert len(copies) == count  # everyone got it
        assert sum(n - 1 for n in copies.values()) <= CONCURRENCY  # at most the sends in flight
        assert fake.count_429 == 0
    assert await store.outbox.next_due() is None


async def test_one_leader_at_a_time_and_the_next_one_takes_over(
    pg_store: tuple[Store, str, str],
) -> None:
    store, url, schema = pg_store
    other = await open_store(url, schema=schema, migrate=False)
    first, second = Leadership(store.db, "test"), Leadership(other.db, "test")
    try:
        assert await first.hold() and not await second.hold()
        assert await first.hold()  # still ours
        await first.release()
        assert await second.hold() and not await first.hold()
        # the holder's connection dies (a crash, a fail-over): the lock goes with it
        await kill_holder(store, second)
        assert not await second.hold()  # noticed
        assert await first.hold()
    finally:
        await first.release()
        await second.release()
        await other.close()


async def test_the_scheduler_runs_in_one_worker_at_a_time(
    pg_store: tuple[Store, str, str], services: Services
) -> None:
    store, url, schema = pg_store
    other = await open_store(url, schema=schema, migrate=False)
    runs: Counter[str] = Counter()

    def job(name: str):  # type: ignore[no-untyped-def]
        async def run(_services: Services) -> None:
            runs[name] += 1

        return run

    a = SchedulerService(replace(services, store=store), jobs=[("tick", job("a"), 0.05)])
    b = SchedulerService(replace(services, store=other), jobs=[("tick", job("b"), 0.05)])
    try:
        await a.start()
        async with asyncio.timeout(WAIT):
            while runs["a"] < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await b.start()
        seen = runs["a"]
        async with asyncio.timeout(WAIT):
            while runs["a"] < seen + 5:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert runs["b"] == 0  # b's ticks did nothing while a led
        await a.stop()
        async with asyncio.timeout(WAIT):
            while runs["b"] < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        await a.stop()
        await b.stop()
        await other.close()


async def test_a_second_worker_on_one_sqlite_file_is_refused(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeTelegram() as fake:
        with_telegram(services, fake)
        stop = asyncio.Event()
        first = asyncio.create_task(runner.serve(services, stop, port=0, roles=runner.WORKER))
        await fake.wait_until(lambda: bool(fake.calls_to("setMyCommands")))  # it runs
        try:
            code = await runner.serve(services, asyncio.Event(), port=0, roles=runner.WORKER)
        finally:
            stop.set()
            assert await asyncio.wait_for(first, runner.STOP_TIMEOUT_S) == 0
        assert code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("udx-bot: another udx-bot worker (pid ") and "\n" not in err
        assert "PostgreSQL" in err
        # once the first is gone, a worker starts again
        stop = asyncio.Event()
        again = asyncio.create_task(runner.serve(services, stop, port=0, roles=runner.WORKER))
        await asyncio.sleep(0.2)
        stop.set()
        assert await asyncio.wait_for(again, runner.STOP_TIMEOUT_S) == 0


async def test_one_worker_polls_telegram_and_another_takes_over(
    pg_store: tuple[Store, str, str], services: Services
) -> None:
    store, url, schema = pg_store
    other = await open_store(url, schema=schema, migrate=False)
    async with FakeTelegram() as fake:
        with_telegram(services, fake)
        first_services = replace(services, store=store)
        second_services = replace(services, store=other)
        first = Exclusive(
            TelegramService(first_services, poll_timeout=dtm.timedelta(seconds=1)),
            store,
            retry=0.1,
        )
        second = Exclusive(
            TelegramService(second_services, poll_timeout=dtm.timedelta(seconds=1)),
            other,
            retry=0.1,
        )
        try:
            await first.start()
            await second.start()
            assert first.running and not second.running  # one poller
            fake.push_message(501, "/help")
            assert "Commands" in visible_text((await fake.wait_for_messages(501, within=10))[0])
            await first.stop()  # a deploy stops it: the one standing by polls within a retry
            async with asyncio.timeout(WAIT):
                while not second.running:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            fake.push_message(502, "/help")
            assert "Commands" in visible_text((await fake.wait_for_messages(502, within=10))[0])
        finally:
            await first.stop()
            await second.stop()
            await other.close()


async def test_a_poller_that_loses_its_lock_stops_and_polls_again_when_it_has_it_back(
    pg_store: tuple[Store, str, str], services: Services
) -> None:
    store, _, _ = pg_store
    async with FakeTelegram() as fake:
        with_telegram(services, fake)
        poller = Exclusive(
            TelegramService(replace(services, store=store), poll_timeout=dtm.timedelta(seconds=1)),
            store,
            retry=0.1,
        )
        try:
            await poller.start()
            assert poller.running
            await kill_holder(store, poller.leader)  # its lock's connection dies
            await fake.wait_until(lambda: len(fake.calls_to("getMe")) >= 2, within=WAIT)
            fake.push_message(503, "/help")
            assert "Commands" in visible_text((await fake.wait_for_messages(503, within=10))[0])
        finally:
            await poller.stop()


async def test_processes_starting_together_migrate_one_after_the_other(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    stores = await asyncio.gather(*(open_store(url, schema=schema) for _ in range(3)))
    try:
        for store in stores:
            assert await store.outbox.next_due() is None  # each found the schema complete
    finally:
        for store in stores:
            await store.close()
