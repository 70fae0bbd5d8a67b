"""What the bot is waiting for from a person (a wizard step, a note's text), kept in storage so a
restart mid-conversation loses nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.sql import insert
from storage.tables import conversations


@dataclass(frozen=True)
class Conversation:
    state: str
    data: dict[str, Any]
    updated_at: datetime


async def load_conversation(conn: AsyncConnection, participant_id: int) -> Conversation | None:
    """The participant's conversation, read on ``conn`` (an update's first transaction loads it
    with the person: see ``ParticipantRepository.arrive``)."""
    row = (
        await conn.execute(
            select(conversations).where(conversations.c.participant_id == participant_id)
        )
    ).first()
    if row is None:
        return None
    return Conversation(row.state, json.loads(row.data), row.updated_at)


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, participant_id: int) -> Conversation | None:
        async with self.db.read() as conn:
            return await load_conversation(conn, participant_id)

    async def set(
        self, participant_id: int, state: str, data: dict[str, Any] | None = None, *, now: datetime
    ) -> None:
        values = {
            "participant_id": participant_id,
            "state": state,
            "data": json.dumps(data or {}, ensure_ascii=False),
            "updated_at": now,
        }
        stmt = insert(self.db.dialect, conversations).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[conversations.c.participant_id],
            set_={k: stmt.excluded[k] for k in ("state", "data", "updated_at")},
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)

    async def clear(self, participant_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                delete(conversations).where(conversations.c.participant_id == participant_id)
            )
