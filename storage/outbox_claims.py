"""The outbox's claims and leases: which worker delivers a row now, and when it is due again.

A worker claims due rows atomically (:meth:`OutboxClaims.claim`): a claimed row stays
``pending``, its ``next_attempt_at`` moves to the end of the lease and ``claimed_by`` names the
worker (``UDX_WORKER_NAME``), so no other worker takes it meanwhile. A worker that dies leaves
its claims to be taken again once the lease has passed, or at once by its successor with the
same name (:meth:`OutboxClaims.reclaim`, when it starts). Progress is recorded per platform
message (``parts_sent``, :meth:`OutboxClaims.mark_parts_sent`), so a retry goes on with the
next part and a part already delivered is never sent again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from storage.engine import Database
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
    parts_sent: int = 0  # platform messages of the payload already delivered
    claimed_by: str | None = None


def message_of(row: Any) -> OutboxMessage:
    data = dict(row._mapping)
    data["payload"] = json.loads(data["payload"])
    return OutboxMessage(**data)


class OutboxClaims:
    """Claims, leases and progress of the outbox rows (mixed into the repository)."""

    db: Database

    async def claim(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        platforms: Iterable[str] | None = None,
        worker: str | None = None,
        recipients: Mapping[str, Collection[str]] | None = None,
    ) -> list[OutboxMessage]:
        """Take up to ``limit`` due pending rows, oldest due first, for ``lease``, in the name
        of ``worker``.

        Atomic across processes: PostgreSQL locks the candidates with ``FOR UPDATE SKIP
        LOCKED``; SQLite's write transaction (``BEGIN IMMEDIATE``) serialises claimers. The
        update re-checks that each row is still pending and due, so a row is never claimed twice.
        ``recipients`` narrows a platform to some user ids (the console sends only to the person
        at the keyboard).
        """
        due = and_(outbox.c.status == "pending", outbox.c.next_attempt_at <= now)
        if platforms is not None:
            due = and_(due, outbox.c.platform.in_(list(platforms)))
        for platform, users in (recipients or {}).items():
            due = and_(due, or_(outbox.c.platform != platform, outbox.c.user_id.in_(list(users))))
        candidates = (
            select(outbox.c.id)
            .where(due)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        if self.db.dialect == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        async with self.db.write() as conn:
            ids = list((await conn.execute(candidates)).scalars())
            if not ids:
                return []
            rows = await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids), due)
                .values(next_attempt_at=now + lease, claimed_by=worker)
                .returning(*outbox.c)
            )
            claimed = [message_of(r) for r in rows]
        order = {message_id: n for n, message_id in enumerate(ids)}
        claimed.sort(key=lambda m: order[m.id])
        return claimed

    async def reclaim(self, worker: str, *, now: datetime) -> int:
        """Make the rows still claimed by ``worker`` due at once: a worker of that name starts,
        so its predecessor (the same worker before a crash or a restart) sends nothing any
        more. Returns how many rows."""
        async with self.db.write() as conn:
            result = await conn.execute(
                update(outbox)
                .where(outbox.c.status == "pending", outbox.c.claimed_by == worker)
                .values(next_attempt_at=now, claimed_by=None)
            )
            return int(result.rowcount or 0)

    async def mark_parts_sent(self, message_id: int, parts_sent: int) -> None:
        """The platform accepted the message's first ``parts_sent`` parts: never again."""
        async with self.db.write() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == message_id, outbox.c.status == "pending")
                .values(parts_sent=parts_sent)
            )

    async def retry(
        self,
        message_id: int,
        *,
        at: datetime,
        error: str | None = None,
        count_attempt: bool = True,
    ) -> None:
        """Put a claimed message back, due at ``at`` (a transient failure, or not sent yet)."""
        values: dict[str, Any] = {"next_attempt_at": at, "claimed_by": None}
        if error is not None:
            values["last_error"] = error[:500]
        if count_attempt:
            values["attempts"] = outbox.c.attempts + 1
        async with self.db.write() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == message_id, outbox.c.status == "pending")
                .values(**values)
            )

    async def release(self, ids: Sequence[int], *, at: datetime) -> None:
        """Hand claimed, unsent messages back at once (a worker stopping)."""
        if not ids:
            return
        async with self.db.write() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(ids)), outbox.c.status == "pending")
                .values(next_attempt_at=at, claimed_by=None)
            )

    async def next_due(self, platforms: Iterable[str] | None = None) -> datetime | None:
        """When the earliest pending message becomes due (None: nothing pending)."""
        query = select(func.min(outbox.c.next_attempt_at)).where(outbox.c.status == "pending")
        if platforms is not None:
            query = query.where(outbox.c.platform.in_(list(platforms)))
        async with self.db.read() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        if value is None:
            return None
        # func.min loses the column type on SQLite: normalise like UTCDateTime does
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
