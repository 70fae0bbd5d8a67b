"""Small SQL helpers shared by the repositories (dialect differences live here)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def insert(dialect: str, table: Table) -> Any:
    """An INSERT that supports ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def month(dialect: str, column: Any) -> Any:
    """The UTC calendar month of a stored time as "YYYY-MM", computed by the database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


class joined_ints(FunctionElement[str]):
    """An aggregate: the group's integers joined by commas, in no particular order
    (``group_concat`` on SQLite, ``string_agg`` on PostgreSQL); :func:`split_ints` reads it.
    It lets a row carry its few related numbers (a person's SDGs) in the same statement."""

    type = String()
    inherit_cache = True
    name = "joined_ints"


@compiles(joined_ints, "sqlite")
def _joined_ints_sqlite(element: joined_ints, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


@compiles(joined_ints, "postgresql")
def _joined_ints_postgresql(element: joined_ints, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"


def split_ints(joined: str | None) -> tuple[int, ...]:
    """What :class:`joined_ints` gave, ascending (NULL for an empty group: ``()``)."""
    return tuple(sorted(int(part) for part in joined.split(","))) if joined else ()
