"""Wiring: settings -> store (migrated) -> router -> services.

The bot (``udx-bot run``) and every command line command are wired here, the same way: those
that act like the bot take :func:`running` (the whole ``Services``), those that need the
database alone (imports, roles) take :func:`database`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from handlers import build_router
from storage import Store, open_store
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.context import Services

log = logging.getLogger(__name__)

EPHEMERAL_SQLITE = (
    "DATABASE_URL is SQLite (%s) on a dyno (DYNO=%s), whose filesystem is thrown away at every "
    "restart and deploy: EVERYTHING STORED WILL BE LOST. Attach PostgreSQL (DATABASE_URL)."
)


async def open_database(settings: Settings, *, schema: str | None = None) -> Store:
    """The configured database (DATABASE_URL), its schema brought up to date. SQLite on an
    ephemeral filesystem (a Heroku dyno: DYNO is set) is warned about loudly."""
    warn_if_ephemeral(settings)
    return await open_store(
        settings.database_url, schema=schema, pool_size=settings.handlers_at_once
    )


def warn_if_ephemeral(settings: Settings) -> None:
    if settings.dyno and settings.database_url.startswith("sqlite"):
        log.warning(EPHEMERAL_SQLITE, settings.database_url.partition(":///")[2], settings.dyno)


async def create_services(
    settings: Settings, *, clock: Clock, schema: str | None = None
) -> Services:
    """Open the database and build the bot's services."""
    store = await open_database(settings, schema=schema)
    await store.roster.apply_admins(settings.admins, now=clock())  # UDX_ADMINS
    return Services(settings=settings, store=store, router=build_router(), clock=clock)


@asynccontextmanager
async def running(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    services = await create_services(settings, clock=clock)
    try:
        yield services
    finally:
        await services.close()


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Store]:
    """The database alone, for commands that change it directly. UDX_ADMINS is not applied:
    a role revoked with ``udx-bot revoke admin`` stays revoked until the bot starts again."""
    store = await open_database(settings)
    try:
        yield store
    finally:
        await store.close()
