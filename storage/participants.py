"""Participants and their platform identities (one person may have a Telegram and a Slack one):
profiles, first contact and activity.

The rest of what happens to a person lives next door: roles and pre-registration in
:mod:`storage.roster`, joining two identities in :mod:`storage.linking`, data export and erasure
in :mod:`storage.privacy`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Subquery,
    bindparam,
    case,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.conversations import Conversation
from storage.engine import Database
from storage.sql import joined_ints, split_ints
from storage.tables import (
    cities,
    conversations,
    identities,
    participant_sdgs,
    participants,
    partnerships,
)

ROLES = ("participant", "coordinator", "admin")
ACTIVITY_RESOLUTION = timedelta(minutes=10)  # last_active_at is kept to this precision


@dataclass(frozen=True)
class Identity:
    id: int
    participant_id: int
    platform: str
    user_id: str
    chat_id: str | None
    username: str | None
    display_name: str | None
    language_code: str | None
    blocked_at: datetime | None
    created_at: datetime

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Participant:
    id: int
    name: str
    city_id: int | None
    department: str | None
    language: str | None
    timezone: str | None
    role: str
    digest_weekday: int
    digest_minute: int
    digest_enabled: bool
    deliver_platform: str | None
    is_demo: bool
    created_at: datetime
    registered_at: datetime | None
    last_active_at: datetime | None
    city_name: str | None = None
    country: str | None = None
    city_timezone: str | None = None
    sdgs: tuple[int, ...] = ()
    member_since: datetime | None = None  # None: a stranger (see udx_bot.admission)
    removed_at: datetime | None = None
    anonymous: bool = False  # exports name them by city and department only
    work_start: int | None = None  # working hours in minutes after local midnight; None: 9–17
    work_end: int | None = None
    paused_until: datetime | None = None  # /profile pause: no introductions or follow-ups

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until

    translate: bool = True  # notes in the other language shown translated (/profile translate)
    # the partner cities of their city (reference data, read with the person: /find and /notes
    # rank by it on every update)
    partner_city_ids: tuple[int, ...] = ()

    @property
    def member(self) -> bool:
        """A member of the network (demo profiles show how members look)."""
        return self.member_since is not None or self.is_demo

    @property
    def registered(self) -> bool:
        """A person counts as registered once city and department are set."""
        return self.city_id is not None and self.department is not None

    @property
    def effective_timezone(self) -> str | None:
        return self.timezone or self.city_timezone

    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


_PARTICIPANT_COLUMNS = [c for c in participants.c]


@dataclass(frozen=True)
class Arrival:
    """What an update needs about its sender: who they are and what the bot awaits from them."""

    participant: Participant
    identity: Identity
    conversation: Conversation | None


_SDG_LIST, _PARTNER_LIST = "sdg_list", "partner_list"
# a person with city, SDGs and partner cities in one row (lists joined by commas: storage.sql)
_PARTICIPANT_SELECTED = [
    *_PARTICIPANT_COLUMNS,
    cities.c.name.label("city_name"),
    cities.c.country,
    cities.c.timezone.label("city_timezone"),
    select(joined_ints(participant_sdgs.c.sdg))
    .where(participant_sdgs.c.participant_id == participants.c.id)
    .scalar_subquery()
    .label(_SDG_LIST),
    select(
        joined_ints(
            case(
                (partnerships.c.city_id == participants.c.city_id, partnerships.c.partner_city_id),
                else_=partnerships.c.city_id,
            )
        )
    )
    .where(
        or_(
            partnerships.c.city_id == participants.c.city_id,
            partnerships.c.partner_city_id == participants.c.city_id,
        )
    )
    .scalar_subquery()
    .label(_PARTNER_LIST),
]
_WITH_CITY = participants.outerjoin(cities, cities.c.id == participants.c.city_id)
_SELECT_PARTICIPANTS = (  # built once: the ids are a parameter
    select(*_PARTICIPANT_SELECTED)
    .select_from(_WITH_CITY)
    .where(participants.c.id.in_(bindparam("ids", expanding=True)))
)
_IDENTITY_FIELDS = {f.name for f in fields(Identity)}
_IDENTITY_PREFIX = "identity_"
_CONVERSATION_PREFIX = "conversation_"
# what every update needs about its sender, in one statement: identity, person (city, SDGs) and
# what the bot awaits from them
_SELECT_ARRIVAL = (
    select(
        *(c.label(_IDENTITY_PREFIX + c.name) for c in identities.c),
        *_PARTICIPANT_SELECTED,
        *(
            conversations.c[name].label(_CONVERSATION_PREFIX + name)
            for name in ("state", "data", "updated_at")
        ),
    )
    .select_from(
        identities.join(_WITH_CITY, participants.c.id == identities.c.participant_id).outerjoin(
            conversations, conversations.c.participant_id == participants.c.id
        )
    )
    .where(
        identities.c.platform == bindparam("platform"),
        identities.c.user_id == bindparam("user_id"),
    )
)


def members_only() -> ColumnElement[bool]:
    """The condition every query about other people adds: members only (no strangers, no
    removed people; demo profiles count, as in :attr:`Participant.member`)."""
    return or_(participants.c.member_since.is_not(None), participants.c.is_demo)


def _identity(row: Row[Any]) -> Identity:
    return Identity(**{k: v for k, v in row._mapping.items() if k in _IDENTITY_FIELDS})


def _arrival(row: Row[Any]) -> Arrival:
    """A row of :data:`_SELECT_ARRIVAL` taken apart."""
    ident: dict[str, Any] = {}
    person: dict[str, Any] = {}
    talk: dict[str, Any] = {}
    for key, value in zip(row._fields, row, strict=True):
        if key.startswith(_IDENTITY_PREFIX):
            ident[key.removeprefix(_IDENTITY_PREFIX)] = value
        elif key.startswith(_CONVERSATION_PREFIX):
            talk[key.removeprefix(_CONVERSATION_PREFIX)] = value
        else:
            person[key] = value
    conversation = (
        None
        if talk["state"] is None
        else Conversation(talk["state"], json.loads(talk["data"]), talk["updated_at"])
    )
    return Arrival(_participant(person), Identity(**ident), conversation)


async def load_participants(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Participant]:
    """Participants with city, SDGs and partner cities, by id (missing ids are left out)."""
    wanted = list(ids)
    if not wanted:
        return {}
    result: dict[int, Participant] = {}
    for chunk_start in range(0, len(wanted), 500):
        chunk = wanted[chunk_start : chunk_start + 500]
        rows = await conn.execute(_SELECT_PARTICIPANTS, {"ids": chunk})
        for row in rows:
            result[row.id] = participant_of(row)
    return result


def participants_in(page: Subquery, *order: ColumnElement[Any]) -> Select[Any]:
    """The people of ``page`` (a subquery with an ``id`` column: a page of a ranking, say) with
    city, SDGs and partner cities, in ``order`` (of ``page``'s columns): one statement where
    reading the ids and then :func:`load_participants` would be two. Rows go to
    :func:`participant_of`."""
    return (
        select(*_PARTICIPANT_SELECTED)
        .select_from(page.join(_WITH_CITY, participants.c.id == page.c.id))
        .order_by(*order)
    )


def participant_of(row: Row[Any]) -> Participant:
    """A :class:`Participant` from a row with :data:`_PARTICIPANT_SELECTED`'s columns (of
    :func:`participants_in` or :func:`load_participants`)."""
    return _participant(row._asdict())


def _participant(data: dict[str, Any]) -> Participant:
    """A :class:`Participant` from a row of :data:`_PARTICIPANT_SELECTED`."""
    sdgs, partners = split_ints(data.pop(_SDG_LIST)), split_ints(data.pop(_PARTNER_LIST))
    return Participant(**data, sdgs=sdgs, partner_city_ids=partners)


async def replace_sdgs(conn: AsyncConnection, participant_id: int, sdgs: Iterable[int]) -> None:
    """The participant's SDGs become exactly ``sdgs``."""
    await conn.execute(
        delete(participant_sdgs).where(participant_sdgs.c.participant_id == participant_id)
    )
    chosen = sorted(set(sdgs))
    if chosen:
        await conn.execute(
            participant_sdgs.insert(),
            [{"participant_id": participant_id, "sdg": n} for n in chosen],
        )


