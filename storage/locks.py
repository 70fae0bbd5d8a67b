"""Who may do a thing that only one process of a deployment may do at a time.

* :class:`Leadership` (PostgreSQL): a session-level advisory lock, held on a connection of its
  own for as long as the process does the thing (sending to one platform, running the
  scheduler's jobs). Its holder dying closes the connection, the server releases the lock, and
  another process takes it at its next try. On SQLite it is always granted: one worker per file
  (below) makes the process the only one.
* :func:`lock_sqlite_worker` (SQLite): a lock file next to the database file, held by the
  worker process for its lifetime (``flock``, released by the kernel when the process ends, even
  on SIGKILL); a second worker on the same file is refused with :class:`WorkerLockError`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x0D8B07  # the first key of udx-bot's advisory locks (the second: the name's)


class Leadership:
    """One holder of ``name`` at a time across the processes on one PostgreSQL."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        # advisory locks are per database: two bots in two schemas of one database are apart
        self.key = f"{db.schema}:{name}" if db.schema else name
        self._conn: AsyncConnection | None = None
        self.held = db.dialect != "postgresql"

    async def hold(self) -> bool:
        """True while this process holds the lock: takes it if it is free, checks that the
        connection holding it is still alive if it is ours."""
        if self.db.dialect != "postgresql":
            return True
        try:
            if self._conn is None:
                conn = await self.db.engine.connect()
                self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.held:
                await self._conn.execute(text("SELECT 1"))
                return True
            got = await self._conn.execute(
                text("SELECT pg_try_advisory_lock(:ns, hashtext(:name))"),
                {"ns": LOCK_NAMESPACE, "name": self.key},
            )
            self.held = bool(got.scalar_one())
            if self.held:
                log.info("%s: this process leads now", self.name)
        except Exception as error:  # the connection is gone: so is the lock
            log.warning("%s: lost the database connection holding the lock (%s)", self.name, error)
            await self._drop()
        return self.held

    async def _drop(self) -> None:
        self.held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def release(self) -> None:
        """Give the lock up (on stop): another process takes it at its next try."""
        if self._conn is not None and self.held:
            with contextlib.suppress(Exception):
                await self._conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, hashtext(:name))"),
                    {"ns": LOCK_NAMESPACE, "name": self.key},
                )
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn = None
        self.held = self.db.dialect != "postgresql"


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
