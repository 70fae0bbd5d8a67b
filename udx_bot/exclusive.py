"""A service that only one process of a deployment may run at a time: Telegram long polling
(two processes polling one bot get 409 Conflict and steal each other's updates).

:class:`Exclusive` runs its service in the process that holds the service's advisory lock
(storage/locks.py, PostgreSQL); the other workers stand by, trying every :data:`RETRY_S`
seconds, and the first to get the lock after the holder stops or dies starts polling. A holder
that loses the lock (its database connection dropped) stops its service and stands by too. On
SQLite the lock is always granted (one worker per file)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from storage import Store
from storage.locks import Leadership
from udx_bot.service import Service

log = logging.getLogger(__name__)

RETRY_S = 5.0


class Exclusive:
    def __init__(self, service: Service, store: Store, *, retry: float = RETRY_S) -> None:
        self.service = service
        self.name = service.name
        self.leader = Leadership(store.db, f"receive:{service.name}")
        self.retry = retry
        self.running = False
        self._watch: asyncio.Task[None] | None = None

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self) -> None:
        """Start the service now if the lock is free (its start errors propagate), else stand
        by; either way keep watching the lock."""
        if await self.leader.hold():
            await self._start_service()
        else:
            log.info("%s: another worker receives; this one stands by", self.name)
        self._watch = asyncio.create_task(self._watching(), name=f"exclusive:{self.name}")

    async def _start_service(self) -> None:
        self.running = True  # stopped in the end even if start fails half-way
        await self.service.start()

    async def _watching(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            held = await self.leader.hold()
            try:
                if held and not self.running:
                    log.warning("%s: took over from the worker that received before", self.name)
                    await self._start_service()
                elif not held and self.running:
                    log.error("%s: lost the lock; stopping to receive here", self.name)
                    self.running = False
                    await self.service.stop()
            except Exception:
                log.exception("%s: starting or stopping failed; trying again", self.name)
                self.running = False

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        if self.running:
            self.running = False
            await self.service.stop()
        await self.leader.release()
