"""The bot's processes, all through :func:`serve`: ``udx-bot run`` (everything in one process),
``udx-bot web`` (what receives over HTTP) and ``udx-bot worker`` (what runs in the background);
each stops cleanly on SIGTERM.

Which process starts what (:class:`Roles`):

* **web**: the aiohttp server on ``$PORT`` (``/healthz``, ``/metrics``) and the platform
  services that receive over HTTP (Slack's Events API, the Telegram webhook);
* **worker**: the outbox worker, the scheduler and the platform services that fetch their
  updates themselves (Telegram long polling when no webhook is set, Slack Socket Mode). A worker
  serves ``/healthz`` and ``/metrics`` only when ``PORT`` is set. Several workers may run on
  one PostgreSQL (one sends per platform, one runs the scheduler: storage/locks.py); on SQLite
  a second worker on the same file is refused (exit 2, one line).

A platform service belongs to the web process when it has HTTP routes, to the worker otherwise.
One that only one process may run (``exclusive``: Telegram long polling) runs in the worker that
holds its lock; the other workers stand by (udx_bot/exclusive.py).

SIGTERM (and SIGINT): the platform services stop first (no new update is taken; those in flight
are finished), then the outbox worker (the sends in flight finish, claimed rows not sent yet are
handed back) and the scheduler (a job that is running finishes), within :data:`STOP_TIMEOUT_S`;
the exit status is 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from storage.locks import WorkerLockError, lock_sqlite_worker
from udx_bot import outbox_wiring, scheduler
from udx_bot.app import create_services
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.exclusive import Exclusive
from udx_bot.service import Service, ServiceFactory
from udx_bot.web import build_app, start_server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Roles:
    """What one process starts (see the module notes)."""

    web: bool = True
    worker: bool = True


ALL = Roles()
WEB = Roles(web=True, worker=False)
WORKER = Roles(web=False, worker=True)


# The platform adapters import their libraries (python-telegram-bot, Bolt) when ``run`` builds
# them, so every other udx-bot command starts without loading both.
def telegram_service(services: Services) -> Service | None:
    from udx_bot.platforms import telegram

    return telegram.service(services)


def slack_service(services: Services) -> Service | None:
    from udx_bot.platforms import slack

    return slack.service(services)


# Each platform adapter's factory; a factory returns None when its settings are absent.
PLATFORMS: tuple[ServiceFactory, ...] = (telegram_service, slack_service)
# Workers that run whenever a platform runs (the outbox worker, the digest scheduler).
WORKERS: tuple[ServiceFactory, ...] = (outbox_wiring.outbox_service, scheduler.service)
STOP_TIMEOUT_S = 20.0  # platforms give ~30 s between SIGTERM and SIGKILL

NO_PLATFORM = (
    "no platform configured: set TELEGRAM_BOT_TOKEN (Telegram), or SLACK_BOT_TOKEN with "
    "SLACK_APP_TOKEN (Slack Socket Mode) or with SLACK_SIGNING_SECRET (Slack over HTTP)"
)


def build_services(
    services: Services,
    platforms: Sequence[ServiceFactory] = PLATFORMS,
    workers: Sequence[ServiceFactory] = WORKERS,
) -> tuple[list[Service], list[Service]]:
    found = [s for f in platforms if (s := f(services)) is not None]
    background = [s for f in workers if (s := f(services)) is not None] if found else []
    return found, background


def select(
    platforms: list[Service], workers: list[Service], roles: Roles
) -> tuple[list[Service], list[Service]]:
    """The platform services and workers ``roles`` starts: a platform with HTTP routes
    receives in the web process, one without (polling, Socket Mode) in the worker."""
    chosen = [s for s in platforms if (roles.web if s.routes() else roles.worker)]
    return chosen, (workers if roles.worker else [])


async def serve(
    services: Services,
    stop: asyncio.Event,
    *,
    port: int | None = None,
    roles: Roles = ALL,
) -> int:
    """Run what ``roles`` starts until ``stop`` is set; returns the exit status."""
    # the workers only where they run (an outbox worker listens to the outbox once built)
    found, background = build_services(services, workers=WORKERS if roles.worker else ())
    if not found:
        print(f"udx-bot: {NO_PLATFORM}", file=sys.stderr)
        return 2
    platforms, workers = select(found, background, roles)
    # Telegram long polling: one process of the deployment polls (udx_bot/exclusive.py)
    platforms = [
        Exclusive(s, services.store) if getattr(s, "exclusive", False) else s for s in platforms
    ]
    sqlite_lock = None
    if workers:
        try:
            sqlite_lock = lock_sqlite_worker(services.store.db)  # one worker per SQLite file
        except WorkerLockError as error:
            print(f"udx-bot: {error}", file=sys.stderr)
            return 2
    try:
        return await _serve(services, stop, [*workers, *platforms], roles, port)
    finally:
        if sqlite_lock is not None:
            sqlite_lock.release()


async def _serve(
    services: Services,
    stop: asyncio.Event,
    everything: list[Service],
    roles: Roles,
    port: int | None,
) -> int:
    routes = [route for s in everything for route in s.routes()]
    settings = services.settings
    runner = None
    # a web process always binds $PORT; a worker only when PORT is set (its /metrics)
    if routes or settings.port_given or (roles.web and not roles.worker):
        app = build_app(routes, services)
        runner, bound = await start_server(app, settings.port if port is None else port)
        log.info("web server listening on port %s", bound)
    if not everything:
        log.warning("nothing to start in this process besides the web server")
    started: list[Service] = []
    try:
        for service in everything:
            started.append(service)  # stopped in the end even if it fails half-way through start
            try:
                await service.start()
            except Exception as error:
                # e.g. a token the platform refuses: one clear line, not a traceback
                log.debug("starting %s failed", service.name, exc_info=True)
                reason = settings.redact(str(error))
                print(f"udx-bot: {service.name} could not start: {reason}", file=sys.stderr)
                return 1
            log.info("%s started", service.name)
        await stop.wait()
    finally:
        log.info("stopping")
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                for service in reversed(started):  # the platforms first: no new work
                    await service.stop()
                if runner is not None:
                    await runner.cleanup()
        except TimeoutError:
            log.error("services did not stop within %.0f s", STOP_TIMEOUT_S)
    return 0


async def run(settings: Settings, clock: Clock, roles: Roles = ALL) -> int:
    services = await create_services(settings, clock=clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await serve(services, stop, roles=roles)
    finally:
        await services.close()
