"""A hand-built network for the report tests, on top of the demo seed (demo people are never
counted). Every figure the tests expect follows from the comments below.

Pairs: Esslingen–Sheboygan (ES), Cambridge–Heidelberg (HC), Heidelberg–Palo Alto (HP).
Range: 2026-10-01 to 2026-11-30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from storage import Store
from storage.tables import announcements, digest_runs, outbox

SINCE = date(2026, 10, 1)
UNTIL = date(2026, 11, 30)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


async def build_network(store: Store) -> dict[str, int]:
    """Four people and what they did; returns ids by short name and city ids by name."""
    city = {c.name: c.id for c in await store.cities.all()}
    people = {}
    for key, name, city_name, dep, sdgs in (
        ("e1", "Erika Esslinger", "Esslingen am Neckar", "mobility", [11, 13]),
        ("s1", "Sam Sheboy", "Sheboygan", "environment", [11]),
        ("h1", "Hanna Heidel", "Heidelberg", "mobility", [7]),
        ("c1", "Chris Cam", "Cambridge", "planning", [4]),
    ):
        people[key] = await store.participants.create_profile(
            name=name, city_id=city[city_name], department=dep, sdgs=sdgs, now=at(9, 1)
        )
        await store.membership.admit(people[key], now=at(9, 1))
    e1, s1, h1, c1 = (people[k] for k in ("e1", "s1", "h1", "c1"))
    es, hd, cam = city["Esslingen am Neckar"], city["Heidelberg"], city["Cambridge"]
    sb = city["Sheboygan"]
    add = store.notes.add
    await add(e1, "Bus lanes #SDG11", city_id=es, department="mobility", sdgs=[11], now=at(10, 5))
    await add(e1, "Heat plan", city_id=es, department="mobility", sdgs=[11, 13], now=at(10, 20))
    await add(s1, "Wetlands", city_id=sb, department="environment", sdgs=[11], now=at(11, 3))
    # tags Cambridge: counts for Heidelberg–Cambridge only
    await add(
        h1,
        "Bikes #Cambridge",
        city_id=hd,
        department="mobility",
        sdgs=[7],
        city_ids=[cam],
        now=at(11, 4),
    )
    # no tag: counts for both of Heidelberg's partnerships
    await add(h1, "Schools", city_id=hd, department="mobility", sdgs=[4], now=at(11, 5))
    await add(e1, "Too late", city_id=es, department="mobility", sdgs=[1], now=at(12, 1))
    intro = await store.introductions.request(e1, s1, at(10, 10))
    await store.introductions.decide(intro.id, "accepted", at(10, 11))
    await store.introductions.request(c1, h1, at(11, 6))
    await store.introductions.request(e1, h1, at(11, 7))  # not partners: network only
    async with store.db.write() as conn:
        number = (await conn.execute(select(announcements.c.number))).scalars().all()
        result = await conn.execute(
            announcements.insert().values(
                author_name="Coord",
                text_en="Hello",
                status="sent",
                created_at=at(11, 10),
                sent_at=at(11, 10),
                number=max([n for n in number if n] or [0]) + 1,
            )
        )
        ann_id = result.inserted_primary_key[0]
        for pid, status in ((e1, "sent"), (s1, "failed"), (h1, "sent"), (c1, "pending")):
            await conn.execute(
                outbox.insert().values(
                    key=f"report-test:{ann_id}:{pid}",
                    kind="announcement",
                    ref_id=ann_id,
                    participant_id=pid,
                    platform="telegram",
                    user_id=str(pid),
                    payload="[]",
                    status=status,
                    next_attempt_at=at(11, 10),
                    created_at=at(11, 10),
                )
            )
        for pid, week, status, when in (
            (e1, "2026-W45", "enqueued", at(11, 9)),
            (h1, "2026-W45", "skipped", at(11, 9)),
            (e1, "2026-W46", "enqueued", at(11, 16)),
        ):
            await conn.execute(
                digest_runs.insert().values(
                    participant_id=pid, week=week, status=status, created_at=when
                )
            )
    return {**people, "es": es, "sb": sb, "hd": hd, "cam": cam, "pa": city["Palo Alto"]}


async def add_meetings(store: Store, ids: dict[str, int]) -> None:
    """The follow-ups of introductions (issue 17), on top of :func:`build_network`; each
    counts in the month the introduction was requested:

    - ES, Oct: the accepted e1→s1: e1 said "Not yet" in November, then "Yes" (round 2), s1
      never answered; s1 wrote what came of it (a note, ES Nov): met, with an outcome.
    - ES, Nov: s1→e1, accepted: s1 said "Yes", e1 "Not yet": met, no outcome.
    - HC, Oct: h1→c1, accepted: both said "Not a fit": neither met nor with an outcome.
    - a demo person (Sheboygan) and e1, Oct, accepted: both said "Yes" and e1 wrote a note
      about it: never counted.

    Figures: ES Oct 1 requested / 1 accepted / 1 met / 1 with an outcome, ES Nov 1/1/1/0,
    HC Oct 1/1/0/0, HC Nov 1/0/0/0; the network Oct 2/2/1/1, Nov 3/1/1/0.
    """
    e1, s1, h1, c1 = (ids[k] for k in ("e1", "s1", "h1", "c1"))
    intros, meetings = store.introductions, store.meetings
    (oct_es,) = await intros.between(e1, s1, at(10, 12))
    await meetings.answer(oct_es.id, e1, 1, "not_yet", at(11, 1))
    await meetings.answer(oct_es.id, e1, 2, "met", at(11, 8))
    note = await store.notes.add(
        s1, "Visited the depot", city_id=ids["sb"], department=None, now=at(11, 20)
    )
    await meetings.outcome_note(oct_es.id, note.id, s1, at(11, 20))
    nov_es = await intros.request(s1, e1, at(11, 12))
    await intros.decide(nov_es.id, "accepted", at(11, 13))
    await meetings.answer(nov_es.id, s1, 1, "met", at(11, 27))
    await meetings.answer(nov_es.id, e1, 1, "not_yet", at(11, 28))
    oct_hc = await intros.request(h1, c1, at(10, 14))
    await intros.decide(oct_hc.id, "accepted", at(10, 15))
    await meetings.answer(oct_hc.id, h1, 1, "not_fit", at(10, 29))
    await meetings.answer(oct_hc.id, c1, 1, "not_fit", at(10, 30))
    demo = await store.participants.create_profile(
        name="Demo Dora", city_id=ids["sb"], department="planning", is_demo=True, now=at(9, 1)
    )
    with_demo = await intros.request(demo, e1, at(10, 16))
    await intros.decide(with_demo.id, "accepted", at(10, 17))
    for pid in (demo, e1):
        await meetings.answer(with_demo.id, pid, 1, "met", at(10, 30))
    about_demo = await store.notes.add(
        e1, "Met Dora", city_id=ids["es"], department=None, now=at(10, 31)
    )
    await meetings.outcome_note(with_demo.id, about_demo.id, e1, at(10, 31))
