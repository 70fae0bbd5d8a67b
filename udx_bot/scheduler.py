"""The periodic jobs of a running bot, on APScheduler's AsyncIOScheduler: every job that must
happen on the clock lives here (the digest tick every minute, the release of scheduled
announcements every few seconds, hourly housekeeping); each calls its feature's use case.

With several workers on one PostgreSQL, one of them runs the jobs: the one holding the
scheduler's advisory lock (storage/locks.py); the others' ticks do nothing until it stops or
dies, so each tick's work is done once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.locks import Leadership
from udx_bot import metrics
from udx_bot.context import Services
from udx_bot.digest_runner import tick
from udx_bot.usecases import announcements, introductions

log = logging.getLogger(__name__)

Job = Callable[[Services], Awaitable[object]]


async def digest_job(services: Services) -> None:
    report = await tick(services)
    for outcome in ("enqueued", "empty", "skipped"):
        metrics.DIGEST_RUNS.labels(outcome).inc(len(getattr(report, outcome)))
    if report.enqueued or report.skipped:
        log.info(
            "digests: %d enqueued, %d empty, %d skipped",
            len(report.enqueued), len(report.empty), len(report.skipped),
        )  # fmt: skip


async def announcements_job(services: Services) -> int:
    """Release scheduled announcements whose time has come; returns how many. Their fan-out
    wakes the outbox worker at once."""
    released = await announcements.release_due(
        services.store,
        services.outbox,
        services.clock,
        network=services.settings.network_name,
        default_language=services.settings.default_language,
    )
    metrics.ANNOUNCEMENTS.inc(released)
    if released:
        log.info("announcements: %d scheduled released", released)
    return released


async def housekeeping_job(services: Services) -> None:
    """Expire introduction requests unanswered for 14 days (and tell the requesters, see
    udx_bot/usecases/introductions.py); forget old update ids; delete
    messages delivered more than UDX_OUTBOX_RETENTION_DAYS ago."""
    now = services.clock()
    expired = await services.store.introductions.expire_due(now)
    await introductions.announce_expired(services)
    pruned = await services.store.updates.prune(now=now)
    retention = timedelta(days=services.settings.outbox_retention_days)
    delivered = await services.store.privacy.prune_sent_messages(before=now - retention)
    if expired or pruned or delivered:
        log.info(
            "housekeeping: %d introductions expired, %d update ids pruned, %d sent messages "
            "deleted",
            expired, pruned, delivered,
        )  # fmt: skip


# (name, job, seconds between runs)
JOBS: list[tuple[str, Job, float]] = [
    ("digest", digest_job, 60.0),
    ("announcements", announcements_job, 5.0),  # a scheduled one goes out within seconds
    ("housekeeping", housekeeping_job, 3600.0),
]


class SchedulerService:
    name = "scheduler"

    def __init__(
        self, services: Services, jobs: list[tuple[str, Job, float]] | None = None
    ) -> None:
        self.services = services
        self.jobs = JOBS if jobs is None else jobs
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[None]] = set()  # the jobs under way
        self._stopping = False
        # several workers: only the one holding the lock runs the jobs (PostgreSQL)
        self.leader = Leadership(services.store.db, "scheduler")

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self) -> None:
        for name, job, seconds in self.jobs:
            self.scheduler.add_job(
                self._run,
                "interval",
                seconds=seconds,
                args=[name, job],
                id=name,
                coalesce=True,  # after a pause, run once, not once per missed interval
                max_instances=1,
            )
            # ... and once right away, to catch up at start-up: no trigger means "now" by
            # APScheduler's own clock, which only decides when to tick (jobs use services.clock)
            self.scheduler.add_job(self._run, args=[name, job], id=f"{name}:start-up")
        self.scheduler.start()

    async def _run(self, name: str, job: Job) -> None:
        # APScheduler cancels its jobs' tasks when it shuts down: the job runs in a task of its
        # own, shielded, so that stop() lets it finish instead
        task = asyncio.create_task(self._job(name, job), name=f"job:{name}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # our own shutdown: stop() waits for the job; nothing to report to APScheduler
            # (which would log the cancellation as a failed job, with a traceback)

    async def _job(self, name: str, job: Job) -> None:
        if not await self.leader.hold():
            log.debug("scheduled job %s: another worker runs the jobs", name)
            return
        log.debug("scheduled job %s", name)  # every few seconds: not at INFO
        try:
            await job(self.services)
        except Exception:
            log.exception("scheduled job %s failed", name)

    async def stop(self) -> None:
        """No new run starts; the runs under way finish."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running))
        await self.leader.release()


def service(services: Services) -> SchedulerService:
    return SchedulerService(services)
