"""``udx-bot run``: every platform whose settings are present, plus the background workers,
in one process; stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from udx_bot import outbox_wiring, scheduler
from udx_bot.app import create_services
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.service import Service, ServiceFactory
from udx_bot.web import build_app, start_server

log = logging.getLogger(__name__)


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
STOP_TIMEOUT_S = 10.0

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


async def serve(services: Services, stop: asyncio.Event, *, port: int | None = None) -> int:
    """Run until ``stop`` is set; returns the exit status."""
    platforms, workers = build_services(services)
    if not platforms:
        print(f"udx-bot: {NO_PLATFORM}", file=sys.stderr)
        return 2
    everything = [*workers, *platforms]
    routes = [route for s in everything for route in s.routes()]
    runner = None
    if routes or services.settings.port_given:  # a platform's web process must bind $PORT
        runner, bound = await start_server(
            build_app(routes), services.settings.port if port is None else port
        )
        log.info("web server listening on port %s", bound)
    started: list[Service] = []
    try:
        for service in everything:
            started.append(service)  # stopped in the end even if it fails half-way through start
            try:
                await service.start()
            except Exception as error:
                # e.g. a token the platform refuses: one clear line, not a traceback
                log.debug("starting %s failed", service.name, exc_info=True)
                reason = services.settings.redact(str(error))
                print(f"udx-bot: {service.name} could not start: {reason}", file=sys.stderr)
                return 1
            log.info("%s started", service.name)
        await stop.wait()
    finally:
        log.info("stopping")
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                for service in reversed(started):
                    await service.stop()
                if runner is not None:
                    await runner.cleanup()
        except TimeoutError:
            log.error("services did not stop within %.0f s", STOP_TIMEOUT_S)
    return 0


async def run(settings: Settings, clock: Clock) -> int:
    services = await create_services(settings, clock=clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await serve(services, stop)
    finally:
        await services.store.close()