async def registration_stamp(conn: AsyncConnection, participant_id: int, now: datetime) -> None:
    """Set registered_at the first time city and department are both set."""
    await conn.execute(
        update(participants)
        .where(
            participants.c.id == participant_id,
            participants.c.registered_at.is_(None),
            participants.c.city_id.is_not(None),
            participants.c.department.is_not(None),
        )
        .values(registered_at=now)
    )


class ParticipantRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, participant_id: int) -> Participant | None:
        async with self.db.read() as conn:
            return (await load_participants(conn, [participant_id])).get(participant_id)

    async def get_many(self, ids: Iterable[int]) -> dict[int, Participant]:
        async with self.db.read() as conn:
            return await load_participants(conn, ids)

    async def identity(self, platform: str, user_id: str) -> Identity | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(identities).where(
                        identities.c.platform == platform, identities.c.user_id == user_id
                    )
                )
            ).first()
            return _identity(row) if row else None

    async def identities(self, participant_id: int) -> list[Identity]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(identities)
                .where(identities.c.participant_id == participant_id)
                .order_by(identities.c.id)
            )
            return [_identity(r) for r in rows]

    async def by_identity(self, platform: str, user_id: str) -> Participant | None:
        ident = await self.identity(platform, user_id)
        return await self.get(ident.participant_id) if ident else None

    async def touch(
        self,
        platform: str,
        user_id: str,
        *,
        display_name: str = "",
        username: str | None = None,
        language_code: str | None = None,
        chat_id: str | None = None,
        now: datetime,
    ) -> tuple[Participant, Identity]:
        """The participant behind a platform identity, created on first contact.

        Keeps the identity's platform details current, clears a delivery block (the person wrote
        again) and records activity (to :data:`ACTIVITY_RESOLUTION`); writes only when something
        changed.
        """
        arrival = await self.arrive(
            platform,
            user_id,
            display_name=display_name,
            username=username,
            language_code=language_code,
            chat_id=chat_id,
            now=now,
        )
        return arrival.participant, arrival.identity

    async def _arrival(self, platform: str, user_id: str) -> Arrival | None:
        async with self.db.read(one_statement=True) as conn:
            row = (
                await conn.execute(_SELECT_ARRIVAL, {"platform": platform, "user_id": user_id})
            ).first()
        return None if row is None else _arrival(row)

    async def arrive(
        self,
        platform: str,
        user_id: str,
        *,
        display_name: str = "",
        username: str | None = None,
        language_code: str | None = None,
        chat_id: str | None = None,
        now: datetime,
    ) -> Arrival:
        """:meth:`touch`, and the person's conversation read with them: what every update needs
        before a feature runs, in one statement for a known person."""
        known = await self._arrival(platform, user_id)  # one statement for a known person
        if known is not None:
            participant, ident, conversation = known.participant, known.identity, known.conversation
            changes: dict[str, Any] = {}
            for name, value in (
                ("display_name", display_name or ident.display_name),
                ("username", username or ident.username),
                ("language_code", language_code or ident.language_code),
                ("chat_id", chat_id or ident.chat_id),
            ):
                if value != getattr(ident, name):
                    changes[name] = value
            if ident.blocked_at is not None:
                changes["blocked_at"] = None
            stale = (
                participant.last_active_at is None
                or now - participant.last_active_at >= ACTIVITY_RESOLUTION
            )
            # Someone granted a role or made admin before they wrote is stored under their
            # platform id (see roster._ensure); their first message brings their name.
            named = display_name.strip()
            rename = participant.name == user_id and bool(named) and named != user_id
            if not changes and not stale and not rename:
                return Arrival(participant, ident, conversation)
            async with self.db.write() as conn:
                if changes:
                    await conn.execute(
                        update(identities).where(identities.c.id == ident.id).values(**changes)
                    )
                own: dict[str, Any] = {"last_active_at": now} if stale else {}
                if rename:
                    own["name"] = named
                if own:
                    await conn.execute(
                        update(participants)
                        .where(participants.c.id == participant.id)
                        .values(**own)
                    )
            refreshed = await self._arrival(platform, user_id)
            assert refreshed is not None
            return refreshed
        try:
            async with self.db.write() as conn:
                pid = await self._create(conn, name=display_name.strip() or user_id, now=now)
                await conn.execute(
                    identities.insert().values(
                        participant_id=pid,
                        platform=platform,
                        user_id=user_id,
                        chat_id=chat_id,
                        username=username,
                        display_name=display_name or None,
                        language_code=language_code,
                        created_at=now,
                    )
                )
        except IntegrityError:
            # Two first updates of one person at once (or two processes): the other one
            # created the identity; use it.
            existing = await self._arrival(platform, user_id)
            if existing is None:
                raise
            return existing
        created = await self.get(pid)
        new_ident = await self.identity(platform, user_id)
        assert created is not None and new_ident is not None
        return Arrival(created, new_ident, None)

    @staticmethod
    async def _create(conn: AsyncConnection, *, name: str, now: datetime, **values: Any) -> int:
        result = await conn.execute(
            participants.insert().values(name=name, created_at=now, last_active_at=now, **values)
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    async def create_profile(
        self,
        *,
        name: str,
        city_id: int | None,
        department: str | None,
        sdgs: Iterable[int] = (),
        language: str | None = None,
        is_demo: bool = False,
        now: datetime,
    ) -> int:
        """A participant without a platform identity yet (demo people, pre-registration; a
        demo profile counts as a member, see :attr:`Participant.member`)."""
        async with self.db.write() as conn:
            pid = await self._create(
                conn,
                name=name,
                now=now,
                city_id=city_id,
                department=department,
                language=language,
                is_demo=is_demo,
            )
            await replace_sdgs(conn, pid, sdgs)
            await registration_stamp(conn, pid, now)
        return pid

    async def demo_names(self) -> set[str]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(participants.c.name).where(participants.c.is_demo))
            return set(rows.scalars())

    async def update(self, participant_id: int, *, now: datetime, **values: Any) -> Participant:
        """Set profile fields (name, city_id, department, language, timezone, role,
        digest_weekday, digest_minute, digest_enabled, deliver_platform, anonymous, work_start,
        work_end, paused_until, translate)."""
        async with self.db.write() as conn:
            if values:
                await conn.execute(
                    update(participants).where(participants.c.id == participant_id).values(**values)
                )
            await registration_stamp(conn, participant_id, now)
        participant = await self.get(participant_id)
        assert participant is not None
        return participant

    async def set_sdgs(self, participant_id: int, sdgs: Iterable[int]) -> Participant:
        async with self.db.write() as conn:
            await replace_sdgs(conn, participant_id, sdgs)
        participant = await self.get(participant_id)
        assert participant is not None
        return participant
