"""Wiring: settings -> store (migrated) -> router -> services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from handlers import build_router
from storage import open_store
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.context import Services


async def create_services(
    settings: Settings, *, clock: Clock, schema: str | None = None
) -> Services:
    """Open the database (bringing its schema up to date) and build the bot's services."""
    store = await open_store(settings.database_url, schema=schema)
    await store.roster.apply_admins(settings.admins, now=clock())  # UDX_ADMINS
    return Services(settings=settings, store=store, router=build_router(), clock=clock)


@asynccontextmanager
async def running(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    services = await create_services(settings, clock=clock)
    try:
        yield services
    finally:
        await services.store.close()
