"""The SQL floor: what the statements of a router call cost on the bare driver.

:func:`capture` records every statement SQLAlchemy sends to the driver while a block runs
(``before_cursor_execute`` on the engine), with its parameters exactly as bound; a
:class:`Replayer` runs those statements again directly on sqlite3 (the same file) or asyncpg (the
same schema) and times them. Transaction control (BEGIN, COMMIT) is left out; a replay runs in
one transaction that is rolled back, so replayed writes change nothing and can be repeated.

Nothing here knows which queries a feature writes: whatever the router call executes is
replayed.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END")


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any  # a tuple (or a list of tuples for executemany), as the driver got it
    many: bool = False


@dataclass
class Captured:
    statements: list[Statement]


def is_transaction_control(sql: str) -> bool:
    return sql.lstrip().upper().startswith(_TRANSACTION_CONTROL)


@contextmanager
def capture(engine: AsyncEngine) -> Iterator[Captured]:
    """Record the statements ``engine`` executes inside the block (transaction control left
    out)."""
    captured = Captured([])

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if is_transaction_control(statement):
            return
        captured.statements.append(Statement(statement, _freeze(parameters), executemany))

    sync_engine = engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)


def _freeze(parameters: Any) -> Any:
    if isinstance(parameters, list):
        return [tuple(p) if isinstance(p, list) else p for p in parameters]
    if isinstance(parameters, list | tuple):
        return tuple(parameters)
    return parameters


class Replayer:
    """Runs captured statements on the bare driver; :meth:`run` returns seconds taken."""

    async def run(
        self, statements: Sequence[Statement], timings: list[float] | None = None
    ) -> float:
        """Run ``statements`` in one rolled-back transaction; the seconds taken. ``timings``, when
        given, receives each statement's own seconds (to find the slow one)."""
        raise NotImplementedError

    async def close(self) -> None:
        pass


class SQLiteReplayer(Replayer):
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=10000")

    async def run(
        self, statements: Sequence[Statement], timings: list[float] | None = None
    ) -> float:
        conn = self.conn
        started = time.perf_counter()
        conn.execute("BEGIN")
        try:
            for st in statements:
                one = time.perf_counter()
                if st.many:
                    conn.executemany(st.sql, st.parameters)
                else:
                    conn.execute(st.sql, st.parameters).fetchall()
                if timings is not None:
                    timings.append(time.perf_counter() - one)
        finally:
            conn.execute("ROLLBACK")
        return time.perf_counter() - started

    async def close(self) -> None:
        self.conn.close()


class PostgresReplayer(Replayer):
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, dsn: str, schema: str | None) -> PostgresReplayer:
        import asyncpg  # type: ignore[import-untyped]

        settings = {"search_path": schema} if schema else None
        return cls(await asyncpg.connect(dsn, server_settings=settings))

    async def run(
        self, statements: Sequence[Statement], timings: list[float] | None = None
    ) -> float:
        conn = self.conn
        started = time.perf_counter()
        tr = conn.transaction()
        await tr.start()
        try:
            for st in statements:
                one = time.perf_counter()
                if st.many:
                    await conn.executemany(st.sql, st.parameters)
                else:
                    await conn.fetch(st.sql, *st.parameters)
                if timings is not None:
                    timings.append(time.perf_counter() - one)
        finally:
            await tr.rollback()
        return time.perf_counter() - started

    async def close(self) -> None:
        await self.conn.close()


async def replayer_for(engine: AsyncEngine, schema: str | None = None) -> Replayer:
    """A replayer on the same database as ``engine``."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        assert url.database, "a SQLite file is needed"
        return SQLiteReplayer(url.database)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return await PostgresReplayer.connect(dsn, schema)
