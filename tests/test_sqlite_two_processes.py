"""A CLI process and the running bot write the same SQLite file at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from storage import open_store

WRITER = """
import asyncio, sys
from datetime import UTC, datetime
from storage import open_store
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
async def main():
    store = await open_store(sys.argv[1])
    for n in range(40):
        p, _ = await store.participants.touch("console", f"{sys.argv[2]}-{n}", now=NOW)
        await store.conversations.set(p.id, "x", {"n": n}, now=NOW)
    await store.close()
asyncio.run(main())
"""


async def test_two_processes_write_without_database_is_locked(sqlite_url: str) -> None:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, sqlite_url, name,
            stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent,
        )
        for name in ("cli", "bot")
    ]  # fmt: skip
    results = [await p.communicate() for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
    store = await open_store(sqlite_url)
    try:
        for name in ("cli", "bot"):
            assert await store.participants.by_identity("console", f"{name}-39") is not None
    finally:
        await store.close()
