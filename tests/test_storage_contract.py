"""The same storage tests against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import Store
from storage.cities import CityRow, PartnershipRow
from storage.tables import include_name, metadata
from tests.support import TEST_NOW
from udx_bot.reference import slug


async def test_migrations_build_exactly_the_table_definitions(any_store: Store) -> None:
    def diff(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(
            sync_conn, opts={"compare_type": True, "include_name": include_name}
        )
        return compare_metadata(context, metadata)  # type: ignore[no-any-return]

    async with any_store.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_demo_network_is_seeded(any_store: Store) -> None:
    cities = {c.name: c for c in await any_store.cities.all()}
    assert cities["Tübingen"].timezone == "Europe/Berlin"
    assert cities["Sheboygan"].timezone == "America/Chicago"
    assert cities["County Durham"].country == "GB"
    partners = await any_store.cities.partner_ids(cities["Heidelberg"].id)
    assert partners == {cities["Cambridge"].id, cities["Palo Alto"].id}


async def test_reimport_updates_instead_of_duplicating(any_store: Store) -> None:
    before = await any_store.cities.count()
    result = await any_store.cities.upsert_cities(
        [
            CityRow("Krefeld", slug("Krefeld"), "DE", "Europe/Berlin", "de"),
            CityRow("Bonn", slug("Bonn"), "DE", "Europe/Berlin", "de"),
        ]
    )
    assert (result.created, result.updated) == (1, 1)
    assert await any_store.cities.count() == before + 1
    # a partnership given the other way round is the same partnership
    result = await any_store.cities.upsert_partnerships(
        [PartnershipRow(slug("Charlotte"), slug("Krefeld"), 1992)]
    )
    assert (result.created, result.updated) == (0, 1)
    sinces = {(a.name, b.name): s for a, b, s in await any_store.cities.partners()}
    assert sinces[("Krefeld", "Charlotte")] == 1992


async def test_identity_creates_a_participant_once(any_store: Store) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    p1, i1 = await any_store.participants.touch("telegram", "42", display_name="Ana", now=now)
    p2, i2 = await any_store.participants.touch(
        "telegram", "42", display_name="Ana", username="ana", now=now
    )
    assert p1.id == p2.id and i1.id == i2.id
    assert i2.username == "ana"
    assert not p1.registered
    cities = {c.name: c.id for c in await any_store.cities.all()}
    p3 = await any_store.participants.update(
        p1.id, city_id=cities["Rostock"], department="social", now=TEST_NOW
    )
    assert p3.registered and p3.registered_at is not None
    assert p3.city_name == "Rostock" and p3.effective_timezone == "Europe/Berlin"
    p4 = await any_store.participants.set_sdgs(p1.id, [17, 11, 11])
    assert p4.sdgs == (11, 17)
    assert p4.created_at.tzinfo is not None


async def test_conversation_state_survives_reopening(any_store: Store) -> None:
    p, _ = await any_store.participants.touch("slack", "U1", now=TEST_NOW)
    await any_store.conversations.set(
        p.id, "onboarding:city", {"language": "de", "ä": "ö"}, now=TEST_NOW
    )
    got = await any_store.conversations.get(p.id)
    assert got is not None and got.state == "onboarding:city" and got.data["ä"] == "ö"
    await any_store.conversations.clear(p.id)
    assert await any_store.conversations.get(p.id) is None


async def test_an_update_is_processed_once(any_store: Store) -> None:
    assert await any_store.updates.first_time("telegram", "1001", now=TEST_NOW)
    assert not await any_store.updates.first_time("telegram", "1001", now=TEST_NOW)
    assert await any_store.updates.first_time("slack", "1001", now=TEST_NOW)


async def test_a_forgotten_update_is_processed_again(any_store: Store) -> None:
    assert await any_store.updates.first_time("telegram", "1002", now=TEST_NOW)
    await any_store.updates.forget("telegram", "1002")  # its handling failed
    await any_store.updates.forget("slack", "1002")  # nothing recorded: nothing to do
    assert await any_store.updates.first_time("telegram", "1002", now=TEST_NOW)
    assert not await any_store.updates.first_time("telegram", "1002", now=TEST_NOW)


async def test_outbox_key_makes_enqueue_idempotent(any_store: Store) -> None:
    p, _ = await any_store.participants.touch("telegram", "7", chat_id="7", now=TEST_NOW)
    kwargs: dict[str, Any] = dict(
        key="ann:1:7", kind="announcement", platform="telegram", user_id="7", chat_id="7",
        payload=['{"sections": []}'], participant_id=p.id, ref_id=1,
    )  # fmt: skip
    assert await any_store.outbox.enqueue(**kwargs, now=TEST_NOW)
    assert not await any_store.outbox.enqueue(**kwargs, now=TEST_NOW)
    message = await any_store.outbox.get("ann:1:7")
    assert message is not None and message.status == "pending"


async def test_concurrent_writers_do_not_fail(any_store: Store) -> None:
    """Many writers at once (as the CLI and the bot on one SQLite file) all succeed."""

    async def writer(n: int) -> None:
        p, _ = await any_store.participants.touch("console", f"w{n}", now=TEST_NOW)
        await any_store.conversations.set(p.id, "x", {"n": n}, now=TEST_NOW)
        await any_store.participants.set_sdgs(p.id, [n % 17 + 1])

    await asyncio.gather(*(writer(n) for n in range(20)))
    for n in range(20):
        participant = await any_store.participants.by_identity("console", f"w{n}")
        assert participant is not None and participant.sdgs == (n % 17 + 1,)


async def test_first_contact_twice_at_once_makes_one_participant(any_store: Store) -> None:
    results = await asyncio.gather(
        *(
            any_store.participants.touch("telegram", "race", display_name="R", now=TEST_NOW)
            for _ in range(5)
        )
    )
    assert len({p.id for p, _ in results}) == 1


async def test_a_person_comes_with_the_partner_cities_of_their_city(any_store: Store) -> None:
    """Read in the same row as the person (/find and /notes rank by them on every update):
    both sides of a partnership, none without a city, and SDGs ascending beside them."""
    cities = {c.name: c for c in await any_store.cities.all()}
    heidelberg, cambridge = cities["Heidelberg"], cities["Cambridge"]
    pids = [
        await any_store.participants.create_profile(
            name=name, city_id=city, department="planning", sdgs=[17, 11, 5], now=TEST_NOW
        )
        for name, city in (("H", heidelberg.id), ("C", cambridge.id), ("N", None))
    ]
    people = await any_store.participants.get_many(pids)
    h, c, n = (people[pid] for pid in pids)
    assert set(h.partner_city_ids) == {cambridge.id, cities["Palo Alto"].id}
    assert heidelberg.id in c.partner_city_ids
    assert n.partner_city_ids == () and n.sdgs == h.sdgs == (5, 11, 17)
    arrival = await any_store.participants.arrive("telegram", "4711", now=TEST_NOW)
    assert arrival.participant.partner_city_ids == () and arrival.participant.sdgs == ()
