"""Measure the /find ranking query on a SQLite file with many participants.

    .venv/bin/python bench/counterparts_find.py [--people 100000] [--runs 300] [--db PATH]

Builds (once) a migrated, demo-seeded SQLite file with ``--people`` random registered
participants (1–5 SDGs each, activity spread over a year), then times
``store.counterparts.query_for`` + ``rank`` for random readers, with and without filters, and
prints p50/p95/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import open_store
from udx_bot import reference
from udx_bot.demo import seed_demo


async def build(path: Path, people: int) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{path}")
    await seed_demo(store)
    await store.close()
    rng = random.Random(5)
    conn = sqlite3.connect(path)
    city_ids = [r[0] for r in conn.execute("select id from cities")]
    deps = list(reference.departments())
    now = datetime(2026, 11, 25, tzinfo=UTC)
    rows = []
    sdg_rows = []
    start = conn.execute("select coalesce(max(id), 0) from participants").fetchone()[0] + 1
    for i in range(people):
        pid = start + i
        active = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        rows.append(
            (
                pid,
                f"Bench Person {pid}",
                rng.choice(city_ids),
                rng.choice(deps),
                rng.choice(("de", "en")),
                (active - timedelta(days=30)).strftime(fmt),
                (active - timedelta(days=30)).strftime(fmt),
                active.strftime(fmt),
            )
        )
        for sdg in rng.sample(range(1, 18), rng.randint(1, 5)):
            sdg_rows.append((pid, sdg))
    conn.executemany(
        "insert into participants (id, name, city_id, department, language, created_at, "
        "registered_at, last_active_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("insert into participant_sdgs (participant_id, sdg) values (?, ?)", sdg_rows)
    conn.commit()
    conn.execute("analyze")
    conn.close()


async def measure(path: Path, runs: int) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{path}", migrate=False)
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    ids = [r[0] for r in conn.execute("select id from participants where name like 'Bench%'")]
    city_ids = [r[0] for r in conn.execute("select id from cities")]
    conn.close()
    deps = list(reference.departments())
    scenarios = {
        "no filter, page 1": {},
        "no filter, page 5": {"page": 4},
        "department": {"department": "x"},
        "sdg13": {"sdgs": (13,)},
        "department + sdgs": {"department": "x", "sdgs": (11, 13)},
        "#city": {"city": True},
    }
    for label, spec in scenarios.items():
        timings = []
        for _ in range(runs):
            reader = await store.participants.get(rng.choice(ids))
            assert reader is not None
            started = time.perf_counter()
            query = await store.counterparts.query_for(
                reader,
                department=rng.choice(deps) if "department" in spec else None,
                sdgs=spec.get("sdgs", ()),  # type: ignore[arg-type]
                city_id=rng.choice(city_ids) if "city" in spec else None,
            )
            page = await store.counterparts.rank(query, page=int(spec.get("page", 0)))  # type: ignore[call-overload]
            timings.append((time.perf_counter() - started) * 1000)
            assert page.items
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(
            f"{label:20s} p50 {statistics.median(timings):6.1f} ms  "
            f"p95 {timings[int(len(timings) * 0.95)]:6.1f} ms  p99 {p99:6.1f} ms"
        )
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--db", type=Path, default=Path("/tmp/udx-find-bench.sqlite3"))
    args = parser.parse_args()
    if not args.db.exists():
        asyncio.run(build(args.db, args.people))
    asyncio.run(measure(args.db, args.runs))


if __name__ == "__main__":
    main()
