"""DATABASE_URL as hosting providers give it: postgres:// and ?sslmode=require (mapped to
asyncpg's ssl), libpq-only parameters dropped, unknown ones refused; a database that cannot be
reached is one line naming where and why (no traceback, no password); SQLite on a dyno warns."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from storage import open_store
from storage.engine import Database, DatabaseUnavailable
from tests.support import FakeClock, run_main
from udx_bot.config import ConfigError, Settings, normalize_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/udx", "postgresql+asyncpg://u:p@db.example:5432/udx"),
        (
            "postgresql://u:p@ep-1.neon.tech/udx?sslmode=require&channel_binding=require",
            "postgresql+asyncpg://u:p@ep-1.neon.tech/udx?ssl=require",
        ),
        (
            "postgres://u:p@h/udx?sslmode=verify-full",
            "postgresql+asyncpg://u:p@h/udx?ssl=verify-full",
        ),
        ("postgresql+asyncpg://h/udx?ssl=disable", "postgresql+asyncpg://h/udx?ssl=disable"),
    ],
)
def test_provider_urls_become_asyncpg_urls(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected
    assert Settings.from_env({"DATABASE_URL": given}).database_url == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("postgres://h/udx?sslmode=sometimes", "sslmode must be one of"),
        ("postgres://h/udx?fancy=1", "query parameter udx-bot does not know: 'fancy'"),
    ],
)
def test_bad_query_parameters_are_refused_by_name(given: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        normalize_database_url(given)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_database_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"postgresql://udx:pa55-word-9@127.0.0.1:{_free_port()}/udx?sslmode=disable"
    monkeypatch.setenv("DATABASE_URL", url)
    for command in (["migrate"], ["run"]):
        result = run_main(command, clock=FakeClock())
        assert result.returncode == 1
        err = result.stderr.strip()
        assert err.startswith("udx-bot: cannot connect to the PostgreSQL at 127.0.0.1:"), err
        assert "\n" not in err and "pa55-word-9" not in err and "Traceback" not in err


async def test_sslmode_in_the_url_reaches_asyncpg(pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    store = await open_store(normalize_database_url(f"{url}?sslmode=disable"), schema=schema)
    await store.close()
    # the test server may or may not speak TLS: either it connects, or it says why in one line
    db = Database.from_url(normalize_database_url(f"{url}?sslmode=require"))
    try:
        await db.check()
    except DatabaseUnavailable as error:
        assert "SSL" in str(error) and "\n" not in str(error)
    finally:
        await db.dispose()


def test_sqlite_on_a_dyno_warns_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dyno.sqlite3'}")
    monkeypatch.setenv("DYNO", "worker.1")
    with caplog.at_level(logging.WARNING):
        assert run_main(["migrate"], clock=FakeClock()).returncode == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("WILL BE LOST" in w and "worker.1" in w for w in warnings), warnings
    monkeypatch.delenv("DYNO")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert run_main(["migrate"], clock=FakeClock()).returncode == 0
    assert not [r for r in caplog.records if "WILL BE LOST" in r.getMessage()]
