"""The benchmark: its smoke run (``python -m bench --quick``), the bulk loader, the SQL floor's
capture and replay, and each figure measured on the real features at a small size."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench import figures as fig
from bench.generate import Network, generate
from bench.report import KEYS, markdown
from bench.sqlfloor import capture, replayer_for
from handlers import build_router
from storage import Store
from storage.bulk import BulkLoader, required_columns
from storage.tables import notes, participants
from tests.support import TEST_NOW, FakeClock
from udx_bot.config import Settings
from udx_bot.context import Context, Services
from udx_bot.types import Reply

ROOT = Path(__file__).resolve().parent.parent
SMALL = fig.Config(
    participants=60,
    notes=300,
    repetitions=2,
    calls=10,
    floor_samples=5,
    telegram_updates=10,
    fanout=5,
    rtt_repetitions=2,  # the median over bursts, cheaply
)


def test_quick_run_writes_every_figure_as_a_number_or_null_with_a_note(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| `rss_mb` |" in done.stdout
    assert "generated 300 participants and 2,000 notes" in done.stderr
    doc = json.loads(out.read_text("utf-8"))
    assert set(doc) == {*KEYS, "metadata"}
    meta = doc["metadata"]
    for key in KEYS:
        value = doc[key]
        if value is None:
            assert meta["notes"][key], f"{key} is null without a reason"
        else:
            assert isinstance(value, int | float) and not isinstance(value, bool), key
            assert math.isfinite(value) and value >= 0, key
    assert doc["rss_mb"] > 10
    assert doc["telegram_echo_per_s"] > 0
    assert meta["sizes"]["participants"] == 300 and meta["sizes"]["notes"] == 2000
    assert meta["machine"]["cores"] >= 1 and meta["database"] == "sqlite"


async def _network(store: Store) -> Network:
    return await generate(
        store, participants_count=SMALL.participants, notes_count=SMALL.notes, now=TEST_NOW
    )


async def test_generated_network_is_complete_and_ids_continue_after_it(any_store: Store) -> None:
    network = await _network(any_store)
    assert len(network.participant_ids) == SMALL.participants
    people = await any_store.participants.get_many(network.participant_ids)
    assert len(people) == SMALL.participants
    assert all(p.registered and p.sdgs and p.language in ("de", "en") for p in people.values())
    pid = network.participant_ids[7]
    identity = await any_store.participants.identity("telegram", network.user_ids[pid])
    assert identity is not None and identity.participant_id == pid
    assert identity.chat_id == identity.user_id
    # After explicit ids, the database hands out the next ones itself (PostgreSQL sequences).
    new = await any_store.participants.create_profile(
        name="After", city_id=None, department=None, now=TEST_NOW
    )
    assert new > max(network.participant_ids)


async def test_bulk_loader_names_a_missing_required_column(store: Store) -> None:
    assert "text" in required_columns(notes) and "id" not in required_columns(notes)
    with pytest.raises(ValueError, match="created_at"):
        await BulkLoader(store.db).insert(participants, [{"name": "No date"}])
    with pytest.raises(ValueError, match="colour"):
        await BulkLoader(store.db).insert(participants, [{"name": "x", "colour": "red"}])


async def test_captured_statements_replay_on_the_driver_and_change_nothing(
    any_store: Store, database: tuple[str, str | None]
) -> None:
    _url, schema = database
    cities = await any_store.cities.all()
    pid = await any_store.participants.create_profile(
        name="Replay", city_id=cities[0].id, department="mobility", now=TEST_NOW
    )
    with capture(any_store.db.engine) as reads:
        await any_store.participants.get(pid)
    with capture(any_store.db.engine) as writes:
        await any_store.participants.update(pid, name="Changed", now=TEST_NOW)
    sql = [s.sql.upper() for s in reads.statements]
    assert sql and all(s.lstrip().startswith("SELECT") for s in sql)
    assert any(s.sql.lstrip().upper().startswith("UPDATE") for s in writes.statements)
    assert not any(s.sql.upper().startswith(("BEGIN", "COMMIT")) for s in writes.statements)

    await any_store.participants.update(pid, name="Replay", now=TEST_NOW)
    replayer = await replayer_for(any_store.db.engine, schema)
    try:
        seconds = [await replayer.run(reads.statements) for _ in range(3)]
        await replayer.run(writes.statements)
    finally:
        await replayer.close()
    assert all(0 < s < 5 for s in seconds)
    person = await any_store.participants.get(pid)
    assert person is not None and person.name == "Replay"  # the replayed UPDATE was rolled back


@pytest.fixture
def bench_services(store: Store) -> Services:
    return Services(settings=Settings(), store=store, router=build_router(), clock=FakeClock())


async def test_latency_has_a_floor_below_the_router_and_skips_missing_commands(
    bench_services: Services,
) -> None:
    network = await _network(bench_services.store)
    replayer = await replayer_for(bench_services.store.db.engine)
    try:
        result = await fig.latency(bench_services, network, SMALL, replayer)
    finally:
        await replayer.close()
    values = result.values
    assert values["find_p50_ms"] is not None and values["find_sql_p50_ms"] is not None
    assert 0 < values["find_sql_p50_ms"] < values["find_p50_ms"] <= values["find_p99_ms"]
    assert result.extra["find_statements_per_call"] >= 3
    for command in ("notes", "search"):
        assert values[f"{command}_sql_p50_ms"] is not None
        assert 0 < values[f"{command}_sql_p50_ms"] < values[f"{command}_p50_ms"]


async def test_a_failing_handler_is_reported_not_timed(bench_services: Services) -> None:
    async def broken(ctx: Context) -> Reply:
        raise RuntimeError("boom")

    bench_services.router.commands.pop("find")
    bench_services.router.command("find")(broken)
    network = await _network(bench_services.store)
    replayer = await replayer_for(bench_services.store.db.engine)
    try:
        result = await fig.latency(bench_services, network, SMALL, replayer)
    finally:
        await replayer.close()
    assert result.values["find_p99_ms"] is None
    assert "RuntimeError: boom" in result.notes["find_p99_ms"]


async def test_telegram_find_goes_through_ptb_and_the_router(bench_services: Services) -> None:
    network = await _network(bench_services.store)
    result = await fig.telegram(bench_services, network, SMALL)
    assert result.values["telegram_echo_per_s"] and result.values["telegram_echo_per_s"] > 0
    assert result.values["telegram_find_per_s"] and result.values["telegram_find_per_s"] > 0
    assert "telegram_find_per_s" in result.notes  # which adapter was measured


async def test_digests_are_built_for_everyone(bench_services: Services) -> None:
    network = await _network(bench_services.store)
    result = await fig.digests(bench_services, network, SMALL)
    assert result.values["digest_build_s"] is not None and result.values["digest_build_s"] > 0
    assert result.values["digests_per_s"] is not None and result.values["digests_per_s"] > 0
    assert "participants" in result.notes["digest_build_s"]


async def test_the_report_is_built_over_every_note(bench_services: Services) -> None:
    from bench.report_figure import reports

    network = await _network(bench_services.store)
    result = await reports(bench_services, network, SMALL)
    assert result.values["report_build_s"] is not None and result.values["report_build_s"] > 0
    assert f"{SMALL.notes:,} notes" in result.notes["report_build_s"]


def test_table_marks_targets_and_explains_missing_values() -> None:
    values = {
        "find_p50_ms": 3.0,
        "find_sql_p50_ms": 0.5,
        "find_p99_ms": 60.0,
        "search_p50_ms": 1.2,
        "search_sql_p50_ms": 0.5,
        "rss_mb": 120.0,
    }
    table = markdown(values, {"notes_p50_ms": "/notes: not available in this build"})
    assert "| `find_p99_ms` | 60.0 | < 50 | **no** |" in table
    assert "| `find_p50_ms` | 3 | ≤ 5 × find_sql_p50_ms | **no** |" in table
    assert "| `search_p50_ms` | 1.2 | ≤ 3 × search_sql_p50_ms | yes |" in table
    assert "| `rss_mb` | 120.0 | < 300 | yes |" in table
    assert "- `notes_p50_ms`: /notes: not available in this build" in table


async def test_fanout_counts_rate_losses_and_429s(bench_services: Services) -> None:
    network = await _network(bench_services.store)
    result = await fig.fanout(bench_services, network, dataclasses.replace(SMALL, fanout=12))
    assert result.values["fanout_lost"] == 0
    assert result.values["fanout_429"] is not None and result.values["fanout_429"] >= 0
    fraction = result.values["fanout_rate_fraction"]
    assert fraction is not None and fraction > 0
    assert "12 recipients at 30/s configured" in result.notes["fanout_rate_fraction"]


async def test_slack_commands_are_acknowledged_and_answered(bench_services: Services) -> None:
    from bench.slack_rtt import KEYS, slack_rtt

    network = await _network(bench_services.store)
    small = dataclasses.replace(SMALL, rtt_ms=5, rtt_chats=6, rtt_serial_updates=3)
    result = await slack_rtt(bench_services, network, small)
    assert set(result.values) == set(KEYS)
    assert all(v is not None and v > 0 for v in result.values.values()), result.values
    identity = await bench_services.store.participants.identity(
        "slack", f"UB{network.participant_ids[0]:09d}"
    )
    assert identity is not None and identity.participant_id == network.participant_ids[0]
    assert "6 people at once" in result.notes["slack_reply_p99_ms"]
    assert "median of 2 bursts" in result.notes["slack_find_per_s_rtt"]
