"""Who may do a thing that only one process of a deployment may do at a time.

* :class:`Leadership` (PostgreSQL): a session-level advisory lock, held for as long as the
  process does the thing (sending to one platform, running the scheduler's jobs, polling
  Telegram) on the one connection the process keeps for its locks. Its holder dying closes the
  connection, the server releases the lock, and another process takes it at its next try. On
  SQLite it is always granted: one worker per file (below) makes the process the only one.
* :func:`lock_sqlite_worker` (SQLite): a lock file next to the database file, held by the
  worker process for its lifetime (``flock``, released by the kernel when the process ends, even
  on SIGKILL); a second worker on the same file is refused with :class:`WorkerLockError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import weakref
from pathlib import Path
from typing import IO, Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x0D8B07  # the first key of udx-bot's advisory locks (the second: the name's)


class _LockSession:
    """The one connection on which a process holds its advisory locks (one per database):
    statements on it take turns; ``generation`` counts its connections, so a lock taken on a
    connection that has since been replaced is known to be gone."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: AsyncConnection | None = None
        self.generation = 0
        self.active: set[Leadership] = set()
        self._turn = asyncio.Lock()

    async def scalar(self, sql: str, **params: object) -> Any:
        async with self._turn:
            if self.conn is None:
                conn = await self.db.engine.connect()
                self.conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                self.generation += 1
            try:
                return (await self.conn.execute(text(sql), params)).scalar()
            except Exception:
                await self._drop()
                raise

    async def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def close_if_unused(self) -> None:
        if not self.active:
            async with self._turn:
                await self._drop()


_SESSIONS: weakref.WeakKeyDictionary[Database, _LockSession] = weakref.WeakKeyDictionary()


def _session(db: Database) -> _LockSession:
    session = _SESSIONS.get(db)
    if session is None:
        session = _SESSIONS[db] = _LockSession(db)
    return session


class Leadership:
    """One holder of ``name`` at a time across the processes on one PostgreSQL. A process's
    leaderships share one connection (:class:`_LockSession`)."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        # advisory locks are per database: two bots in two schemas of one database are apart
        self.key = f"{db.schema}:{name}" if db.schema else name
        self.held = db.dialect != "postgresql"
        self._generation = 0

    async def hold(self) -> bool:
        """True while this process holds the lock: takes it if it is free, checks that the
        connection holding it is still the same, alive one if it is ours."""
        if self.db.dialect != "postgresql":
            return True
        session = _session(self.db)
        session.active.add(self)
        try:
            if self.held:
                await session.scalar("SELECT 1")
                if session.generation == self._generation:
                    return True
                self.held = False  # reconnected since: the lock went with the old connection
                log.warning("%s: the connection holding the lock was replaced", self.name)
            got = await session.scalar(
                "SELECT pg_try_advisory_lock(:ns, hashtext(:key))", ns=LOCK_NAMESPACE, key=self.key
            )
            self.held, self._generation = bool(got), session.generation
            if self.held:
                log.info("%s: this process leads now", self.name)
        except Exception as error:  # the connection is gone: so is the lock
            if self.held:
                log.warning("%s: lost the connection holding the lock (%s)", self.name, error)
            self.held = False
        return self.held

    async def release(self) -> None:
        """Give the lock up (on stop): another process takes it at its next try."""
        if self.db.dialect != "postgresql":
            return
        session = _session(self.db)
        if self.held and session.generation == self._generation:
            with contextlib.suppress(Exception):
                await session.scalar(
                    "SELECT pg_advisory_unlock(:ns, hashtext(:key))",
                    ns=LOCK_NAMESPACE,
                    key=self.key,
                )
        self.held = False
        session.active.discard(self)
        await session.close_if_unused()


class WorkerLockError(Exception):
    """Another worker already runs on this SQLite file."""


class SqliteWorkerLock:
    def __init__(self, handle: IO[str], path: Path) -> None:
        self.handle = handle
        self.path = path

    def release(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def lock_sqlite_worker(db: Database) -> SqliteWorkerLock | None:
    """Hold ``<database file>.worker.lock`` for this process (None: not SQLite); raises
    :class:`WorkerLockError` naming the other process when a worker holds it already."""
    if db.dialect != "sqlite":
        return None
    database = make_url(db.engine.url).database or ""
    path = Path(f"{database}.worker.lock")
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise WorkerLockError(
            f"another udx-bot worker ({holder}) runs on the SQLite file {database}: with SQLite "
            "run one worker (or one `udx-bot run`); several workers need PostgreSQL "
            "(DATABASE_URL=postgresql://...)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return SqliteWorkerLock(handle, path)
