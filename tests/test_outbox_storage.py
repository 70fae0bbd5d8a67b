"""Outbox and announcement storage on SQLite and PostgreSQL: claims, leases, marks, counts,
audiences."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage import Store
from storage.outbox import NewMessage
from tests.outbox_support import add_people
from tests.support import FakeClock


def rows(people: list[tuple[int, str]], ref_id: int = 1) -> list[NewMessage]:
    return [
        NewMessage(f"k:{ref_id}:{pid}", "test", "telegram", chat, chat, "[]", pid, ref_id)
        for pid, chat in people
    ]


async def test_claim_is_atomic_leased_and_ordered(any_store: Store, clock: FakeClock) -> None:
    store = any_store
    people = await add_people(store, 30, now=clock.now)
    assert await store.outbox.enqueue_many(rows(people), now=clock.now) == 30
    assert await store.outbox.enqueue_many(rows(people), now=clock.now) == 0
    lease = timedelta(minutes=1)
    batches = await asyncio.gather(
        *(store.outbox.claim(now=clock.now, limit=7, lease=lease) for _ in range(6))
    )
    claimed = [m.id for batch in batches for m in batch]
    assert len(claimed) == len(set(claimed)) == 30  # nobody got a row twice
    assert await store.outbox.claim(now=clock.now, limit=10, lease=lease) == []
    later = await store.outbox.claim(now=clock.now + lease, limit=100, lease=lease)
    assert [m.id for m in later] == sorted(claimed)  # lease over: claimable again, in order
    assert await store.outbox.claim(now=clock.now + lease, limit=5, lease=lease, platforms=[]) == []


async def test_a_claim_can_be_narrowed_to_some_recipients_of_a_platform(
    any_store: Store, clock: FakeClock
) -> None:
    """The console's worker claims only the rows of the person at the keyboard."""
    store = any_store
    people = await add_people(store, 3, now=clock.now)
    queued = [
        NewMessage(f"c:{pid}", "test", "console", user, None, "[]", pid, 1)
        for (pid, _), user in zip(people, ("Ada", "Sam", "Cem"), strict=True)
    ]
    await store.outbox.enqueue_many([*queued, *rows(people[:1])], now=clock.now)
    lease = timedelta(minutes=1)
    mine = await store.outbox.claim(
        now=clock.now, limit=10, lease=lease, platforms=["console"], recipients={"console": ["Sam"]}
    )
    assert [(m.platform, m.user_id) for m in mine] == [("console", "Sam")]
    rest = await store.outbox.claim(
        now=clock.now, limit=10, lease=lease, recipients={"console": []}
    )
    assert [m.platform for m in rest] == ["telegram"]  # other platforms are not narrowed


async def test_marks_and_counts(any_store: Store, clock: FakeClock) -> None:
    store = any_store
    people = await add_people(store, 5, now=clock.now)
    await store.outbox.enqueue_many(rows(people), now=clock.now)
    # a second message to the first person, from another feature
    await store.outbox.enqueue_many(
        [NewMessage("other", "digest", "telegram", people[0][1], people[0][1], "[]")],
        now=clock.now,
    )
    claimed = await store.outbox.claim(now=clock.now, limit=10, lease=timedelta(minutes=1))
    by_key = {m.key: m for m in claimed}
    first, second, third = (by_key[f"k:1:{pid}"].id for pid, _ in people[:3])
    await store.outbox.mark_sent([second], now=clock.now)
    await store.outbox.retry(third, at=clock.now + timedelta(seconds=5), error="boom")
    assert (
        await store.outbox.mark_failed(first, error="403", now=clock.now, block_recipient=True) == 2
    )  # the pending digest to the same identity fails too
    counts = await store.outbox.counts("test", [1, 99])
    assert (counts[1].sent, counts[1].pending, counts[1].failed) == (1, 3, 1)
    assert counts[99].total == 0
    ident = await store.participants.identity("telegram", people[0][1])
    assert ident is not None and ident.blocked_at == clock.now
    retried = await store.outbox.get(f"k:1:{people[2][0]}")
    assert retried is not None and retried.attempts == 1 and retried.last_error == "boom"
    assert await store.outbox.next_due() is not None


async def test_audience_query(any_store: Store, clock: FakeClock) -> None:
    store = any_store
    climate = await add_people(store, 3, sdgs=[13, 11], department="mobility", now=clock.now)
    await add_people(store, 2, first_id=6000, sdgs=[4], department="parks", now=clock.now)
    await add_people(store, 2, first_id=7000, city="tuebingen", sdgs=[13], now=clock.now)
    everyone = await store.announcements.recipients()
    assert len(everyone) == 7  # demo people have no identity: not reachable
    found = await store.announcements.recipients(sdgs=[13], departments=["mobility", "x"])
    assert len(found) == 5
    krefeld = {c.slug: c.id for c in await store.cities.all()}["krefeld"]
    found = await store.announcements.recipients(sdgs=[13], city_ids=[krefeld])
    assert sorted(r.participant_id for r in found) == sorted(pid for pid, _ in climate)


async def test_claims_name_the_worker_and_its_successor_takes_them_over(
    any_store: Store, clock: FakeClock
) -> None:
    store = any_store
    people = await add_people(store, 4, now=clock.now)
    await store.outbox.enqueue_many(rows(people), now=clock.now)
    lease = timedelta(minutes=5)
    mine = await store.outbox.claim(now=clock.now, limit=2, lease=lease, worker="w1")
    theirs = await store.outbox.claim(now=clock.now, limit=2, lease=lease, worker="w2")
    assert {m.claimed_by for m in mine} == {"w1"} and {m.claimed_by for m in theirs} == {"w2"}
    await store.outbox.mark_parts_sent(mine[0].id, 2)  # two parts of the first are delivered
    await store.outbox.mark_sent([mine[1].id], now=clock.now)
    # w1 starts again: what it still held is due at once; w2's claims wait for their lease
    assert await store.outbox.reclaim("w1", now=clock.now) == 1
    again = await store.outbox.claim(now=clock.now, limit=10, lease=lease, worker="w1")
    assert [(m.id, m.parts_sent) for m in again] == [(mine[0].id, 2)]
    assert await store.outbox.reclaim("nobody", now=clock.now) == 0
    await store.outbox.retry(again[0].id, at=clock.now + timedelta(seconds=9), count_attempt=False)
    retried = await store.outbox.get(again[0].key)
    assert retried is not None and retried.claimed_by is None and retried.parts_sent == 2
    assert await store.outbox.reclaim("w1", now=clock.now) == 0  # a retry is not a claim
