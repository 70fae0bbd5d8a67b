"""The outbox: one row per (message, recipient), unique by key, so enqueuing twice never sends
twice.

Delivery (see udx_bot/outbox_worker.py) claims due rows atomically with a lease, in the name of
a worker, and records progress per platform message (storage/outbox_claims.py). A row becomes
``sent`` only after the platform accepted all of it (recorded per message, so a worker killed
mid fan-out re-sends at most the messages it had in flight), ``failed`` for good on a permanent
error, and ``uncertain`` when the platform may have accepted it but its answer could not be
read: such a row is never claimed again (so duplicates are bounded by what was in flight when a
worker crashed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal, select, update

from storage.engine import Database
from storage.outbox_claims import OutboxClaims, OutboxMessage, message_of
from storage.sql import insert
from storage.tables import identities, outbox, outbox_subjects, participants

CHUNK = 500


@dataclass(frozen=True)
class NewMessage:
    """One row for :meth:`OutboxRepository.enqueue_many`."""

    key: str
    kind: str
    platform: str
    user_id: str
    chat_id: str | None
    payload: str  # JSON list of Reply.to_json() documents (shared by many rows of a fan-out)
    participant_id: int | None = None
    ref_id: int | None = None


@dataclass(frozen=True)
class StatusCounts:
    sent: int = 0
    pending: int = 0
    failed: int = 0
    uncertain: int = 0  # probably delivered, unconfirmed (see UncertainDelivery)

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed + self.uncertain


class OutboxRepository(OutboxClaims):
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
        subjects: Iterable[int] = (),
        now: datetime,
    ) -> bool:
        """Queue a message; False when a message with this key was queued before.
        ``subjects``: the people it names besides its recipient (erasing one deletes it)."""
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
            .returning(outbox.c.id)
        )
        async with self.db.write() as conn:
            message_id = (await conn.execute(stmt)).scalar()
            if message_id is None:
                return False
            named = sorted({int(pid) for pid in subjects if pid != participant_id})
            if named:  # those who still exist (one may have been erased since)
                exists = select(literal(message_id), participants.c.id).where(
                    participants.c.id.in_(named)
                )
                await conn.execute(
                    outbox_subjects.insert().from_select(["outbox_id", "participant_id"], exists)
                )
            return True

    async def enqueue_many(self, messages: Sequence[NewMessage], *, now: datetime) -> int:
        """Queue many messages at once (a fan-out); keys queued before are skipped.

        Returns how many rows were new. Written in chunks of 500 rows, one transaction.
        """
        if not messages:
            return 0
        keys = [m.key for m in messages]
        stmt = insert(self.db.dialect, outbox).on_conflict_do_nothing(index_elements=[outbox.c.key])
        async with self.db.write() as conn:
            before = await _count_keys(conn, keys)
            for start in range(0, len(messages), CHUNK):
                chunk = messages[start : start + CHUNK]
                await conn.execute(
                    stmt,
                    [
                        {
                            "key": m.key,
                            "kind": m.kind,
                            "ref_id": m.ref_id,
                            "participant_id": m.participant_id,
                            "platform": m.platform,
                            "user_id": m.user_id,
                            "chat_id": m.chat_id,
                            "payload": m.payload,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                        for m in chunk
                    ],
                )
        return len(messages) - before

    async def get(self, key: str) -> OutboxMessage | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(outbox).where(outbox.c.key == key))).first()
        return message_of(row) if row is not None else None

    async def mark_sent(self, ids: Sequence[int], *, now: datetime) -> None:
        """The platform accepted these messages."""
        if not ids:
            return
        async with self.db.write() as conn:
            for start in range(0, len(ids), CHUNK):
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids[start : start + CHUNK]))
                    .values(status="sent", sent_at=now, last_error=None, claimed_by=None)
                )

    async def mark_failed(
        self,
        message_id: int,
        *,
        error: str,
        now: datetime,
        block_recipient: bool = False,
    ) -> int:
        """A message failed for good.

        With ``block_recipient`` the platform refused the person for good (they blocked the
        bot, the account is gone): their identity gets ``blocked_at`` (cleared when they write
        again) and every other pending message to it fails too. Returns how many messages
        failed.
        """
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(outbox.c.platform, outbox.c.user_id).where(outbox.c.id == message_id)
                )
            ).first()
            if row is None:
                return 0
            target = outbox.c.id == message_id
            if block_recipient:
                target = and_(
                    outbox.c.platform == row.platform,
                    outbox.c.user_id == row.user_id,
                    outbox.c.status == "pending",
                )
                await conn.execute(
                    update(identities)
                    .where(
                        identities.c.platform == row.platform,
                        identities.c.user_id == row.user_id,
                        identities.c.blocked_at.is_(None),
                    )
                    .values(blocked_at=now)
                )
            result = await conn.execute(
                update(outbox)
                .where(target)
                .values(status="failed", last_error=error[:500], attempts=outbox.c.attempts + 1)
            )
            return int(result.rowcount or 0)

    async def mark_uncertain(self, message_id: int, *, error: str, now: datetime) -> bool:
        """The platform may have accepted the message, its answer was unreadable: never sent
        again. False when the row was no longer pending."""
        async with self.db.write() as conn:
            result = await conn.execute(
                update(outbox)
                .where(outbox.c.id == message_id, outbox.c.status == "pending")
                .values(
                    status="uncertain",
                    sent_at=now,
                    last_error=error[:500],
                    attempts=outbox.c.attempts + 1,
                )
            )
            return bool(result.rowcount)

    async def counts(self, kind: str, ref_ids: Sequence[int]) -> dict[int, StatusCounts]:
        """Sent / pending / failed / uncertain per ``ref_id`` (e.g. per announcement)."""
        found: dict[int, dict[str, int]] = {}
        if ref_ids:
            async with self.db.read() as conn:
                rows = await conn.execute(
                    select(outbox.c.ref_id, outbox.c.status, func.count())
                    .where(outbox.c.kind == kind, outbox.c.ref_id.in_(list(ref_ids)))
                    .group_by(outbox.c.ref_id, outbox.c.status)
                )
                for ref_id, status, n in rows:
                    found.setdefault(ref_id, {})[status] = int(n)
        return {r: StatusCounts(**found.get(r, {})) for r in ref_ids}

    async def by_ref(self, kind: str, ref_id: int) -> list[OutboxMessage]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(outbox)
                .where(outbox.c.kind == kind, outbox.c.ref_id == ref_id)
                .order_by(outbox.c.id)
            )
            return [message_of(r) for r in rows]


async def _count_keys(conn: Any, keys: Sequence[str]) -> int:
    total = 0
    for start in range(0, len(keys), CHUNK):
        total += int(
            (
                await conn.execute(
                    select(func.count())
                    .select_from(outbox)
                    .where(outbox.c.key.in_(keys[start : start + CHUNK]))
                )
            ).scalar_one()
        )
    return total
