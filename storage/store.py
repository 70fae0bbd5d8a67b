"""All repositories over one database."""

from __future__ import annotations

from storage.announcements import AnnouncementRepository
from storage.cities import CityRepository
from storage.conversations import ConversationRepository
from storage.counterparts import CounterpartRepository
from storage.digests import DigestReadRepository, DigestRepository
from storage.engine import Database
from storage.exports import ExportRepository
from storage.introductions import IntroductionRepository
from storage.linking import LinkRepository
from storage.membership import MembershipRepository
from storage.migrate import upgrade
from storage.notes import NoteRepository
from storage.outbox import OutboxRepository
from storage.participants import ParticipantRepository
from storage.privacy import PrivacyRepository
from storage.reports import ReportRepository
from storage.roster import RosterRepository
from storage.updates import ProcessedUpdateRepository


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.cities = CityRepository(db)
        self.participants = ParticipantRepository(db)
        self.roster = RosterRepository(db)
        self.membership = MembershipRepository(db)
        self.links = LinkRepository(db)
        self.privacy = PrivacyRepository(db)
        self.conversations = ConversationRepository(db)
        self.updates = ProcessedUpdateRepository(db)
        self.outbox = OutboxRepository(db)
        self.digests = DigestRepository(db)
        self.digest_reads = DigestReadRepository(db)
        self.counterparts = CounterpartRepository(db)
        self.introductions = IntroductionRepository(db)
        self.notes = NoteRepository(db)
        self.announcements = AnnouncementRepository(db)
        self.reports = ReportRepository(db)
        self.exports = ExportRepository(db)

    async def close(self) -> None:
        await self.db.dispose()


async def open_store(url: str, *, migrate: bool = True, schema: str | None = None) -> Store:
    """Connect to an async SQLAlchemy URL and (by default) bring the schema up to date."""
    db = Database.from_url(url, schema=schema)
    try:
        await db.check()  # DatabaseUnavailable: one line, not a traceback
        if migrate:
            await upgrade(db)
    except BaseException:
        await db.dispose()
        raise
    return Store(db)
