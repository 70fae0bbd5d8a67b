"""One database, SQLite by default or PostgreSQL, behind SQLAlchemy Core in async mode.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and transactions opened with
:meth:`Database.write` begin ``IMMEDIATE``, so a CLI process and the running bot can write the same
file at once without "database is locked". Reads (:meth:`Database.read`) begin deferred and never
block a writer.

SQLite has one writer at a time. Within the process the handlers of many concurrent updates take
turns for it on an ``asyncio`` lock (waiting costs no thread and no busy-timeout), so the file's
lock is only ever contended by other processes, and by single statements that commit by
themselves (``write(one_statement=True)``: they hold the file's lock for microseconds and wait
on their connection's thread). A write opened inside a write of the same database (same task)
raises :class:`NestedWriteError` at once: it would wait for itself forever.

The pool holds ``pool_size`` connections (the bot passes ``UDX_CONCURRENT_UPDATES``), so every
update in flight can have one; PostgreSQL gets a few more on demand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from sqlalchemy import event, exc, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from storage import sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 10_000
# SQLite's page cache per connection (its default is 2,000 KiB). The pool holds a connection per
# update in flight (64 by default), and a few /notes each filled theirs: 64 connections took
# 126 MB more after 400 /notes at once, 34 MB with 512 KiB. The file's pages stay in the
# system's cache, shared: /notes, /find and /search measured the same with either size.
SQLITE_CACHE_KIB = 512
DEFAULT_POOL_SIZE = 16
POOL_OVERFLOW = 8  # PostgreSQL: connections beyond the pool, opened on demand
_READ = "udx_read"
_WRITE = "udx_write"
_ONE_STATEMENT = "udx_one_statement"
# the databases the current task is writing to (a nested write must not wait for itself)
_WRITING: ContextVar[frozenset[int]] = ContextVar("udx_writing", default=frozenset())


class NestedWriteError(RuntimeError):
    """A write transaction was opened inside another on the same database."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached (refused, unknown host, wrong password, no SSL where it
    is required): the message is one line naming where and why, without the password."""


class Database:
    def __init__(self, engine: AsyncEngine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema  # PostgreSQL: the schema every table is in (None: the default)
        # SQLite: one writer at a time within the process (see the module)
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        # the kinds of transaction, each a view of the engine (same pool) whose options say how
        # its transactions begin and end on SQLite (see _configure_sqlite)
        self._reads = {
            one: engine.execution_options(**{_READ: True, _ONE_STATEMENT: one})
            for one in (False, True)
        }
        self._writes = {
            one: engine.execution_options(**{_WRITE: True, _ONE_STATEMENT: one})
            for one in (False, True)
        }

    @property
    def where(self) -> str:
        """The database's location for messages: host, port and name, no password."""
        url = make_url(self.engine.url)
        if url.get_backend_name() == "sqlite":
            return f"SQLite file {url.database}"
        host = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}"
        return f"PostgreSQL at {host}/{url.database or ''}"

    async def check(self) -> None:
        """Connect once; raises :class:`DatabaseUnavailable` when that fails."""
        try:
            async with self.engine.connect():
                pass
        except Exception as error:
            cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
            lines = str(cause).strip().splitlines() or [""]
            reason = f"{type(cause).__name__}: {lines[0]}".rstrip(": ")
            raise DatabaseUnavailable(f"cannot connect to the {self.where}: {reason}") from None

    @classmethod
    def from_url(
        cls, url: str, *, schema: str | None = None, pool_size: int = DEFAULT_POOL_SIZE
    ) -> Database:
        """Create the engine for an async SQLAlchemy URL (see config.normalize_database_url).

        ``schema`` (PostgreSQL only) puts every table in that schema, which the contract tests
        use to keep runs apart.
        """
        # A failed statement's error names it but never its values (a note's text, a name):
        # errors are logged, and the log is no place for what people wrote.
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if url.startswith("sqlite"):
            if ":memory:" in url or url.endswith("://"):
                raise ValueError("use a SQLite file, not :memory: (several connections share it)")
            # one trip to the connection's thread per statement (see storage.sqlite_driver)
            kwargs["async_creator"] = partial(
                sqlite_driver.connect,
                str(make_url(url).database),
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            # a thread each, cheap; every use ends its transaction, so the pool's rollback of a
            # returned connection would be one more round trip to its thread, for nothing
            # (a queue pool said outright: SQLAlchemy before 2.0.38 gives aiosqlite files none)
            kwargs.update(
                poolclass=AsyncAdaptedQueuePool,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_reset_on_return=None,
            )
        else:
            kwargs.update(pool_size=pool_size, max_overflow=POOL_OVERFLOW)
            # a pooled connection the server dropped (a restart, a fail-over) is replaced
            # before use instead of failing the next statement
            kwargs["pool_pre_ping"] = True
            if schema is not None:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        engine = create_async_engine(url, **kwargs)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        return cls(engine, schema)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self, *, one_statement: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction that only reads: every statement in it sees the same snapshot. On
        SQLite its end (COMMIT) is sent to the connection's thread and not waited for: it
        cannot fail, and whoever uses the connection next is queued behind it.

        ``one_statement``: the block runs a single statement, which needs no transaction of its
        own (a statement always sees one snapshot): on SQLite no BEGIN and no COMMIT at all
        (every update reads its sender this way)."""
        async with self._reads[one_statement].connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self, *, one_statement: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; on SQLite it takes the write lock at once.

        ``one_statement``: the block runs a single statement, which SQLite then commits by
        itself (no BEGIN and COMMIT of their own), and it does not wait for the process's turn
        to write: SQLite holds its write lock only while the statement runs, and if another
        writer has it the statement waits on its connection's thread (the busy timeout), not
        in the event loop. Every update writes one (its id, for de-duplication); taking turns
        for it made the turn, a few event-loop cycles long under load, the bound on updates per
        second."""
        async with self._writer(take_turn=not one_statement):
            async with self._writes[one_statement].connect() as conn, conn.begin():
                yield conn

    @asynccontextmanager
    async def _writer(self, *, take_turn: bool = True) -> AsyncIterator[None]:
        """The process's turn to write (SQLite; ``take_turn``); a nested write raises instead
        of waiting (for a statement that commits by itself too: it would wait for the open
        transaction on its thread until the busy timeout)."""
        writing = _WRITING.get()
        if id(self) in writing:
            raise NestedWriteError(
                "a write transaction was opened inside another on the same database; "
                "pass the open connection down instead"
            )
        token = _WRITING.set(writing | {id(self)})
        try:
            if self._write_lock is None or not take_turn:
                yield
            else:
                async with self._write_lock:
                    yield
        finally:
            _WRITING.reset(token)

    @asynccontextmanager
    async def schema_change(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction for migrations. On SQLite foreign keys are off inside it (a table
        is changed by recreating it, and dropping the old one must cascade nowhere) and are
        checked before it commits: any violation rolls it back."""
        async with self.engine.connect() as conn:
            if self.dialect != "sqlite":
                async with conn.begin():
                    yield conn
                return
            await conn.run_sync(_foreign_keys, False)  # takes effect outside a transaction only
            try:
                await conn.execution_options(**{_WRITE: True})
                async with self._writer(), conn.begin():
                    yield conn
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"the schema change breaks foreign keys: {broken[:5]}")
            finally:
                await conn.run_sync(_foreign_keys, True)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _foreign_keys(sync_conn: Any, on: bool) -> None:
    cursor = sync_conn.connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: KiB, not pages
        # freed pages are zeroed, so an erased person's rows leave no fragments in the file
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(_ONE_STATEMENT):
            return  # the statement is its own transaction (see Database.write)
        begin = "BEGIN IMMEDIATE" if options.get(_WRITE) else "BEGIN"
        driver = conn.connection.driver_connection
        if isinstance(driver, sqlite_driver.BatchedConnection):
            # on the first statement's trip; a read's end is not waited for
            driver.begin_with_next_statement(begin, read_only=bool(options.get(_READ)))
        else:
            conn.exec_driver_sql(begin)
