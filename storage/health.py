"""What ``/healthz`` and ``/metrics`` ask the database: does it answer, and how many outbox
messages wait per platform."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from storage.engine import Database
from storage.tables import outbox

PING_TIMEOUT_S = 3.0


async def ping(db: Database) -> bool:
    """True when the database answers ``SELECT 1`` within :data:`PING_TIMEOUT_S` seconds."""
    try:
        async with asyncio.timeout(PING_TIMEOUT_S), db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


async def outbox_depth(db: Database) -> dict[str, int]:
    """Pending outbox messages per platform (due or not, claimed or not)."""
    query = (
        select(outbox.c.platform, func.count())
        .where(outbox.c.status == "pending")
        .group_by(outbox.c.platform)
    )
    async with db.read() as conn:
        return {platform: int(n) for platform, n in (await conn.execute(query)).all()}
