"""Fixtures: real SQLite files (migrated once, copied per test) and, when
UDX_TEST_DATABASE_URL is set, the real PostgreSQL with each test in its own schema (the
seeded ones in a database of their own, copied from a template migrated once)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from handlers import build_router
from storage import Store, open_store
from tests.support import SEED_NOW, Chat, Cli, CliResult, FakeClock, person, run_main
from udx_bot.config import Settings, normalize_database_url
from udx_bot.context import Services
from udx_bot.demo import seed_demo

T = TypeVar("T")
# CI runs the suite a second time with the process clock moved years away (by
# UDX_TEST_CLOCK_SHIFT_DAYS, e.g. 3653): every test must pass on any date, since only the
# injected clock may tell time.
CLOCK_SHIFT_DAYS = float(os.environ.get("UDX_TEST_CLOCK_SHIFT_DAYS") or 0)


def pytest_configure(config: pytest.Config) -> None:
    if CLOCK_SHIFT_DAYS:
        import time_machine  # the test extra; moves time.time(), datetime.now() and friends

        moved = datetime.now(UTC) + timedelta(days=CLOCK_SHIFT_DAYS)
        config.stash[_TRAVEL] = traveller = time_machine.travel(moved, tick=True)
        traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVEL, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    if not CLOCK_SHIFT_DAYS:
        return None
    return f"process clock moved {CLOCK_SHIFT_DAYS:+g} days: it reads {datetime.now(UTC):%Y-%m-%d}"


_TRAVEL = pytest.StashKey[Any]()
# PTB 22 warns (an error under filterwarnings=error) unless durations are timedeltas.
os.environ.setdefault("PTB_TIMEDELTA", "true")
PG_URL = os.environ.get("UDX_TEST_DATABASE_URL")
PG_SKIP_REASON = (
    "PostgreSQL suite skipped: set UDX_TEST_DATABASE_URL "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run it"
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, demo-seeded SQLite file; tests get copies, so migrations run once."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"

    async def build() -> None:
        store = await open_store(f"sqlite+aiosqlite:///{path}")
        await seed_demo(store, now=SEED_NOW)
        await store.close()

    run_in_thread(build)
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "udx.sqlite3"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


def run_in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(async URL, schema): a fresh schema in the test PostgreSQL, dropped afterwards."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    url = normalize_database_url(PG_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    run_in_thread(lambda: _pg_execute(url, f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        run_in_thread(lambda: _pg_execute(url, f'DROP SCHEMA "{schema}" CASCADE'))


async def _pg_execute(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE DATABASE refuses to run in one)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for sql in statements:
                await conn.execute(text(sql))
    finally:
        await engine.dispose()


def _pg_database_url(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


PG_SEEDED_SCHEMA = "seeded"


class _PgTemplate:
    """A PostgreSQL database of this session holding one migrated, demo-seeded schema; tests
    get copies of it (CREATE DATABASE … TEMPLATE), so migrations and the demo seed run once, as
    for SQLite. The copies are dropped in a thread of their own, while the next test runs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"udx_template_{uuid.uuid4().hex[:12]}"
        self._dropper = ThreadPoolExecutor(1)
        self._drops: list[Future[None]] = []

    async def build(self) -> None:
        await _pg_execute(self.url, f'CREATE DATABASE "{self.name}"')
        template_url = _pg_database_url(self.url, self.name)
        await _pg_execute(template_url, f'CREATE SCHEMA "{PG_SEEDED_SCHEMA}"')
        store = await open_store(template_url, schema=PG_SEEDED_SCHEMA)
        await seed_demo(store, now=SEED_NOW)
        await store.close()  # a template must have no connections when it is copied

    def copy(self) -> str:
        """The name of a new copy."""
        name = f"udx_t_{uuid.uuid4().hex[:12]}"
        run_in_thread(
            lambda: _pg_execute(self.url, f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        )
        return name

    def drop_later(self, name: str) -> None:
        sql = f'DROP DATABASE "{name}" WITH (FORCE)'
        self._drops.append(self._dropper.submit(lambda: asyncio.run(_pg_execute(self.url, sql))))

    def close(self) -> None:
        self._dropper.shutdown(wait=True)
        run_in_thread(
            lambda: _pg_execute(self.url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        )
        for drop in self._drops:
            drop.result()  # a copy that could not be dropped: say so


@pytest.fixture(scope="session")
def pg_template() -> Iterator[_PgTemplate]:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    template = _PgTemplate(normalize_database_url(PG_URL))
    try:
        run_in_thread(template.build)
        yield template
    finally:
        template.close()


@pytest.fixture
def pg_seeded(pg_template: _PgTemplate) -> Iterator[tuple[str, str]]:
    """(async URL, schema) of a migrated, demo-seeded schema in a PostgreSQL database of the
    test's own (a copy of the session's template), dropped afterwards."""
    name = pg_template.copy()
    try:
        yield _pg_database_url(pg_template.url, name), PG_SEEDED_SCHEMA
    finally:
        pg_template.drop_later(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """(async URL, schema or None) of a demo-seeded database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url"), None
    url, schema = request.getfixturevalue("pg_seeded")
    return url, schema


@pytest.fixture
async def any_store(database: tuple[str, str | None]) -> AsyncIterator[Store]:
    """The same test against SQLite and PostgreSQL (storage contract tests)."""
    url, schema = database
    store = await open_store(url, schema=schema)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Store]:
    store = await open_store(sqlite_url)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url)


@pytest.fixture
def services(store: Store, clock: FakeClock, settings: Settings) -> Services:
    return Services(settings=settings, store=store, router=build_router(), clock=clock)


@pytest.fixture
def any_services(any_store: Store, clock: FakeClock) -> Services:
    """Services on SQLite and on PostgreSQL, for handler tests that must hold on both."""
    return Services(settings=Settings(), store=any_store, router=build_router(), clock=clock)


@pytest.fixture
def chat(services: Services) -> Callable[..., Chat]:
    """``chat("42", language="de")`` -> a person talking to the bot through the real router."""

    def make(user_id: str, **kwargs: object) -> Chat:
        return Chat(services, person(user_id, **kwargs))  # type: ignore[arg-type]

    return make


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests build their own settings; platform tokens from the developer's shell stay out.
    The suite runs the bot in open registration (as settings made in code do) unless a test
    says otherwise: only tests/test_membership*.py are about who gets in."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "SLACK_")) or name in ("DATABASE_URL", "UDX_ADMINS"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UDX_REGISTRATION", "open")
    monkeypatch.delenv("UDX_SLACK_REQUIRE_INVITE", raising=False)
    yield


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> Cli:
    """``cli("import", "cities", "c.csv", cwd=tmp_path, env={"DATABASE_URL": …})``: udx-bot's
    ``main`` in this process on the test clock (tests/support.run_main); a real subprocess is
    kept for a few smoke tests only, as starting Python each time is slow."""

    def run(
        *argv: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str = ""
    ) -> CliResult:
        with monkeypatch.context() as patch:
            if cwd is not None:
                patch.chdir(cwd)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            return run_main(argv, clock=clock, stdin=stdin)

    return run
