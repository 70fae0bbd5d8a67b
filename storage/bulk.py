"""Bulk loading for generated data (the benchmark): many rows in few write transactions.

Rows are plain dicts keyed by column name; ids are given explicitly (see :func:`next_id`) so
child rows (identities, note tags) can refer to parents without a round trip per row. After
loading, :meth:`BulkLoader.finish` moves PostgreSQL's id sequences past the explicit ids.

Written against the table definitions, not a fixed column list: a row may leave out any column
that is nullable or has a default; a missing required column is refused up front, naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, func, select, text

from storage.engine import Database

Row = Mapping[str, Any]
Progress = Callable[[str, int], None]  # (table name, rows written so far)
CHUNK_ROWS = 5_000  # rows per executemany call
TRANSACTION_ROWS = 50_000  # rows per write transaction


def required_columns(table: Table) -> set[str]:
    """Columns a row must carry: not nullable, no default, not an autoincrement key."""
    required = set()
    for column in table.columns:
        if column.nullable or column.default is not None or column.server_default is not None:
            continue
        if column.primary_key and column.autoincrement is not False and len(table.primary_key) == 1:
            continue  # the id: generated when not given
        required.add(column.name)
    return required


class BulkLoader:
    def __init__(self, db: Database, progress: Progress | None = None) -> None:
        self.db = db
        self.progress = progress
        self._tables_with_ids: set[Table] = set()

    async def next_id(self, table: Table) -> int:
        """The first free id of ``table`` (explicit ids go from here)."""
        async with self.db.read() as conn:
            current = (await conn.execute(select(func.max(table.c.id)))).scalar()
        return int(current or 0) + 1

    async def insert(self, table: Table, rows: Iterable[Row]) -> int:
        """Insert ``rows`` (executemany, chunked, a few transactions); returns the count."""
        required = required_columns(table)
        known = set(table.columns.keys())
        written = 0
        pending: list[Row] = []

        async def flush(batch: Sequence[Row]) -> None:
            nonlocal written
            async with self.db.write() as conn:
                for start in range(0, len(batch), CHUNK_ROWS):
                    chunk = batch[start : start + CHUNK_ROWS]
                    await conn.execute(table.insert(), list(chunk))
                    written += len(chunk)
                    if self.progress is not None:
                        self.progress(table.name, written)

        for row in rows:
            if not pending:
                _check(table, row, required, known)
            pending.append(row)
            if len(pending) >= TRANSACTION_ROWS:
                await flush(pending)
                pending = []
        if pending:
            await flush(pending)
        if "id" in known and written:
            self._tables_with_ids.add(table)
        return written

    async def finish(self) -> None:
        """After explicit ids: let PostgreSQL's sequences continue after the largest id."""
        if self.db.dialect != "postgresql":
            return
        async with self.db.write() as conn:
            for table in self._tables_with_ids:
                await conn.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                    ),
                    {"table": table.name},
                )
            for table in self._tables_with_ids:
                await conn.execute(text(f"ANALYZE {table.name}"))
        self._tables_with_ids.clear()

    async def analyze(self) -> None:
        """Refresh the planner's statistics after a large load (both databases)."""
        if self.db.dialect == "sqlite":
            async with self.db.write() as conn:
                await conn.execute(text("ANALYZE"))


def _check(table: Table, row: Row, required: set[str], known: set[str]) -> None:
    unknown = set(row) - known
    if unknown:
        raise ValueError(f"{table.name}: no such columns {sorted(unknown)}")
    missing = required - set(row)
    if missing:
        raise ValueError(f"{table.name}: rows lack required columns {sorted(missing)}")
