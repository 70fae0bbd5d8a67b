"""storage.sqlite_driver: SQLAlchemy on aiosqlite with one trip to the connection's thread per
statement, giving what the plain driver gives (rows, counts, ids, errors)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import exc, text

from storage import Store
from storage.engine import NestedWriteError
from storage.sqlite_driver import BatchedConnection


async def _trips(store: Store, sql: str, parameters: Any = None) -> tuple[int, Any]:
    """How many calls went to the connection's thread for one statement inside an open
    transaction, and its result."""
    async with store.db.engine.connect() as conn:
        await conn.execute(text("SELECT 0"))  # BEGIN: a statement of its own
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, BatchedConnection)
        inner = driver.inner
        calls = 0
        original = inner._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await original(fn, *args, **kwargs)

        inner._execute = counted  # type: ignore[method-assign]
        try:
            result = await conn.execute(text(sql), parameters)
            rows = result.all() if result.returns_rows else result.rowcount
        finally:
            del inner._execute
            await conn.rollback()
    return calls, rows


async def test_a_select_and_a_write_are_one_trip_each(store: Store) -> None:
    calls, rows = await _trips(store, "SELECT 1 AS one UNION ALL SELECT 2")
    assert (calls, rows) == (1, [(1,), (2,)])
    calls, count = await _trips(
        store, "UPDATE cities SET timezone = timezone WHERE name = :name", {"name": "Tübingen"}
    )
    assert (calls, count) == (1, 1)


async def test_rows_counts_ids_and_errors_are_the_drivers(store: Store) -> None:
    async with store.db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        first = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert first.lastrowid == 1
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        assert many.rowcount == 2
        returned = await conn.execute(text("INSERT INTO t (v) VALUES ('d') RETURNING id, v"))
        assert returned.all() == [(4, "d")]
        assert (await conn.execute(text("SELECT v FROM t WHERE v = 'x'"))).all() == []
        result = await conn.execute(text("SELECT id, v FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "v"]
        assert result.fetchone() == (1, "a")
        assert result.fetchmany(2) == [(2, "b"), (3, "c")]
        assert result.all() == [(4, "d")]
    async with store.db.engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await conn.rollback()
        # the connection stays usable after a failed statement
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 4


async def test_a_statement_that_commits_itself_is_one_trip_and_waits_on_its_thread(
    store: Store,
) -> None:
    """``write(one_statement=True)``: no BEGIN or COMMIT of its own, no turn in the process's
    queue of writers; while another transaction writes, it waits for it on its thread."""
    async with store.db.write() as conn:
        await conn.execute(text("CREATE TABLE t (v TEXT PRIMARY KEY)"))
    trips = 0
    async with store.db.write(one_statement=True) as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, BatchedConnection)
        original = driver.inner._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal trips
            trips += 1
            return await original(fn, *args, **kwargs)

        driver.inner._execute = counted  # type: ignore[method-assign]
        try:
            await conn.execute(text("INSERT INTO t (v) VALUES ('one')"))
        finally:
            del driver.inner._execute
    assert trips == 1

    async def alone() -> None:
        async with store.db.write(one_statement=True) as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('alone')"))

    async with store.db.write() as conn:  # holds the process's turn and the file's lock
        await conn.execute(text("INSERT INTO t (v) VALUES ('held')"))
        # another update's task (its own context: not inside this write)
        waiting = asyncio.create_task(alone(), context=contextvars.Context())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # waits on its thread for this transaction
        with pytest.raises(NestedWriteError):  # inside a write: it would wait for itself
            async with store.db.write(one_statement=True):
                pass
    await asyncio.wait_for(waiting, 10)
    async with store.db.read() as conn:
        rows = (await conn.execute(text("SELECT v FROM t ORDER BY v"))).scalars().all()
    assert rows == ["alone", "held", "one"]


class _CountingQueue:
    """The connection's queue to its thread, noting the name of every call put on it."""

    def __init__(self, queue: Any, seen: list[str]) -> None:
        self.queue, self.seen = queue, seen

    def put_nowait(self, item: Any) -> None:
        function = item[1]
        self.seen.append(getattr(getattr(function, "func", function), "__name__", "?"))
        self.queue.put_nowait(item)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.queue.get(*args, **kwargs)


@contextlib.contextmanager
def _trips_of(conn_driver: BatchedConnection) -> Iterator[list[str]]:
    """Every call that goes to the connection's thread inside the block, waited for or not."""
    inner = conn_driver.inner
    seen: list[str] = []
    original = inner._tx
    inner._tx = _CountingQueue(original, seen)  # type: ignore[assignment]
    try:
        yield seen
    finally:
        inner._tx = original


