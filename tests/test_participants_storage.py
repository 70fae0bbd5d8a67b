"""The participants repository on SQLite and PostgreSQL: roles, UDX_ADMINS, pre-registration,
link codes and merging, export and erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage import Store
from storage.linking import LinkError
from storage.roster import ParticipantImportRow
from storage.tables import (
    announcements,
    digest_runs,
    introductions,
    notes,
    outbox,
    participants,
)
from tests.support import FakeClock
from udx_bot.app import create_services
from udx_bot.config import Settings
from udx_bot.types import Reply, Section

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def scalar(store: Store, query: object) -> int:
    async with store.db.read() as conn:
        return int((await conn.execute(query)).scalar_one())  # type: ignore[call-overload]


async def test_roles_for_unknown_and_known_people(any_store: Store) -> None:
    repo = any_store.participants
    granted, before = await any_store.roster.set_role("telegram", "42", "coordinator", now=NOW)
    assert before == "participant" and granted.role == "coordinator" and not granted.registered
    # When they write for the first time, they are the same person, still a coordinator.
    seen, _ = await repo.touch("telegram", "42", display_name="Ada", now=NOW)
    assert seen.id == granted.id and seen.role == "coordinator"
    assert await any_store.roster.apply_admins(["telegram:42", "slack:U9"], now=NOW) == 2
    assert await any_store.roster.apply_admins(["telegram:42", "slack:U9"], now=NOW) == 0
    admin = await repo.by_identity("slack", "U9")
    assert admin is not None and admin.role == "admin"


async def test_import_rows_creates_then_updates(any_store: Store) -> None:
    repo = any_store.participants
    city = (await any_store.cities.all())[0]
    row = ParticipantImportRow("slack", "U7", "Bo", city.id, "parks", (11, 13), "en", None)
    assert await any_store.roster.import_rows([row], now=NOW) == (1, 0)
    changed = ParticipantImportRow("slack", "U7", "Bo B.", city.id, "energy", (7,), None, "admin")
    assert await any_store.roster.import_rows([changed], now=NOW) == (0, 1)
    found = await repo.by_identity("slack", "U7")
    assert found is not None and found.registered and found.name == "Bo B."
    assert found.department == "energy" and found.sdgs == (7,) and found.language == "en"
    assert found.role == "admin"


async def test_link_code_rules(any_store: Store) -> None:
    repo = any_store.participants
    a, _ = await repo.touch("telegram", "1", now=NOW)
    b, _ = await repo.touch("telegram", "2", now=NOW)
    code = await any_store.links.create_link_code(a.id, now=NOW)
    assert len(code.code) == 6 and not set(code.code) & set("01OI")
    with pytest.raises(LinkError) as own:
        await any_store.links.redeem_link_code(code.code, a.id, now=NOW)
    assert own.value.reason == "own"
    with pytest.raises(LinkError) as same:
        await any_store.links.redeem_link_code(code.code, b.id, now=NOW)
    assert same.value.reason == "same_platform" and same.value.platform == "telegram"
    newer = await any_store.links.create_link_code(a.id, now=NOW)
    with pytest.raises(LinkError):  # a new code replaces the old one
        await any_store.links.redeem_link_code(code.code, b.id, now=NOW)
    c, _ = await repo.touch("slack", "U3", now=NOW)
    with pytest.raises(LinkError) as late:
        await any_store.links.redeem_link_code(newer.code, c.id, now=NOW + timedelta(minutes=10))
    assert late.value.reason == "unknown"
    assert await repo.get(c.id) is not None


async def test_merge_moves_everything(any_store: Store) -> None:
    repo = any_store.participants
    keep, _ = await repo.touch("telegram", "1", now=NOW)
    drop, _ = await repo.touch("slack", "U1", now=NOW)
    other, _ = await repo.touch("telegram", "9", now=NOW)
    city = (await any_store.cities.all())[0]
    await repo.update(drop.id, city_id=city.id, department="parks", role="coordinator", now=NOW)
    await repo.set_sdgs(drop.id, [13])
    async with any_store.db.write() as conn:
        await conn.execute(notes.insert().values(author_id=drop.id, text="n", created_at=NOW))
        for requester, target in ((drop.id, other.id), (keep.id, other.id), (drop.id, keep.id)):
            await conn.execute(
                introductions.insert().values(
                    requester_id=requester, target_id=target, created_at=NOW
                )
            )
        await conn.execute(
            announcements.insert().values(author_id=drop.id, author_name="D", created_at=NOW)
        )
        for pid in (keep.id, drop.id):
            await conn.execute(
                digest_runs.insert().values(participant_id=pid, week="2026-W48", created_at=NOW)
            )
        await conn.execute(
            outbox.insert().values(
                key="k1", kind="digest", participant_id=drop.id, platform="slack",
                user_id="U1", payload="[]", next_attempt_at=NOW, created_at=NOW,
            )
        )  # fmt: skip
    code = await any_store.links.create_link_code(keep.id, now=NOW)
    joined = await any_store.links.redeem_link_code(code.code, drop.id, now=NOW)
    assert joined.id == keep.id
    # keep had no profile: the registered side's profile and the higher role are kept
    assert joined.registered and joined.sdgs == (13,) and joined.role == "coordinator"
    assert await repo.get(drop.id) is None
    assert {i.key for i in await repo.identities(keep.id)} == {"telegram:1", "slack:U1"}
    assert await scalar(any_store, select(func.count()).where(notes.c.author_id == keep.id)) == 1
    assert await scalar(any_store, select(func.count()).select_from(introductions)) == 1
    assert await scalar(
        any_store, select(func.count()).where(announcements.c.author_id == keep.id)
    ) == 1  # fmt: skip
    assert await scalar(any_store, select(func.count()).select_from(digest_runs)) == 1
    assert await scalar(any_store, select(outbox.c.participant_id)) == keep.id


async def test_export_and_erase(any_store: Store) -> None:
    repo = any_store.participants
    me, _ = await repo.touch("telegram", "1", display_name="Ada", now=NOW)
    other, _ = await repo.touch("telegram", "2", display_name="Bo", now=NOW)
    async with any_store.db.write() as conn:
        await conn.execute(notes.insert().values(author_id=me.id, text="hello", created_at=NOW))
        await conn.execute(
            introductions.insert().values(requester_id=other.id, target_id=me.id, created_at=NOW)
        )
        await conn.execute(
            announcements.insert().values(author_id=me.id, author_name="Ada", created_at=NOW)
        )
        await conn.execute(
            digest_runs.insert().values(participant_id=me.id, week="2026-W48", created_at=NOW)
        )
        message = Reply(sections=[Section("Bo asks to meet you", heading="Introduction")])
        for key, person, user in (
            ("to-me", me.id, "1"),
            ("by-id", None, "1"),
            ("bo", other.id, "2"),
        ):
            await conn.execute(
                outbox.insert().values(
                    key=key, kind="introduction", participant_id=person, platform="telegram",
                    user_id=user, payload=json.dumps([message.to_json()]), next_attempt_at=NOW,
                    created_at=NOW,
                )
            )  # fmt: skip
    code = await any_store.links.create_link_code(me.id, now=NOW)
    data = await any_store.privacy.export(me.id)
    assert data["link_codes"] == [{"code": code.code, "expires_at": code.expires_at.isoformat()}]
    assert data["digest_runs"] == [
        {"week": "2026-W48", "status": "enqueued", "created_at": NOW.isoformat()}
    ]
    # messages addressed to them, by participant or by identity; not Bo's
    assert [(m["kind"], m["status"], m["text"]) for m in data["messages"]] == [
        ("introduction", "pending", "Introduction\n\nBo asks to meet you")
    ] * 2
    assert data["profile"]["name"] == "Ada" and data["identities"][0]["user_id"] == "1"
    assert data["notes"][0]["text"] == "hello"
    assert data["introductions"] == [
        {
            "id": data["introductions"][0]["id"],
            "direction": "received",
            "with": "Bo",
            "status": "open",
            "created_at": NOW.isoformat(),
            "decided_at": None,
        }
    ]
    people = await scalar(any_store, select(func.count()).select_from(participants))
    all_notes = await scalar(any_store, select(func.count()).select_from(notes))
    assert await any_store.privacy.erase(me.id)
    assert await repo.identity("telegram", "1") is None
    assert await scalar(any_store, select(func.count()).where(notes.c.author_id == me.id)) == 0
    assert await scalar(any_store, select(func.count()).select_from(notes)) < all_notes
    assert await scalar(any_store, select(func.count()).select_from(introductions)) == 0
    assert await scalar(any_store, select(func.count()).select_from(participants)) == people - 1
    assert (
        await scalar(any_store, select(func.count()).where(announcements.c.author_name == "Ada"))
        == 0
    )
    assert await repo.get(other.id) is not None


async def test_udx_admins_are_applied_at_start_up(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, admins=("telegram:77", "slack:UADMIN"))
    services = await create_services(settings, clock=FakeClock())
    try:
        for platform, user in (("telegram", "77"), ("slack", "UADMIN")):
            found = await services.store.participants.by_identity(platform, user)
            assert found is not None and found.role == "admin"
    finally:
        await services.store.close()
