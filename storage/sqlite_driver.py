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

A transaction's BEGIN makes no trip of its own either (:meth:`BatchedConnection
.begin_with_next_statement`: the next statement runs it first, on its trip); the COMMIT of a
transaction that only read is queued and not waited for; committing or rolling back with no
transaction open (none was begun, or a statement committed itself, see
``Database.write(one_statement=True)``) makes no trip. Everything else is aiosqlite's own
connection (``__getattr__``), so SQLAlchemy's adapter sees the driver it knows. Results are
read whole, which is what the adapter does anyway (no server-side cursors are used here).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Generator, Iterable, Sequence
from threading import Thread
from typing import Any

import aiosqlite

LOG = logging.getLogger(__name__)
_Result = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid


def _run(
    conn: sqlite3.Connection, begin: str | None, sql: str, parameters: Any, many: bool
) -> _Result:
    """On the connection's thread: ``begin`` (the transaction's BEGIN, if one is due), then the
    statement and all it returns."""
    if begin is not None:
        conn.execute(begin)
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
        connection = self._connection
        inner = connection.inner
        begin, connection.pending_begin = connection.pending_begin, None
        # aiosqlite's own way to run a function on its thread (every method of it uses it)
        found = await inner._execute(_run, inner._conn, begin, sql, parameters, many)  # type: ignore[no-untyped-call]
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
        self.pending_begin: str | None = None  # a BEGIN the next statement runs first
        self.read_only = False  # the open transaction only reads
        self._changes_at_begin = 0
        self._ending: _Unwatched | None = None  # a COMMIT not waited for

    def begin_with_next_statement(self, begin: str, *, read_only: bool = False) -> None:
        """Open a transaction with ``begin`` ("BEGIN", "BEGIN IMMEDIATE") on the next
        statement's trip instead of a trip of its own. A write transaction's lock is then taken
        by its first statement: a busy file fails that statement, as it failed the BEGIN.
        ``read_only`` (the caller's promise): committing it is not waited for."""
        self.pending_begin = begin
        self.read_only = read_only
        # what the connection has written so far: a "read" that wrote is committed as usual
        self._changes_at_begin = self.inner._conn.total_changes

    def cursor(self) -> _NewCursor:
        return _NewCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> BatchedCursor:
        return await BatchedCursor(self).execute(sql, parameters)

    def _in_transaction(self) -> bool:
        # while a COMMIT not waited for is queued, the connection still says "in a
        # transaction", but no new one can have begun yet (its statement would queue behind)
        ending = self._ending
        return self.inner._conn.in_transaction and (ending is None or ending.done())

    async def commit(self) -> None:
        # nothing to commit (never begun, or a statement that committed itself): no trip
        self.pending_begin = None
        read_only, self.read_only = self.read_only, False
        if not self._in_transaction():
            return
        if read_only and self.inner._conn.total_changes == self._changes_at_begin:
            ending = _end_without_waiting(self.inner)
            if ending is not None:
                self._ending = ending
                return
        await self.inner.commit()

    async def rollback(self) -> None:
        self.pending_begin = None
        self.read_only = False
        if self._in_transaction():
            await self.inner.rollback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _Unwatched:
    """Stands in for the future aiosqlite completes when its thread is done with a call: the
    thread records the outcome here itself (``get_loop().call_soon_threadsafe`` runs the
    completion at once), so the event loop is not woken for a call nobody waits for."""

    def __init__(self) -> None:
        self._done = False

    def get_loop(self) -> _Unwatched:
        return self

    def call_soon_threadsafe(self, callback: Any, *args: Any) -> None:
        callback(*args)  # aiosqlite's set_result / set_exception, called with this

    def done(self) -> bool:
        return self._done

    def set_result(self, _result: Any) -> None:
        self._done = True

    def set_exception(self, error: BaseException) -> None:
        self._done = True
        LOG.warning("ending a read-only SQLite transaction failed: %r", error)


def _end_without_waiting(inner: aiosqlite.Connection) -> _Unwatched | None:
    """Queue the COMMIT of a transaction that only read on the connection's thread and return
    at once (None: this aiosqlite keeps its queue elsewhere; commit as usual). Nothing was
    written, so nothing can be lost or seen late; the queue runs in order, so the connection's
    next user runs after it; a failure is logged."""
    queue = getattr(inner, "_tx", None)
    if queue is None:
        return None
    done = _Unwatched()
    # (future, function): what aiosqlite's own _execute queues
    queue.put_nowait((done, inner._conn.commit))
    return done


async def connect(database: str, **kwargs: Any) -> BatchedConnection:
    """Open ``database`` as SQLAlchemy's aiosqlite dialect would, batched."""
    pending = aiosqlite.connect(database, **kwargs)
    # the connection's thread must not keep the process alive (SQLAlchemy does the same)
    thread = pending if isinstance(pending, Thread) else getattr(pending, "_thread", None)
    if isinstance(thread, Thread):
        thread.daemon = True
    return BatchedConnection(await pending)
