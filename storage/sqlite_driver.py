"""aiosqlite with one trip to its thread per statement.

aiosqlite runs every call of a connection on a thread of its own and hands each result back to
the event loop; SQLAlchemy's aiosqlite adapter makes four such calls for one SELECT (open a
cursor, execute, fetch all rows, close) and three for any other statement. Each trip costs the
event loop a queue put, a wake-up and a future, and under load those trips were the largest part
of an update's own time (bench/telegram_rtt.py). :func:`connect` gives SQLAlchemy (through
``create_async_engine(..., async_creator=...)``, its documented way to bring the driver
connection) an aiosqlite connection whose cursors do all four in one trip: :meth:`BatchedCursor
.execute` runs the statement, reads its description, rows, ``rowcount`` and ``lastrowid`` on the
connection's thread and keeps them; fetching and closing are then answered from what was kept.
Committing or rolling back with no
transaction open (a statement that committed itself, see ``Database.write(one_statement=True)``)
makes no trip either. Everything else is aiosqlite's own connection (``__getattr__``), so
SQLAlchemy's adapter sees the driver it knows. Results are read whole, which is what the adapter
does anyway (no server-side cursors are used here).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Sequence
from threading import Thread
from typing import Any

import aiosqlite

_Result = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Result:
    """On the connection's thread: the statement and all it returns."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class BatchedCursor:
    """The part of aiosqlite's ``Cursor`` SQLAlchemy uses; one thread trip per statement."""

    arraysize = 1

    def __init__(self, connection: BatchedConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def _do(self, sql: str, parameters: Any, many: bool) -> BatchedCursor:
        inner = self._connection.inner
        # aiosqlite's own way to run a function on its thread (every method of it uses it)
        found = await inner._execute(_run, inner._conn, sql, parameters, many)  # type: ignore[no-untyped-call]
        self.description, self._rows, self.rowcount, self.lastrowid = found
        return self

    async def execute(self, sql: str, parameters: Any = None) -> BatchedCursor:
        return await self._do(sql, parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> BatchedCursor:
        return await self._do(sql, list(parameters), True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def close(self) -> None:
        self._rows = []

    async def __aenter__(self) -> BatchedCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


class _NewCursor:
    """What ``connection.cursor()`` returns: awaited (SQLAlchemy 2.0) or entered (2.1), like
    aiosqlite's own; neither goes to the thread."""

    def __init__(self, connection: BatchedConnection) -> None:
        self._cursor = BatchedCursor(connection)

    def __await__(self) -> Generator[Any, None, BatchedCursor]:
        return self._cursor.__aenter__().__await__()

    async def __aenter__(self) -> BatchedCursor:
        return self._cursor

    async def __aexit__(self, *_exc: object) -> None:
        await self._cursor.close()


class BatchedConnection:
    """An aiosqlite connection whose cursors are :class:`BatchedCursor`."""

    def __init__(self, inner: aiosqlite.Connection) -> None:
        self.inner = inner

    def cursor(self) -> _NewCursor:
        return _NewCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> BatchedCursor:
        return await BatchedCursor(self).execute(sql, parameters)

    async def commit(self) -> None:
        # nothing to commit (a statement that committed itself): no trip to the thread
        if self.inner._conn.in_transaction:
            await self.inner.commit()

    async def rollback(self) -> None:
        if self.inner._conn.in_transaction:
            await self.inner.rollback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def connect(database: str, **kwargs: Any) -> BatchedConnection:
    """Open ``database`` as SQLAlchemy's aiosqlite dialect would, batched."""
    pending = aiosqlite.connect(database, **kwargs)
    # the connection's thread must not keep the process alive (SQLAlchemy does the same)
    thread = pending if isinstance(pending, Thread) else getattr(pending, "_thread", None)
    if isinstance(thread, Thread):
        thread.daemon = True
    return BatchedConnection(await pending)
