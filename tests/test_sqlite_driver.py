"""storage.sqlite_driver: SQLAlchemy on aiosqlite with one trip to the connection's thread per
statement, giving what the plain driver gives (rows, counts, ids, errors)."""

from __future__ import annotations

import asyncio
import contextvars
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
