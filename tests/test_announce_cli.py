"""``udx-bot announce`` in-process against a real SQLite file."""

from __future__ import annotations

import pytest

from storage import Store
from tests.outbox_support import add_people
from tests.support import TEST_NOW, FakeClock
from udx_bot.cli import build_parser
from udx_bot.config import Settings


async def announce(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(["announce", *argv])
    code: int = await args.run(args, settings, FakeClock())
    return code


async def test_dry_run_then_send(
    store: Store, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    now = TEST_NOW
    await add_people(store, 3, language="de", sdgs=[13], now=now)
    await add_people(store, 2, first_id=6000, sdgs=[4], now=now)
    assert await announce(settings, "--to", "sdg13 #Krefeld", "de: Hallo en: Hello") == 0
    out = capsys.readouterr().out
    assert "SDG 13 Climate Action · Krefeld — 3 recipients" in out and "--yes" in out
    counts = await store.outbox.counts("announcement", [1])
    assert counts[1].total == 0  # a dry run queues nothing

    assert await announce(settings, "--yes", "--to", "sdg13", "de: Hallo en: Hello") == 0
    assert "queued for 3 recipients" in capsys.readouterr().out
    rows = await store.outbox.by_ref("announcement", 1)
    assert len(rows) == 3 and all("Hallo" in r.payload[0] for r in rows)
    assert all("Mitteilung von der Koordination" in r.payload[0] for r in rows)


@pytest.mark.parametrize("typed", ["13", "sdg13", "SDG 13", "#sdg13"])
async def test_every_spelling_of_an_sdg_is_the_same_audience(
    store: Store, settings: Settings, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    await add_people(store, 3, sdgs=[13], now=TEST_NOW)
    await add_people(store, 2, first_id=6000, sdgs=[4], now=TEST_NOW)
    assert await announce(settings, "--to", typed, "Hello") == 0
    assert "Audience: SDG 13 Climate Action — 3 recipients" in capsys.readouterr().out


async def test_schedule_and_bad_input(
    store: Store, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await add_people(store, 2, now=TEST_NOW)
    code = await announce(
        settings, "--yes", "--at", "2999-12-01 09:00", "--timezone", "Europe/Berlin", "Hi"
    )
    assert code == 0 and "scheduled for 2999-12-01 09:00 Europe/Berlin" in capsys.readouterr().out
    assert (await store.outbox.counts("announcement", [1]))[1].total == 0
    for argv, expected in [
        (["--to", "sdg99", "Hi"], "There is no SDG 99:"),
        (["--to", "#sdg0", "Hi"], "There is no SDG 0:"),
        (["--to", "99", "Hi"], "There is no SDG 99:"),  # a bare number is an SDG here too
        (["--to", "hello", "Hi"], 'I don\'t know a department "hello".'),  # every word counts
        (["--at", "2001-01-01 09:00", "Hi"], "in the past"),
        (["--at", "tomorrow", "Hi"], "write the time like"),
    ]:
        assert await announce(settings, *argv) == 2
        assert expected in capsys.readouterr().err
    assert await announce(settings, "--yes", "--to", "#Tuebingen", "Hi") == 1
    assert "Nobody matches" in capsys.readouterr().out


async def test_cancel_and_status_from_the_command_line(
    store: Store, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await add_people(store, 2, now=TEST_NOW)
    assert await announce(settings, "--yes", "--at", "2999-12-01 09:00", "Town hall") == 0
    out = capsys.readouterr().out
    assert "Announcement #1 scheduled" in out and "udx-bot announce cancel 1 cancels it" in out
    assert await announce(settings, "status") == 0
    assert "#1 scheduled 2999-12-01 09:00: Town hall — 0 sent" in capsys.readouterr().out
    assert await announce(settings, "cancel", "1") == 0
    assert "Cancelled announcement #1" in capsys.readouterr().out
    assert await announce(settings, "status") == 0
    assert "#1 cancelled" in capsys.readouterr().out
    assert await announce(settings, "--yes", "Now") == 0
    assert "Announcement #2 queued" in capsys.readouterr().out
    assert await announce(settings, "cancel", "2") == 1
    assert "already sent" in capsys.readouterr().err
    assert await announce(settings, "cancel", "7") == 1
    assert "no announcement #7" in capsys.readouterr().err
    for argv in (["cancel", "the", "meeting"], ["--yes", "status", "update"], ["stornieren"]):
        assert await announce(settings, *argv) == 2, argv
        assert "is a subcommand" in capsys.readouterr().err
    assert len(await store.announcements.recent(10)) == 2  # nothing else was made
