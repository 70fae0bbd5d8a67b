"""The report's figures, counted by the database, against the hand-built network
(tests/reports_support.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from storage import Store
from storage.report_data import PairKey, ReportData
from tests.reports_support import add_meetings, build_network
from udx_bot.reports import report_text
from udx_bot.reports.report_input import Period

SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)


async def test_figures_per_partnership_and_month(any_store: Store) -> None:
    ids = await build_network(any_store)
    data = await any_store.reports.build(SINCE, UNTIL)
    es = tuple(sorted((ids["es"], ids["sb"])))
    hc = tuple(sorted((ids["hd"], ids["cam"])))
    hp = tuple(sorted((ids["hd"], ids["pa"])))
    assert data.months == ["2026-10", "2026-11"]
    assert len(data.pairs) == 19
    oct_es, nov_es = data.stats(es, "2026-10"), data.stats(es, "2026-11")
    assert (oct_es.notes, oct_es.active, oct_es.intro_requested, oct_es.intro_accepted) == (
        2,
        1,
        1,
        1,
    )
    assert (nov_es.notes, nov_es.active, nov_es.digests) == (1, 1, 1)
    assert nov_es.deliveries == {"sent": 1, "failed": 1}
    nov_hc, nov_hp = data.stats(hc, "2026-11"), data.stats(hp, "2026-11")
    assert (nov_hc.notes, nov_hc.active, nov_hc.intro_requested, nov_hc.intro_accepted) == (
        2,
        2,
        1,
        0,
    )
    assert nov_hc.deliveries == {"sent": 1, "pending": 1}
    assert nov_hc.digests == 0  # h1's week was skipped
    assert (nov_hp.notes, nov_hp.active, nov_hp.intro_requested) == (1, 1, 0)
    assert nov_hp.deliveries == {"sent": 1}
    net_oct, net_nov = data.stats(None, "2026-10"), data.stats(None, "2026-11")
    assert (net_oct.notes, net_oct.active, net_oct.intro_requested) == (2, 1, 1)
    assert (net_nov.notes, net_nov.active, net_nov.intro_requested) == (3, 4, 2)
    assert net_nov.announcements == 1
    assert net_nov.deliveries == {"sent": 2, "failed": 1, "pending": 1}
    assert net_nov.digests == 1
    assert data.sdg_notes[es] == {11: 3, 13: 1}
    assert data.sdg_notes[hc] == {7: 1, 4: 1}
    assert data.sdg_notes[hp] == {4: 1}
    assert data.sdg_profiles[es] == {11: 2, 13: 1}
    assert data.sdg_profiles[hc] == {7: 1, 4: 1}
    assert data.sdg_profiles[hp] == {7: 1}
    assert data.department_notes[es] == {"mobility": 2, "environment": 1}
    assert data.department_notes[hc] == {"mobility": 2}
    assert data.department_people[hp] == {"mobility": 1}
    total = data.total(es)
    assert (total.notes, total.intro_requested, total.recipients, total.delivered) == (3, 1, 2, 1)


async def test_a_strangers_profile_does_not_count(any_store: Store) -> None:
    ids = await build_network(any_store)
    await any_store.participants.create_profile(
        name="Stranger", city_id=ids["es"], department="waste", sdgs=[5], now=SINCE
    )  # not admitted: a stranger
    data = await any_store.reports.build(SINCE, UNTIL)
    es = tuple(sorted((ids["es"], ids["sb"])))
    assert data.sdg_profiles[es] == {11: 2, 13: 1}
    assert "waste" not in data.department_people[es]
    assert "Stranger" not in {p["name"] for p in await any_store.exports.participants()}


async def test_only_the_partnerships_of_a_city(any_store: Store) -> None:
    ids = await build_network(any_store)
    data = await any_store.reports.build(SINCE, UNTIL, {ids["hd"]})
    assert [p.label for p in data.pairs] == ["Heidelberg – Cambridge", "Heidelberg – Palo Alto"]
    assert set(data.by_pair) <= {p.key for p in data.pairs}
    assert data.stats(None, "2026-11").notes == 3  # the network's totals stay whole


async def test_an_empty_range(any_store: Store) -> None:
    await build_network(any_store)
    data = await any_store.reports.build(
        datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC)
    )
    assert data.months == ["2030-01"]  # every month of the range, even a quiet one
    assert data.by_pair == {} and data.sdg_notes == {}
    assert data.stats(None, "2030-01").notes == 0


async def test_one_partnership_keeps_the_tag_rule(any_store: Store) -> None:
    ids = await build_network(any_store)
    hp = tuple(sorted((ids["hd"], ids["pa"])))
    data = await any_store.reports.build(SINCE, UNTIL, pair=hp)  # type: ignore[arg-type]
    assert [p.key for p in data.pairs] == [hp]
    assert data.total(hp).notes == 1  # the note tagging Cambridge is not Palo Alto's
    assert data.filtered and set(data.by_pair) == {hp}


async def test_export_rows_on_both_databases(any_store: Store) -> None:
    ids = await build_network(any_store)
    await any_store.participants.update(ids["h1"], anonymous=True, now=UNTIL)
    notes = await any_store.exports.notes()
    bikes = next(n for n in notes if n["text"] == "Bikes #Cambridge")
    assert (bikes["author"], bikes["anonymous"], bikes["city"], bikes["sdgs"]) == (
        "Hanna Heidel", True, "Heidelberg", [7],
    )  # fmt: skip
    assert bikes["tagged_cities"] == ["Cambridge"]
    people = {p["name"]: p for p in await any_store.exports.participants()}
    assert people["Erika Esslinger"]["sdgs"] == [11, 13] and people["Hanna Heidel"]["anonymous"]
    intros = await any_store.exports.introductions()
    assert [(i["requester"], i["target"], i["status"]) for i in intros] == [
        ("Erika Esslinger", "Sam Sheboy", "accepted"),
        ("Chris Cam", "Hanna Heidel", "open"),
        ("Erika Esslinger", "Hanna Heidel", "open"),
    ]
    assert intros[1]["target_anonymous"] and not intros[1]["requester_anonymous"]


def pair_key(a: int, b: int) -> PairKey:
    return (min(a, b), max(a, b))


def funnel_of(data: ReportData, key: PairKey | None, month: str) -> tuple[int, int, int, int]:
    s = data.stats(key, month)
    return (s.intro_requested, s.intro_accepted, s.intro_met, s.intro_outcome)


async def test_met_and_with_an_outcome_per_partnership_and_month(any_store: Store) -> None:
    ids = await build_network(any_store)
    await add_meetings(any_store, ids)
    data = await any_store.reports.build(SINCE, UNTIL)
    es = pair_key(ids["es"], ids["sb"])
    hc = pair_key(ids["hd"], ids["cam"])
    hp = pair_key(ids["hd"], ids["pa"])
    # e1 answered "Not yet", then "Yes" in November: met in the month it was requested
    assert funnel_of(data, es, "2026-10") == (1, 1, 1, 1)
    assert funnel_of(data, es, "2026-11") == (1, 1, 1, 0)  # one "Yes", one "Not yet"
    assert funnel_of(data, hc, "2026-10") == (1, 1, 0, 0)  # "Not a fit" on both sides
    assert funnel_of(data, hc, "2026-11") == (1, 0, 0, 0)
    assert funnel_of(data, hp, "2026-11") == (0, 0, 0, 0)
    assert funnel_of(data, None, "2026-10") == (2, 2, 1, 1)  # the demo person's: not counted
    assert funnel_of(data, None, "2026-11") == (3, 1, 1, 0)
    total = data.total(es)
    assert (total.intro_met, total.intro_outcome) == (2, 1)
    assert data.funnel() == (5, 3, 2, 1)
    assert data.stats(es, "2026-10").notes == 3  # the notes about the meetings are notes too
    only_heidelberg = await any_store.reports.build(SINCE, UNTIL, {ids["hd"]})
    assert only_heidelberg.funnel() == (2, 1, 0, 0)
    one_pair = await any_store.reports.build(SINCE, UNTIL, pair=es)
    assert one_pair.funnel() == (2, 2, 2, 1)


async def test_the_exports_carry_met_and_with_an_outcome(any_store: Store) -> None:
    ids = await build_network(any_store)
    await add_meetings(any_store, ids)
    data = await any_store.reports.build(SINCE, UNTIL)
    span = Period(SINCE.date(), (UNTIL - timedelta(days=1)).date())
    rows = {
        (r["city"], r["partner_city"], r["month"]): r
        for r in csv.DictReader(io.StringIO(report_text.csv_text(data)))
    }
    oct_es = rows[("Esslingen am Neckar", "Sheboygan", "2026-10")]
    assert (oct_es["intro_met"], oct_es["intro_outcome"]) == ("1", "1")
    nov = rows[("", "", "2026-11")]  # the whole network
    assert (nov["intro_met"], nov["intro_outcome"]) == ("1", "0")
    doc = json.loads(report_text.json_text(data, span))
    assert "not_recorded" not in doc
    assert doc["network"]["total"]["intro_met"] == 2
    (es,) = [p for p in doc["partnerships"] if p["partner_city"] == "Sheboygan"]
    assert es["months"]["2026-11"]["intro_met"] == 1
    assert es["total"]["intro_outcome"] == 1
