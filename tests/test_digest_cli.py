"""udx-bot digest send / preview."""

from __future__ import annotations

import asyncio

from storage import open_store
from tests.support import TEST_NOW, Cli


def test_digest_send_twice_sends_nothing_the_second_time(sqlite_url: str, cli: Cli) -> None:
    async def setup() -> None:
        store = await open_store(sqlite_url)
        cities = {c.name: c.id for c in await store.cities.all()}
        p, _ = await store.participants.touch("telegram", "77", chat_id="77", now=TEST_NOW)
        await store.participants.update(
            p.id, city_id=cities["Leeds"], department="planning", now=TEST_NOW
        )
        await store.membership.admit(p.id, now=TEST_NOW)
        await store.close()

    asyncio.run(setup())
    env = {"DATABASE_URL": sqlite_url.replace("sqlite+aiosqlite", "sqlite")}
    quiet = {**env, "UDX_DIGEST_EMPTY": "send"}
    first = cli("digest", "send", env=quiet)
    assert first.returncode == 0, first.stderr
    assert "1 digest queued for delivery, 0 with" in first.stdout
    second = cli("digest", "send", env=quiet)
    assert "0 digests queued" in second.stdout
    preview = cli("digest", "preview", "telegram:77", env=quiet)
    assert preview.returncode == 0 and "Your weekly digest" in preview.stdout
    unknown = cli("digest", "preview", "telegram:404", env=env)
    assert unknown.returncode == 1 and "no registered participant" in unknown.stderr
    bad = cli("digest", "preview", "nonsense", env=env)
    assert bad.returncode == 1 and "PLATFORM:ID" in bad.stderr
