"""SIGTERM to a real ``udx-bot worker`` process in the middle of a fan-out (platforms give ~30 s
before SIGKILL): it stops taking work, the sends in flight finish and are recorded, the rows it
had claimed but not sent are handed back at once, and it exits 0. One subprocess, a few seconds.
And stopping the scheduler lets a running job finish.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from storage import open_store
from storage.outbox import NewMessage
from storage.tables import outbox
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import add_people
from tests.support import TEST_NOW
from udx_bot.context import Services
from udx_bot.scheduler import SchedulerService
from udx_bot.types import Reply

ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = 200
WAIT = 60.0


async def test_sigterm_mid_fan_out_hands_claims_back_and_exits_0(sqlite_url: str) -> None:
    store = await open_store(sqlite_url)
    try:
        people = await add_people(store, RECIPIENTS, first_id=70_000, now=TEST_NOW)
        text = json.dumps([Reply.text("The network meets on Thursday.").to_json()])
        rows = [
            NewMessage(f"term:{pid}", "test", "telegram", chat, chat, text, pid)
            for pid, chat in people
        ]
        assert await store.outbox.enqueue_many(rows, now=TEST_NOW) == RECIPIENTS
        async with FakeTelegram() as fake:

            def delivered() -> Counter[object]:
                return Counter(c.chat_id for c in fake.calls if c.ok and c.method == "sendMessage")

            env = {k: v for k, v in os.environ.items() if not k.startswith(("UDX_", "TELEGRAM_"))}
            env.update(
                DATABASE_URL=sqlite_url.replace("sqlite+aiosqlite", "sqlite"),
                TELEGRAM_BOT_TOKEN="123456:TEST",
                TELEGRAM_API_BASE_URL=fake.base_url,
                UDX_TELEGRAM_RATE="40",  # 5 s for everyone: SIGTERM comes long before
                UDX_WORKER_NAME="worker-term",
                PYTHONPATH=str(ROOT),
            )
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "udx_bot", "worker",
                env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                async with asyncio.timeout(WAIT):
                    while sum(delivered().values()) < 20 and proc.returncode is None:  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
                proc.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(proc.communicate(), WAIT)
            finally:
                if proc.returncode is None:
                    proc.kill()
            assert proc.returncode == 0, err.decode()
            assert b"Traceback" not in err, err.decode()
            copies = delivered()
        async with store.db.read() as conn:
            found = (
                await conn.execute(
                    select(
                        outbox.c.user_id,
                        outbox.c.status,
                        outbox.c.claimed_by,
                        outbox.c.next_attempt_at,
                        outbox.c.sent_at,
                    ).where(outbox.c.key.like("term:%"))
                )
            ).all()
        sent = {row.user_id for row in found if row.status == "sent"}
        assert 0 < len(sent) < RECIPIENTS  # stopped mid fan-out
        assert set(copies) == {int(user) for user in sent}  # what was sent is recorded as sent
        assert all(n == 1 for n in copies.values())
        left = [row for row in found if row.status != "sent"]
        assert left and all((r.status, r.claimed_by) == ("pending", None) for r in left)
        # handed back due at once, not after the 5-minute lease
        last_sent = max(row.sent_at for row in found if row.sent_at is not None)
        assert all(r.next_attempt_at < last_sent + timedelta(minutes=1) for r in left)

    finally:
        await store.close()


async def test_stopping_the_scheduler_lets_a_running_job_finish(services: Services) -> None:
    gate, started, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow(_services: Services) -> None:
        started.set()
        await gate.wait()
        finished.set()

    scheduler = SchedulerService(services, jobs=[("slow", slow, 3600.0)])
    await scheduler.start()
    await asyncio.wait_for(started.wait(), WAIT)
    stopping = asyncio.create_task(scheduler.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done() and not finished.is_set()  # not cancelled: still running
    gate.set()
    await asyncio.wait_for(stopping, WAIT)
    assert finished.is_set()
