"""Participants and their platform identities (one person may have a Telegram and a Slack one)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.engine import Database
from storage.tables import (
    announcements,
    cities,
    digest_runs,
    identities,
    introductions,
    link_codes,
    note_cities,
    note_sdgs,
    notes,
    outbox,
    participant_sdgs,
    participants,
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
_SELECT_PARTICIPANT = select(
    *_PARTICIPANT_COLUMNS,
    cities.c.name.label("city_name"),
    cities.c.country,
    cities.c.timezone.label("city_timezone"),
).select_from(participants.outerjoin(cities, cities.c.id == participants.c.city_id))
_IDENTITY_FIELDS = {f.name for f in fields(Identity)}


def _identity(row: Row[Any]) -> Identity:
    return Identity(**{k: v for k, v in row._mapping.items() if k in _IDENTITY_FIELDS})


async def load_participants(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Participant]:
    """Participants with city and SDGs, by id (missing ids are left out)."""
    wanted = list(ids)
    if not wanted:
        return {}
    result: dict[int, dict[str, Any]] = {}
    for chunk_start in range(0, len(wanted), 500):
        chunk = wanted[chunk_start : chunk_start + 500]
        rows = await conn.execute(_SELECT_PARTICIPANT.where(participants.c.id.in_(chunk)))
        for row in rows:
            result[row.id] = dict(row._mapping)
        sdg_rows = await conn.execute(
            select(participant_sdgs.c.participant_id, participant_sdgs.c.sdg)
            .where(participant_sdgs.c.participant_id.in_(chunk))
            .order_by(participant_sdgs.c.sdg)
        )
        for pid, sdg in sdg_rows:
            if pid in result:
                result[pid].setdefault("sdgs", []).append(sdg)
    return {
        pid: Participant(**{**data, "sdgs": tuple(data.get("sdgs", ()))})
        for pid, data in result.items()
    }


async def _registration_stamp(conn: AsyncConnection, participant_id: int, now: datetime) -> None:
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


# Roles, link codes, merging, export and erasure ----------------------------------------------

LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LINK_CODE_LENGTH = 6
LINK_CODE_TTL = timedelta(minutes=10)
_PROFILE_FIELDS = (
    "city_id",
    "department",
    "language",
    "timezone",
    "digest_weekday",
    "digest_minute",
    "digest_enabled",
    "deliver_platform",
)


class LinkError(Exception):
    """A link code could not be used; ``reason`` is one of "unknown" (also expired or used),
    "own" (the person's own code) or "same_platform" (both sides have the same platform)."""

    def __init__(self, reason: str, platform: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.platform = platform


@dataclass(frozen=True)
class LinkCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class ParticipantImportRow:
    platform: str
    user_id: str
    name: str
    city_id: int
    department: str
    sdgs: tuple[int, ...]
    language: str | None  # None: leave as it is
    role: str | None  # None: leave as it is (participant for someone new)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class ParticipantAdmin:
    """Roles, pre-registration, linking, export and erasure (mixed into the repository)."""

    db: Database

    async def ensure(
        self, conn: AsyncConnection, platform: str, user_id: str, now: datetime
    ) -> tuple[int, bool]:
        """(participant id, created) behind a platform identity; a new identity gets an
        unregistered participant without activity (they have not written yet)."""
        pid = (
            await conn.execute(
                select(identities.c.participant_id).where(
                    identities.c.platform == platform, identities.c.user_id == user_id
                )
            )
        ).scalar()
        if pid is not None:
            return int(pid), False
        result = await conn.execute(participants.insert().values(name=user_id, created_at=now))
        pk = result.inserted_primary_key
        assert pk is not None
        new_id = int(pk[0])
        await conn.execute(
            identities.insert().values(
                participant_id=new_id,
                platform=platform,
                user_id=user_id,
                chat_id=user_id if platform == "telegram" else None,
                created_at=now,
            )
        )
        return new_id, True

    async def set_role(
        self, platform: str, user_id: str, role: str, *, now: datetime
    ) -> tuple[Participant, str]:
        """Give the person behind ``platform:user_id`` a role (creating them unregistered when
        unknown); returns them and their previous role."""
        if role not in ROLES:
            raise ValueError(role)
        async with self.db.write() as conn:
            pid, _ = await self.ensure(conn, platform, user_id, now)
            before = (
                await conn.execute(select(participants.c.role).where(participants.c.id == pid))
            ).scalar_one()
            await conn.execute(
                update(participants).where(participants.c.id == pid).values(role=role)
            )
            found = (await load_participants(conn, [pid]))[pid]
        return found, str(before)

    async def apply_admins(self, keys: Iterable[str], *, now: datetime) -> int:
        """Make each ``platform:user_id`` an admin (UDX_ADMINS at start-up); returns how many
        changed."""
        changed = 0
        for key in keys:
            platform, _, user_id = key.partition(":")
            _, before = await self.set_role(platform, user_id, "admin", now=now)
            changed += before != "admin"
        return changed

    async def import_rows(
        self, rows: Iterable[ParticipantImportRow], *, now: datetime
    ) -> tuple[int, int]:
        """Pre-register people (or update them), all in one transaction; (created, updated)."""
        created = updated = 0
        async with self.db.write() as conn:
            for row in rows:
                pid, is_new = await self.ensure(conn, row.platform, row.user_id, now)
                values: dict[str, Any] = {
                    "name": row.name,
                    "city_id": row.city_id,
                    "department": row.department,
                }
                if row.language is not None:
                    values["language"] = row.language
                if row.role is not None:
                    values["role"] = row.role
                await conn.execute(
                    update(participants).where(participants.c.id == pid).values(**values)
                )
                await conn.execute(
                    delete(participant_sdgs).where(participant_sdgs.c.participant_id == pid)
                )
                if row.sdgs:
                    await conn.execute(
                        participant_sdgs.insert(),
                        [{"participant_id": pid, "sdg": n} for n in sorted(set(row.sdgs))],
                    )
                await _registration_stamp(conn, pid, now)
                created += is_new
                updated += not is_new
        return created, updated

    # Linking two identities --------------------------------------------------------------------
    async def create_link_code(self, participant_id: int, *, now: datetime) -> LinkCode:
        """A new one-time code for the participant (their older codes stop working)."""
        expires = now + LINK_CODE_TTL
        async with self.db.write() as conn:
            await conn.execute(
                delete(link_codes).where(
                    (link_codes.c.participant_id == participant_id)
                    | (link_codes.c.expires_at <= now)
                )
            )
            taken = set((await conn.execute(select(link_codes.c.code))).scalars())
            while True:
                code = "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
                if code not in taken:
                    break
            await conn.execute(
                link_codes.insert().values(
                    code=code, participant_id=participant_id, expires_at=expires
                )
            )
        return LinkCode(code, expires)

    async def redeem_link_code(
        self, code: str, participant_id: int, *, now: datetime
    ) -> Participant:
        """Join ``participant_id`` into the participant who created ``code`` (whose profile
        wins) and use the code up; returns the joined participant. Raises LinkError."""
        code = code.strip().upper()
        async with self.db.write() as conn:
            row = (await conn.execute(select(link_codes).where(link_codes.c.code == code))).first()
            if row is None or row.expires_at <= now:
                raise LinkError("unknown")
            keep = int(row.participant_id)
            if keep == participant_id:
                raise LinkError("own")
            platforms = await conn.execute(
                select(identities.c.participant_id, identities.c.platform).where(
                    identities.c.participant_id.in_([keep, participant_id])
                )
            )
            by_side: dict[int, set[str]] = {keep: set(), participant_id: set()}
            for pid, platform in platforms:
                by_side[pid].add(platform)
            shared = by_side[keep] & by_side[participant_id]
            if shared:
                raise LinkError("same_platform", sorted(shared)[0])
            await _merge(conn, keep, participant_id)
            await conn.execute(delete(link_codes).where(link_codes.c.code == code))
            return (await load_participants(conn, [keep]))[keep]

    # Privacy -----------------------------------------------------------------------------------
    async def export(self, participant_id: int) -> dict[str, Any]:
        """Everything stored about the person, as JSON-ready data."""
        async with self.db.read() as conn:
            found = (await load_participants(conn, [participant_id])).get(participant_id)
            if found is None:
                return {}
            profile = {
                name: _jsonable(getattr(found, name))
                for name in (
                    "id",
                    "name",
                    "city_name",
                    "country",
                    "department",
                    "language",
                    "timezone",
                    "role",
                    "digest_weekday",
                    "digest_minute",
                    "digest_enabled",
                    "deliver_platform",
                    "created_at",
                    "registered_at",
                    "last_active_at",
                )
            }
            profile["city"] = profile.pop("city_name")
            profile["sdgs"] = list(found.sdgs)
            idents = [
                {k: _jsonable(v) for k, v in r._mapping.items() if k not in ("participant_id",)}
                for r in await conn.execute(
                    select(identities)
                    .where(identities.c.participant_id == participant_id)
                    .order_by(identities.c.id)
                )
            ]
            note_rows = list(
                await conn.execute(
                    select(notes, cities.c.name.label("city"))
                    .select_from(notes.outerjoin(cities, cities.c.id == notes.c.city_id))
                    .where(notes.c.author_id == participant_id)
                    .order_by(notes.c.created_at, notes.c.id)
                )
            )
            note_ids = [r.id for r in note_rows]
            sdgs_by_note: dict[int, list[int]] = {}
            tags_by_note: dict[int, list[str]] = {}
            if note_ids:
                for nid, sdg in await conn.execute(
                    select(note_sdgs.c.note_id, note_sdgs.c.sdg)
                    .where(note_sdgs.c.note_id.in_(note_ids))
                    .order_by(note_sdgs.c.sdg)
                ):
                    sdgs_by_note.setdefault(nid, []).append(sdg)
                for nid, name in await conn.execute(
                    select(note_cities.c.note_id, cities.c.name)
                    .join(cities, cities.c.id == note_cities.c.city_id)
                    .where(note_cities.c.note_id.in_(note_ids))
                    .order_by(cities.c.name)
                ):
                    tags_by_note.setdefault(nid, []).append(name)
            exported_notes = [
                {
                    "id": r.id,
                    "text": r.text,
                    "city": r.city,
                    "department": r.department,
                    "sdgs": sdgs_by_note.get(r.id, []),
                    "tagged_cities": tags_by_note.get(r.id, []),
                    "created_at": _jsonable(r.created_at),
                    "updated_at": _jsonable(r.updated_at),
                }
                for r in note_rows
            ]
            other = participants.alias("other")
            intro_rows = await conn.execute(
                select(
                    introductions,
                    other.c.name.label("other_name"),
                )
                .select_from(
                    introductions.join(
                        other,
                        other.c.id
                        == case(
                            (
                                introductions.c.requester_id == participant_id,
                                introductions.c.target_id,
                            ),
                            else_=introductions.c.requester_id,
                        ),
                    )
                )
                .where(
                    (introductions.c.requester_id == participant_id)
                    | (introductions.c.target_id == participant_id)
                )
                .order_by(introductions.c.created_at, introductions.c.id)
            )
            exported_intros = [
                {
                    "id": r.id,
                    "direction": "requested" if r.requester_id == participant_id else "received",
                    "with": r.other_name,
                    "status": r.status,
                    "created_at": _jsonable(r.created_at),
                    "decided_at": _jsonable(r.decided_at),
                }
                for r in intro_rows
            ]
            announcement_rows = await conn.execute(
                select(
                    announcements.c.id,
                    announcements.c.text_de,
                    announcements.c.text_en,
                    announcements.c.status,
                    announcements.c.created_at,
                    announcements.c.sent_at,
                )
                .where(announcements.c.author_id == participant_id)
                .order_by(announcements.c.id)
            )
            exported_announcements = [
                {k: _jsonable(v) for k, v in r._mapping.items()} for r in announcement_rows
            ]
        return {
            "profile": profile,
            "identities": idents,
            "notes": exported_notes,
            "introductions": exported_intros,
            "announcements": exported_announcements,
        }

    async def erase(self, participant_id: int) -> bool:
        """Delete the person; their identities, notes, introductions, queued messages and
        everything else keyed to them go with them (foreign keys cascade). Announcements they
        wrote stay for their readers, without the author's name."""
        async with self.db.write() as conn:
            await conn.execute(
                update(announcements)
                .where(announcements.c.author_id == participant_id)
                .values(author_id=None, author_name="")
            )
            result = await conn.execute(
                delete(participants).where(participants.c.id == participant_id)
            )
        return bool(result.rowcount)


async def _merge(conn: AsyncConnection, keep: int, drop: int) -> None:
    """Move everything of ``drop`` to ``keep`` and delete ``drop`` (inside a transaction).

    ``keep``'s profile wins; if ``keep`` has not registered yet but ``drop`` has, ``drop``'s
    profile is taken instead (nobody loses a profile by linking the wrong way round). The
    higher of the two roles stays.
    """
    found = await load_participants(conn, [keep, drop])
    kept, dropped = found[keep], found[drop]
    values: dict[str, Any] = {}
    if not kept.registered and dropped.registered:
        values = {name: getattr(dropped, name) for name in _PROFILE_FIELDS}
        values["registered_at"] = dropped.registered_at
        values["name"] = dropped.name
        await conn.execute(
            delete(participant_sdgs).where(participant_sdgs.c.participant_id == keep)
        )
        await conn.execute(
            update(participant_sdgs)
            .where(participant_sdgs.c.participant_id == drop)
            .values(participant_id=keep)
        )
    if ROLES.index(dropped.role) > ROLES.index(kept.role):
        values["role"] = dropped.role
    if values:
        await conn.execute(update(participants).where(participants.c.id == keep).values(**values))

    await conn.execute(
        update(identities).where(identities.c.participant_id == drop).values(participant_id=keep)
    )
    await conn.execute(update(notes).where(notes.c.author_id == drop).values(author_id=keep))
    await conn.execute(
        update(announcements).where(announcements.c.author_id == drop).values(author_id=keep)
    )
    await conn.execute(
        update(outbox).where(outbox.c.participant_id == drop).values(participant_id=keep)
    )
    # Introductions: one between the two sides is moot; an open one duplicating an open one of
    # the kept side would break the one-open-per-pair rule.
    await conn.execute(
        delete(introductions).where(
            ((introductions.c.requester_id == drop) & (introductions.c.target_id == keep))
            | ((introductions.c.requester_id == keep) & (introductions.c.target_id == drop))
        )
    )
    kept_open = introductions.alias("kept_open")
    for mine, theirs in (
        (introductions.c.requester_id, introductions.c.target_id),
        (introductions.c.target_id, introductions.c.requester_id),
    ):
        kept_mine = kept_open.c[mine.name]
        kept_theirs = kept_open.c[theirs.name]
        duplicate = (
            select(kept_open.c.id)
            .where(kept_mine == keep, kept_theirs == theirs, kept_open.c.status == "open")
            .exists()
        )
        await conn.execute(
            delete(introductions).where(mine == drop, introductions.c.status == "open", duplicate)
        )
        await conn.execute(update(introductions).where(mine == drop).values({mine.name: keep}))
    kept_weeks = select(digest_runs.c.week).where(digest_runs.c.participant_id == keep)
    await conn.execute(
        delete(digest_runs).where(
            digest_runs.c.participant_id == drop, digest_runs.c.week.in_(kept_weeks)
        )
    )
    await conn.execute(
        update(digest_runs).where(digest_runs.c.participant_id == drop).values(participant_id=keep)
    )
    await conn.execute(delete(participants).where(participants.c.id == drop))


class ParticipantRepository(ParticipantAdmin):
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
        again) and records activity; writes only when something changed.
        """
        async with self.db.read() as conn:  # one round for the common case: a known person
            row = (
                await conn.execute(
                    select(identities).where(
                        identities.c.platform == platform, identities.c.user_id == user_id
                    )
                )
            ).first()
            ident = _identity(row) if row else None
            known = (
                (await load_participants(conn, [ident.participant_id])).get(ident.participant_id)
                if ident
                else None
            )
        if ident is not None:
            participant = known
            assert participant is not None
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
            if not changes and not stale:
                return participant, ident
            async with self.db.write() as conn:
                if changes:
                    await conn.execute(
                        update(identities).where(identities.c.id == ident.id).values(**changes)
                    )
                if stale:
                    await conn.execute(
                        update(participants)
                        .where(participants.c.id == participant.id)
                        .values(last_active_at=now)
                    )
            refreshed = await self.get(participant.id)
            assert refreshed is not None
            return refreshed, await self.identity(platform, user_id) or ident
        try:
            async with self.db.write() as conn:
                pid = await self._create(conn, name=display_name or user_id, now=now)
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
            existing = await self.identity(platform, user_id)
            if existing is None:
                raise
            participant = await self.get(existing.participant_id)
            assert participant is not None
            return participant, existing
        created = await self.get(pid)
        new_ident = await self.identity(platform, user_id)
        assert created is not None and new_ident is not None
        return created, new_ident

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
        """A participant without a platform identity yet (demo people, pre-registration)."""
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
            chosen = sorted(set(sdgs))
            if chosen:
                await conn.execute(
                    participant_sdgs.insert(), [{"participant_id": pid, "sdg": n} for n in chosen]
                )
            await _registration_stamp(conn, pid, now)
        return pid

    async def demo_names(self) -> set[str]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(participants.c.name).where(participants.c.is_demo))
            return set(rows.scalars())

    async def update(self, participant_id: int, *, now: datetime, **values: Any) -> Participant:
        """Set profile fields (name, city_id, department, language, timezone, role,
        digest_weekday, digest_minute, digest_enabled, deliver_platform)."""
        async with self.db.write() as conn:
            if values:
                await conn.execute(
                    update(participants).where(participants.c.id == participant_id).values(**values)
                )
            await _registration_stamp(conn, participant_id, now)
        participant = await self.get(participant_id)
        assert participant is not None
        return participant

    async def set_sdgs(self, participant_id: int, sdgs: Iterable[int]) -> Participant:
        chosen = sorted(set(sdgs))
        async with self.db.write() as conn:
            await conn.execute(
                delete(participant_sdgs).where(participant_sdgs.c.participant_id == participant_id)
            )
            if chosen:
                await conn.execute(
                    participant_sdgs.insert(),
                    [{"participant_id": participant_id, "sdg": n} for n in chosen],
                )
        participant = await self.get(participant_id)
        assert participant is not None
        return participant
