"""Who belongs to the network: members and strangers (``participants.member_since``),
invitations (codes stored as their SHA-256) and membership requests (approval mode).

The rules of who is admitted when (UDX_REGISTRATION) are in udx_bot.admission; this module only
records the outcome, each change in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.participants import Participant, load_participants, members_only
from storage.tables import UTCDateTime, cities, invitations, membership_requests, participants


@dataclass(frozen=True)
class Invitation:
    id: int  # the number shown in /invite list
    city_id: int | None
    city_name: str | None
    uses: int
    used: int
    expires_at: datetime
    created_by: int | None
    created_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """active, revoked, expired or used (up)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.used >= self.uses:
            return "used"
        if now >= self.expires_at:
            return "expired"
        return "active"


class InvitationRefused(Exception):
    """A code that admits nobody; ``reason`` is unknown, revoked, expired or used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MembershipRequest:
    id: int
    participant_id: int
    city_id: int | None
    status: str  # open, approved, declined
    created_at: datetime
    decided_at: datetime | None
    decided_by: int | None


_SELECT_INVITATION = select(invitations, cities.c.name.label("city_name")).select_from(
    invitations.outerjoin(cities, cities.c.id == invitations.c.city_id)
)


def _invitation(row: Row[Any]) -> Invitation:
    data = dict(row._mapping)
    data.pop("code_hash", None)
    return Invitation(**data)


async def _admit(conn: AsyncConnection, participant_id: int, now: datetime) -> bool:
    result = await conn.execute(
        update(participants)
        .where(participants.c.id == participant_id, participants.c.member_since.is_(None))
        .values(member_since=now)
    )
    return bool(result.rowcount)


class MembershipRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Members -----------------------------------------------------------------------------------
    async def admit(self, participant_id: int, *, now: datetime) -> bool:
        """Make the participant a member; False when they already were."""
        async with self.db.write() as conn:
            return await _admit(conn, participant_id, now)

    async def remove(self, participant_id: int, *, now: datetime) -> bool:
        """End the participant's membership at once; False when they were no member."""
        async with self.db.write() as conn:
            result = await conn.execute(
                update(participants)
                .where(participants.c.id == participant_id, members_only())
                .values(member_since=None, removed_at=now)
            )
            return bool(result.rowcount)

    async def deciders(self, city_id: int | None) -> list[Participant]:
        """Who decides a membership request: the coordinators and admins of the city, or all of
        them when the city has none (or none is named)."""
        async with self.db.read() as conn:
            deciding = and_(participants.c.role.in_(("coordinator", "admin")), members_only())
            ids: list[int] = []
            if city_id is not None:
                rows = await conn.execute(
                    select(participants.c.id).where(deciding, participants.c.city_id == city_id)
                )
                ids = list(rows.scalars())
            if not ids:
                ids = list(
                    (await conn.execute(select(participants.c.id).where(deciding))).scalars()
                )
            found = await load_participants(conn, ids)
        return [found[i] for i in sorted(found)]

    # Invitations -------------------------------------------------------------------------------
    async def invite(
        self,
        code_hash: str,
        *,
        city_id: int | None,
        uses: int,
        expires_at: datetime,
        created_by: int | None,
        now: datetime,
    ) -> Invitation:
        async with self.db.write() as conn:
            result = await conn.execute(
                invitations.insert().values(
                    code_hash=code_hash,
                    city_id=city_id,
                    uses=uses,
                    expires_at=expires_at,
                    created_by=created_by,
                    created_at=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            row = (await conn.execute(_SELECT_INVITATION.where(invitations.c.id == pk[0]))).one()
        return _invitation(row)

    async def invitations(self, *, limit: int = 20) -> list[Invitation]:
        """The newest invitations, newest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                _SELECT_INVITATION.order_by(invitations.c.id.desc()).limit(limit)
            )
            return [_invitation(r) for r in rows]

    async def invitation(self, invitation_id: int) -> Invitation | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(_SELECT_INVITATION.where(invitations.c.id == invitation_id))
            ).first()
            return _invitation(row) if row else None

    async def revoke(self, invitation_id: int, *, now: datetime) -> Invitation | None:
        """Revoke an invitation (a second time changes nothing); None when there is none."""
        async with self.db.write() as conn:
            await conn.execute(
                update(invitations)
                .where(invitations.c.id == invitation_id, invitations.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = (
                await conn.execute(_SELECT_INVITATION.where(invitations.c.id == invitation_id))
            ).first()
            return _invitation(row) if row else None

    async def redeem(self, code_hash: str, participant_id: int, *, now: datetime) -> Invitation:
        """Admit the participant with an invitation (taking one use, presetting the city when
        they have none); raises :class:`InvitationRefused` and changes nothing otherwise."""
        async with self.db.write() as conn:
            row = (
                await conn.execute(_SELECT_INVITATION.where(invitations.c.code_hash == code_hash))
            ).first()
            if row is None:
                raise InvitationRefused("unknown")
            found = _invitation(row)
            state = found.state(now)
            if state != "active":
                raise InvitationRefused(state)
            taken = await conn.execute(
                update(invitations)
                .where(invitations.c.id == found.id, invitations.c.used < invitations.c.uses)
                .values(used=invitations.c.used + 1)
            )
            if not taken.rowcount:  # the last use went to someone else a moment ago
                raise InvitationRefused("used")
            await conn.execute(
                update(participants)
                .where(participants.c.id == participant_id)
                .values(
                    member_since=func.coalesce(
                        participants.c.member_since, literal(now, UTCDateTime())
                    ),
                    removed_at=None,
                )
            )
            if found.city_id is not None:
                await conn.execute(
                    update(participants)
                    .where(participants.c.id == participant_id, participants.c.city_id.is_(None))
                    .values(city_id=found.city_id)
                )
        return found

    # Requests (approval mode) ------------------------------------------------------------------
    async def request(
        self, participant_id: int, city_id: int | None, *, now: datetime
    ) -> tuple[MembershipRequest, bool]:
        """The participant's open request, made now when they have none; (request, created)."""
        try:
            async with self.db.write() as conn:
                existing = await self._open(conn, participant_id)
                if existing is not None:
                    return existing, False
                await conn.execute(
                    membership_requests.insert().values(
                        participant_id=participant_id, city_id=city_id, created_at=now
                    )
                )
                made = await self._open(conn, participant_id)
                assert made is not None
                return made, True
        except IntegrityError:  # two at once: the other one made it
            async with self.db.read() as conn:
                again = await self._open(conn, participant_id)
            if again is None:
                raise
            return again, False

    async def latest_request(self, participant_id: int) -> MembershipRequest | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(membership_requests)
                    .where(membership_requests.c.participant_id == participant_id)
                    .order_by(membership_requests.c.id.desc())
                    .limit(1)
                )
            ).first()
            return MembershipRequest(**row._mapping) if row else None

    async def open_request(self, participant_id: int) -> MembershipRequest | None:
        async with self.db.read() as conn:
            return await self._open(conn, participant_id)

    async def get_request(self, request_id: int) -> MembershipRequest | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(membership_requests).where(membership_requests.c.id == request_id)
                )
            ).first()
            return MembershipRequest(**row._mapping) if row else None

    async def decide(
        self, request_id: int, *, approve: bool, by: int, now: datetime
    ) -> MembershipRequest | None:
        """Approve (admitting the person) or decline an open request; None when it was not
        open any more (someone decided first)."""
        async with self.db.write() as conn:
            result = await conn.execute(
                update(membership_requests)
                .where(
                    membership_requests.c.id == request_id, membership_requests.c.status == "open"
                )
                .values(status="approved" if approve else "declined", decided_at=now, decided_by=by)
            )
            if not result.rowcount:
                return None
            row = (
                await conn.execute(
                    select(membership_requests).where(membership_requests.c.id == request_id)
                )
            ).one()
            decided = MembershipRequest(**row._mapping)
            if approve:
                await conn.execute(
                    update(participants)
                    .where(participants.c.id == decided.participant_id)
                    .values(
                        member_since=func.coalesce(
                            participants.c.member_since, literal(now, UTCDateTime())
                        ),
                        removed_at=None,
                    )
                )
        return decided

    @staticmethod
    async def _open(conn: AsyncConnection, participant_id: int) -> MembershipRequest | None:
        row = (
            await conn.execute(
                select(membership_requests).where(
                    membership_requests.c.participant_id == participant_id,
                    membership_requests.c.status == "open",
                )
            )
        ).first()
        return MembershipRequest(**row._mapping) if row else None
