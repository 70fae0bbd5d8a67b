"""udx-bot digest send / preview."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from storage import open_store
from tests.support import TEST_NOW

ROOT = Path(__file__).resolve().parent.parent


def cli(
    *args: str, url: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url.replace("sqlite+aiosqlite", "sqlite"),
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra or {})
    return subprocess.run(
        [sys.executable, "-m", "udx_bot", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_digest_send_twice_sends_nothing_the_second_time(sqlite_url: str) -> None:
    async def setup() -> None:
        store = await open_store(sqlite_url)
        cities = {c.name: c.id for c in await store.cities.all()}
        p, _ = await store.participants.touch("telegram", "77", chat_id="77", now=TEST_NOW)
        await store.participants.update(
            p.id, city_id=cities["Leeds"], department="planning", now=TEST_NOW
        )
        await store.close()

    asyncio.run(setup())
    first = cli("digest", "send", url=sqlite_url, extra={"UDX_DIGEST_EMPTY": "send"})
    assert first.returncode == 0, first.stderr
    assert "1 digest queued for delivery, 0 with" in first.stdout
    second = cli("digest", "send", url=sqlite_url, extra={"UDX_DIGEST_EMPTY": "send"})
    assert "0 digests queued" in second.stdout
    preview = cli(
        "digest", "preview", "telegram:77", url=sqlite_url, extra={"UDX_DIGEST_EMPTY": "send"}
    )
    assert preview.returncode == 0 and "Your weekly digest" in preview.stdout
    unknown = cli("digest", "preview", "telegram:404", url=sqlite_url)
    assert unknown.returncode == 1 and "no registered participant" in unknown.stderr
    bad = cli("digest", "preview", "nonsense", url=sqlite_url)
    assert bad.returncode == 1 and "PLATFORM:ID" in bad.stderr
