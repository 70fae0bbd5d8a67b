"""Table definitions: the one schema SQLite and PostgreSQL share.

Alembic migrations in storage/migrations build exactly this (a test compares them). Times are
stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both databases (SQLite keeps no offset itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


# Full-text search objects the migration makes per database (an FTS5 table with its shadow tables
# on SQLite, a GIN expression index on PostgreSQL); they are not table definitions, so schema
# comparisons leave them out (see include_name).
FTS_OBJECTS = frozenset(
    {"notes_fts", "notes_fts_data", "notes_fts_idx", "notes_fts_docsize", "notes_fts_config"}
    | {"ix_notes_search"}
)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: compare everything but :data:`FTS_OBJECTS`."""
    return name not in FTS_OBJECTS


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


cities = Table(
    "cities",
    metadata,
    _id(),
    Column("name", String(120), nullable=False),
    Column("slug", String(120), nullable=False, unique=True),  # matching key, see storage.text.slug
    Column("country", String(2), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("language", String(2), nullable=False),
)

partnerships = Table(
    "partnerships",
    metadata,
    # stored once per pair, lower city id first, so (a, b) and (b, a) are the same partnership
    Column("city_id", ForeignKey("cities.id", ondelete="CASCADE"), nullable=False),
    Column("partner_city_id", ForeignKey("cities.id", ondelete="CASCADE"), nullable=False),
    Column("since", Integer),
    PrimaryKeyConstraint("city_id", "partner_city_id"),
    CheckConstraint("city_id < partner_city_id", name="ordered_pair"),
)
Index("ix_partnerships_partner", partnerships.c.partner_city_id)

participants = Table(
    "participants",
    metadata,
    _id(),
    Column("name", String(200), nullable=False, server_default=""),
    Column("city_id", ForeignKey("cities.id", ondelete="SET NULL")),
    Column("department", String(64)),  # canonical department key, see udx_bot.reference
    Column("language", String(2)),  # chosen language; None: the platform's, then the default
    Column("timezone", String(64)),  # None: the city's timezone
    Column("role", String(16), nullable=False, server_default="participant"),
    Column("digest_weekday", Integer, nullable=False, server_default="0"),  # Monday = 0
    Column("digest_minute", Integer, nullable=False, server_default="480"),  # 08:00 local
    Column("digest_enabled", Boolean, nullable=False, server_default=text("true")),
    Column("deliver_platform", String(16)),  # None: the first identity's platform
    Column("is_demo", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("registered_at", UTCDateTime),  # set once city and department are both set
    Column("last_active_at", UTCDateTime),
    # a member of the network since (an invitation, an approval, open registration, a role or
    # an import); None: a stranger, who may only set up, read help, export and erase
    Column("member_since", UTCDateTime),
    Column("removed_at", UTCDateTime),  # removed by an admin: not admitted again automatically
    # "a colleague from <city>, <department>" instead of the name in exports (/profile anonymous)
    Column("anonymous", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("role in ('participant', 'coordinator', 'admin')", name="role"),
)
Index("ix_participants_city", participants.c.city_id)
# department first: /find reads "this department in these cities" (storage/counterparts.py)
Index("ix_participants_department_city", participants.c.department, participants.c.city_id)

participant_sdgs = Table(
    "participant_sdgs",
    metadata,
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("sdg", Integer, nullable=False),
    PrimaryKeyConstraint("participant_id", "sdg"),
    CheckConstraint("sdg between 1 and 17", name="sdg_range"),
)
Index("ix_participant_sdgs_sdg", participant_sdgs.c.sdg)

identities = Table(
    "identities",
    metadata,
    _id(),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("chat_id", String(64)),  # where direct messages go (Telegram chat, Slack DM channel)
    Column("username", String(200)),
    Column("display_name", String(200)),
    Column("language_code", String(16)),
    Column("blocked_at", UTCDateTime),  # delivery failed for good; cleared when they write again
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "user_id", name="uq_identities_platform_user"),
)
Index("ix_identities_participant", identities.c.participant_id)

conversations = Table(
    "conversations",
    metadata,
    # what the bot waits for from a person (a wizard step, the text of a note): kept in storage,
    # so a restart mid-conversation loses nothing
    Column(
        "participant_id",
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("state", String(64), nullable=False),
    Column("data", Text, nullable=False, server_default="{}"),  # JSON
    Column("updated_at", UTCDateTime, nullable=False),
)

link_codes = Table(
    "link_codes",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    _id(),
    Column("author_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("city_id", ForeignKey("cities.id", ondelete="SET NULL")),  # the author's, when written
    Column("department", String(64)),  # the author's, when written
    Column("text", Text, nullable=False),  # exactly as typed
    # the text folded for full-text search (storage.note_search.search_text); indexed by the FTS5
    # table notes_fts on SQLite and a GIN index on PostgreSQL, both made by the migration (see
    # FTS_OBJECTS)
    Column("search_text", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime),
)
Index("ix_notes_created_at", notes.c.created_at)
Index("ix_notes_department_created", notes.c.department, notes.c.created_at)
Index("ix_notes_author", notes.c.author_id)
Index("ix_notes_city_created", notes.c.city_id, notes.c.created_at)

note_sdgs = Table(
    "note_sdgs",
    metadata,
    Column("note_id", ForeignKey("notes.id", ondelete="CASCADE"), nullable=False),
    Column("sdg", Integer, nullable=False),
    PrimaryKeyConstraint("note_id", "sdg"),
    CheckConstraint("sdg between 1 and 17", name="sdg_range"),
)
Index("ix_note_sdgs_sdg", note_sdgs.c.sdg, note_sdgs.c.note_id)

note_cities = Table(
    "note_cities",
    metadata,
    # cities tagged in the text (#Sheboygan)
    Column("note_id", ForeignKey("notes.id", ondelete="CASCADE"), nullable=False),
    Column("city_id", ForeignKey("cities.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("note_id", "city_id"),
)
Index("ix_note_cities_city", note_cities.c.city_id, note_cities.c.note_id)

introductions = Table(
    "introductions",
    metadata,
    _id(),
    Column("requester_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("target_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    CheckConstraint("status in ('open', 'accepted', 'declined', 'expired')", name="status"),
    CheckConstraint("requester_id <> target_id", name="not_self"),
)
Index(
    "uq_introductions_open_pair",
    introductions.c.requester_id,
    introductions.c.target_id,
    unique=True,
    sqlite_where=text("status = 'open'"),
    postgresql_where=text("status = 'open'"),
)
Index("ix_introductions_target", introductions.c.target_id, introductions.c.status)

announcements = Table(
    "announcements",
    metadata,
    _id(),
    Column("author_id", ForeignKey("participants.id", ondelete="SET NULL")),
    Column("author_name", String(200), nullable=False, server_default=""),
    Column("audience", Text, nullable=False, server_default="{}"),  # JSON, see the handler
    Column("text_de", Text),
    Column("text_en", Text),
    Column("status", String(16), nullable=False, server_default="draft"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("scheduled_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    # the number people see, given when it is sent or scheduled (a dropped preview takes none)
    Column("number", Integer, unique=True),
    CheckConstraint(
        "status in ('draft', 'scheduled', 'sending', 'sent', 'cancelled')", name="status"
    ),
)
Index("ix_announcements_status", announcements.c.status, announcements.c.scheduled_at)

outbox = Table(
    "outbox",
    metadata,
    # one row per (message, recipient); the key makes enqueuing twice a no-op
    _id(),
    Column("key", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # announcement, digest, introduction, ...
    Column("ref_id", Integer),  # e.g. the announcement's id, for status counts
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE")),
    Column("platform", String(16), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("chat_id", String(64)),
    Column("payload", Text, nullable=False),  # JSON: list of Reply.to_json() documents
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # how many of the message's platform messages (parts) were delivered: never sent again
    Column("parts_sent", Integer, nullable=False, server_default="0"),
    # the worker (UDX_WORKER_NAME) whose lease runs until next_attempt_at; None: not claimed
    Column("claimed_by", String(128)),
    # uncertain: the platform probably has it, its answer could not be read: never re-sent
    CheckConstraint("status in ('pending', 'sent', 'failed', 'uncertain')", name="status"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)
Index("ix_outbox_ref", outbox.c.kind, outbox.c.ref_id)

outbox_subjects = Table(
    "outbox_subjects",
    metadata,
    # the people a queued or delivered message names besides its recipient (the authors of the
    # notes a digest quotes, the colleagues it lists...): erasing one of them deletes it
    Column("outbox_id", ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("outbox_id", "participant_id"),
)
Index("ix_outbox_subjects_participant", outbox_subjects.c.participant_id)

digest_runs = Table(
    "digest_runs",
    metadata,
    # one row per participant and ISO week ("2026-W48") whose digest was built and enqueued
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("week", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="enqueued"),  # or "skipped"
    PrimaryKeyConstraint("participant_id", "week"),
)

invitations = Table(
    "invitations",
    metadata,
    # /invite and ``udx-bot invite``: a random code, only its SHA-256 stored
    _id(),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("city_id", ForeignKey("cities.id", ondelete="SET NULL")),  # preset for the profile
    Column("uses", Integer, nullable=False),  # how many people it admits
    Column("used", Integer, nullable=False, server_default="0"),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("participants.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    CheckConstraint("used <= uses", name="used"),
)

membership_requests = Table(
    "membership_requests",
    metadata,
    # UDX_REGISTRATION=approval: a stranger asks, a coordinator approves or declines
    _id(),
    Column("participant_id", ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("city_id", ForeignKey("cities.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", ForeignKey("participants.id", ondelete="SET NULL")),
    CheckConstraint("status in ('open', 'approved', 'declined')", name="status"),
)
Index(
    "uq_membership_requests_open",
    membership_requests.c.participant_id,
    unique=True,
    sqlite_where=text("status = 'open'"),
    postgresql_where=text("status = 'open'"),
)

processed_updates = Table(
    "processed_updates",
    metadata,
    # platform updates already handled (Telegram update_id, Slack event_id), so a retry is
    # processed once even across processes
    Column("platform", String(16), nullable=False),
    Column("update_key", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("platform", "update_key"),
)


# No surrogate id is ever handed out twice, so a number people see or quote ("note #19"), a
# button's data and an outbox key keep meaning the same row after a deletion. PostgreSQL's
# sequences never reuse a number; SQLite needs AUTOINCREMENT (migration 0002_autoincrement).
for _table in metadata.tables.values():
    if "id" in _table.c and _table.c.id.primary_key:
        _table.dialect_kwargs["sqlite_autoincrement"] = True
