"""The outbox: one row per (message, recipient), unique by key, so enqueuing twice never sends
twice. Delivery (claiming due rows, marking them sent or failed) builds on these rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.engine import Database
from storage.sql import insert, utcnow
from storage.tables import outbox


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    key: str
    kind: str
    ref_id: int | None
    participant_id: int | None
    platform: str
    user_id: str
    chat_id: str | None
    payload: list[str]  # Reply.to_json() documents, sent in order
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(
        self,
        *,
        key: str,
        kind: str,
        platform: str,
        user_id: str,
        chat_id: str | None,
        payload: Sequence[str],
        participant_id: int | None = None,
        ref_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a message; False when a message with this key was queued before."""
        now = utcnow()
        stmt = (
            insert(self.db.dialect, outbox)
            .values(
                key=key,
                kind=kind,
                ref_id=ref_id,
                participant_id=participant_id,
                platform=platform,
                user_id=user_id,
                chat_id=chat_id,
                payload=json.dumps(list(payload), ensure_ascii=False),
                status="pending",
                attempts=0,
                next_attempt_at=not_before or now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[outbox.c.key])
        )
        async with self.db.write() as conn:
            result = await conn.execute(stmt)
            return bool(result.rowcount)

    async def get(self, key: str) -> OutboxMessage | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(outbox).where(outbox.c.key == key))).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["payload"] = json.loads(data["payload"])
        return OutboxMessage(**data)
