"""A worker process killed with SIGKILL mid fan-out, then started again under the same name:
everyone gets the message, duplicates stay within the bound the README states (the messages in
flight), and the restart takes its predecessor's claims over at once instead of waiting out the
lease (issue 16, defect 4)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from asyncio.subprocess import Process
from pathlib import Path

from storage import open_store
from storage.outbox import NewMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import WAIT_FOR_GO, Deliveries, add_people, go
from tests.support import TEST_NOW
from udx_bot.types import Reply

RECIPIENTS = 300
CONCURRENCY = 16  # the worker's sends in flight: the bound on duplicates after a kill
WORKER = f"""
import asyncio, sys
from datetime import timedelta
from storage import open_store
from storage.outbox import NewMessage
from tests.outbox_support import running_clock
from tests.support import TEST_NOW
from udx_bot.config import Settings
from udx_bot.outbox_wiring import routes
from udx_bot.outbox_worker import OutboxWorker

async def main():
    settings = Settings.from_env()
    store = await open_store(settings.database_url, schema=sys.argv[1] or None)
    worker = OutboxWorker(
        store, routes(settings), clock=running_clock(TEST_NOW + timedelta(seconds=1)),
        worker_name=settings.worker_name, concurrency=int(sys.argv[2]),
    )
    await worker.run_until_idle(within=20)
    await worker.stop()
    await store.close()

{WAIT_FOR_GO}
asyncio.run(main())
"""


async def _worker(url: str, schema: str | None, fake: FakeTelegram) -> Process:
    """A worker process, started; it runs once told (``go``)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": "123456:TEST",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "UDX_TELEGRAM_RATE": "400",  # cheap: seconds, not the 10 s that 30/s would take
        "UDX_WORKER_NAME": "worker-1",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, schema or "", str(CONCURRENCY),
        env=env, cwd=Path(__file__).parent.parent, stdin=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_a_killed_worker_restarted_finishes_the_fan_out_at_once(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    store = await open_store(url, schema=schema)
    try:
        async with FakeTelegram() as fake:
            delivered = Deliveries(fake)
            # both start while the people and rows are written; the second runs only once the
            # first is dead: a restart under the same name
            first, second = await _worker(url, schema, fake), await _worker(url, schema, fake)
            try:
                people = await add_people(store, RECIPIENTS, first_id=90_000, now=TEST_NOW)
                text = json.dumps([Reply.text("The network meets on Thursday.").to_json()])
                rows = [
                    NewMessage(f"kill:{pid}", "test", "telegram", chat, chat, text, pid)
                    for pid, chat in people
                ]
                assert await store.outbox.enqueue_many(rows, now=TEST_NOW) == RECIPIENTS

                await go(first)
                while delivered.total() < RECIPIENTS // 3 and first.returncode is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
                first.send_signal(signal.SIGKILL)
                await first.wait()
                assert 0 < delivered.total() < RECIPIENTS  # killed mid fan-out

                # the same name: takes the dead worker's claims over, no waiting out the lease
                await go(second)
                assert await asyncio.wait_for(second.wait(), 60) == 0
            finally:
                for proc in (first, second):
                    if proc.returncode is None:
                        proc.kill()
                        await proc.wait()

            copies = delivered.copies()
            assert {int(chat) for _, chat in people} == set(copies)  # everyone got it
            duplicates = sum(n - 1 for n in copies.values())
            assert duplicates <= CONCURRENCY  # at most the sends in flight when it was killed
        assert await store.outbox.next_due() is None  # nothing left waiting for a lease
    finally:
        await store.close()
