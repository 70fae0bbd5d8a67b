"""kill -9 in the middle of work, then a restart (issue 16's kill tests): the wizard resumes
where the person left it, and a digest run killed half-way finishes without a second copy.
Real processes on a real SQLite file; each starts Python once or twice (a few seconds)."""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from storage import open_store
from storage.tables import digest_runs, outbox
from tests.outbox_support import add_people
from tests.support import TEST_NOW

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0  # seconds a step may take on a loaded machine before the test gives up


def _env(sqlite_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": sqlite_url.replace("sqlite+aiosqlite", "sqlite"),
        "PYTHONPATH": str(ROOT),
        "USER": "ada",
        "LOGNAME": "ada",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        **extra,
    }


def _console(sqlite_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "udx_bot", "console"],
        env=_env(sqlite_url),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _say(proc: subprocess.Popen[bytes], line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line.encode() + b"\n")
    proc.stdin.flush()


def _read_until(proc: subprocess.Popen[bytes], needle: str) -> str:
    """What the process printed up to and including ``needle``."""
    assert proc.stdout is not None
    seen = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + WAIT
        while needle.encode() not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {needle!r} in {seen.decode(errors='replace')!r}"
            if selector.select(left):
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, f"the process ended before {needle!r}: {seen!r}"
                seen += chunk
    return seen.decode()


def test_the_wizard_resumes_after_kill_9(sqlite_url: str) -> None:
    with _console(sqlite_url) as first:
        _say(first, "/start")
        _read_until(first, "English")
        _say(first, "English")
        _read_until(first, "city")
        first.send_signal(signal.SIGKILL)  # the step's answer was shown: its state is stored
        assert first.wait(WAIT) == -signal.SIGKILL
    with _console(sqlite_url) as second:
        _say(second, "Leeds")
        shown = _read_until(second, "Which department")
        assert "City: Leeds" in shown
        assert second.stdin is not None
        second.stdin.close()
        assert second.wait(WAIT) == 0


def test_a_digest_run_killed_half_way_finishes_once(sqlite_url: str) -> None:
    people = 400

    async def setup() -> None:
        store = await open_store(sqlite_url)
        await add_people(store, people, now=TEST_NOW)
        await store.close()

    async def counts() -> tuple[int, int]:
        """(digests in the outbox, digest weeks recorded as enqueued)"""
        # looked at every 50 ms while the run works: no migration check taking its CPU
        store = await open_store(sqlite_url, migrate=False)
        async with store.db.read() as conn:
            queued = await conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.kind == "digest")
            )
            runs = await conn.execute(
                select(func.count()).where(digest_runs.c.status == "enqueued")
            )
            result = int(queued.scalar_one()), int(runs.scalar_one())
        await store.close()
        return result

    asyncio.run(setup())
    env = _env(sqlite_url, UDX_DIGEST_EMPTY="send")
    command = [sys.executable, "-m", "udx_bot", "digest", "send"]
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) as run:
        deadline = time.monotonic() + WAIT
        while asyncio.run(counts())[0] == 0:  # kill it once the first digests are queued
            assert run.poll() is None and time.monotonic() < deadline, "no digest queued"
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.wait(WAIT)
    killed_at, _ = asyncio.run(counts())
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=WAIT)
    assert again.returncode == 0, again.stderr
    queued, enqueued = asyncio.run(counts())
    # the kill came half-way; the second run queued the rest, each person's week once (the
    # outbox key), and recorded every week whose digest is queued
    assert 0 < killed_at < queued and queued >= people, (killed_at, queued)
    assert enqueued == queued
    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=WAIT)
    assert "0 digests queued" in third.stdout and asyncio.run(counts()) == (queued, enqueued)