async def test_a_read_of_one_statement_is_one_trip_and_begins_no_transaction(
    store: Store,
) -> None:
    async with store.db.read(one_statement=True) as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, BatchedConnection)
        with _trips_of(driver) as trips:
            rows = (await conn.execute(text("SELECT count(*) FROM cities"))).scalar_one()
            assert not driver.inner._conn.in_transaction
    assert rows > 0
    assert trips == ["_run"]  # no BEGIN, no COMMIT


async def test_a_read_begins_with_its_first_statement_and_sees_one_snapshot(
    store: Store,
) -> None:
    """BEGIN rides on the first statement's trip, the COMMIT is not waited for; the read still
    sees one snapshot, and the connection's next user starts after it ended."""
    async with store.db.write() as conn:
        await conn.execute(text("CREATE TABLE t (v INTEGER)"))
        await conn.execute(text("INSERT INTO t VALUES (1)"))

    async def write_two() -> None:
        async with store.db.write() as conn:
            await conn.execute(text("INSERT INTO t VALUES (2)"))

    driver: BatchedConnection | None = None
    with contextlib.ExitStack() as stack:
        async with store.db.read() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert isinstance(driver, BatchedConnection)
            trips = stack.enter_context(_trips_of(driver))
            first = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
            # another update writes meanwhile (its own task, so not inside this read)
            await asyncio.create_task(write_two(), context=contextvars.Context())
            second = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
    assert (first, second) == (1, 1)  # one snapshot
    assert trips == ["_run", "_run", "commit"]  # BEGIN with the first, COMMIT queued
    for _ in range(3):  # the same pooled connection again and again: each sees the write
        async with store.db.read() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
        async with store.db.read():
            pass  # begun and ended without a statement: nothing to end, no error


async def test_a_write_takes_the_files_lock_with_its_first_statement(store: Store) -> None:
    """``BEGIN IMMEDIATE`` rides on the first statement: a second connection's write waits
    until the first commits (and sees its row)."""
    async with store.db.write() as conn:
        await conn.execute(text("CREATE TABLE t (v INTEGER)"))
    order: list[str] = []

    path = str(store.db.engine.url.database)

    def other() -> None:  # another process's writer, on a thread of its own
        plain = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            plain.execute("BEGIN IMMEDIATE")
            order.append("other has the lock")
            count = plain.execute("SELECT count(*) FROM t").fetchone()[0]
            order.append(f"other sees {count}")
            plain.execute("ROLLBACK")
        finally:
            plain.close()

    async with store.db.write() as conn:
        await conn.execute(text("SELECT count(*) FROM t"))  # takes the file's write lock
        waiting = asyncio.create_task(asyncio.to_thread(other))
        await asyncio.sleep(0.05)
        order.append("first writes")
        await conn.execute(text("INSERT INTO t VALUES (1)"))
    await asyncio.wait_for(waiting, 10)
    assert order == ["first writes", "other has the lock", "other sees 1"]


async def test_every_connection_keeps_a_small_page_cache(store: Store) -> None:
    """The pool holds a connection per update in flight; each one's page cache is bounded
    (SQLite's default would let 64 of them take 128 MB)."""
    from storage.engine import SQLITE_CACHE_KIB

    async def cache_size() -> int:
        async with store.db.read(one_statement=True) as conn:
            value = (await conn.execute(text("PRAGMA cache_size"))).scalar_one()
            await asyncio.sleep(0.01)  # hold it, so the others open connections of their own
            return int(value)

    sizes = await asyncio.gather(*(cache_size() for _ in range(4)))
    assert sizes == [-SQLITE_CACHE_KIB] * 4


async def test_a_read_that_wrote_is_committed_and_waited_for(store: Store) -> None:
    """``Database.read`` promises to read only; should a statement in it write, its COMMIT is
    waited for like a write's (so its failure is not just logged)."""
    async with store.db.write() as conn:
        await conn.execute(text("CREATE TABLE t (v INTEGER)"))
    waited: list[str] = []
    with contextlib.ExitStack() as stack:
        async with store.db.read() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert isinstance(driver, BatchedConnection)
            trips = stack.enter_context(_trips_of(driver))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            original = driver.inner._execute

            async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
                waited.append(getattr(fn, "__name__", "?"))
                return await original(fn, *args, **kwargs)

            driver.inner._execute = counted  # type: ignore[method-assign]
    del driver.inner._execute
    assert trips == ["_run", "commit"]
    assert waited == ["commit"]  # through aiosqlite's own, awaited commit
    async with store.db.read(one_statement=True) as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
