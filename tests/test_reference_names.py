"""Reference data that matches the field, through the router in English and German: a city is
found by its German or English name and shown in the reader's language ("Nürnberg" /
"Nuremberg"), the UK county is "County Durham" ("#DurhamCounty" still works), US cities carry
their state ("Glendale, AZ"), and the departments people work in are all in the taxonomy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from storage import Store
from tests.counterparts_support import register
from tests.support import Chat, FakeClock
from udx_bot import reference
from udx_bot.context import Services
from udx_bot.demo import demo_data
from udx_bot.digest import build_digest
from udx_bot.imports import ImportFailed, parse_partnerships
from udx_bot.reference import slug


async def test_the_wizard_finds_a_city_by_either_name_and_shows_the_readers(
    chat: Callable[..., Chat], services: Services
) -> None:
    bea = chat("2", language="de")
    await bea.send("/start")
    await bea.send("deutsch")
    step3 = await bea.send("Nuremberg")
    assert "Stadt: Nürnberg" in step3 and "Nuremberg" not in step3
    ada = chat("1", language="en")
    await ada.send("/start")
    await ada.send("english")
    step3 = await ada.send("Nürnberg")
    assert "City: Nuremberg" in step3 and "Nürnberg" not in step3
    for user in ("1", "2"):
        me = await services.store.participants.by_identity("telegram", user)
        assert me is not None and me.city_name == "Nuremberg"


@pytest.mark.parametrize(
    ("language", "germany", "usa", "nuremberg", "glendale"),
    [
        ("en", "Germany", "United States", "Nuremberg", "Glendale, AZ"),
        ("de", "Deutschland", "Vereinigte Staaten", "Nürnberg", "Glendale, AZ"),
    ],
)
async def test_the_city_buttons_read_as_the_reader_writes_the_names(
    chat: Callable[..., Chat], language: str, germany: str, usa: str, nuremberg: str, glendale: str
) -> None:
    person = chat("1", language=language)
    first = await person.send("/start")
    step2 = await person.press(first.button("English" if language == "en" else "Deutsch"))
    cities = await person.press(step2.button(germany))
    labels = [b.label for b in cities.buttons]
    assert nuremberg in labels
    chosen = await person.press(cities.button(nuremberg))
    assert nuremberg in chosen
    again = await person.send("/start")
    step2 = await person.press(again.button("English" if language == "en" else "Deutsch"))
    us = await person.press(step2.button(usa))
    labels = [b.label for b in us.buttons]
    assert glendale in labels and "St. Louis, MO" in labels and "Glendale" not in labels


@pytest.mark.parametrize(
    ("language", "typed", "saved", "shown"),
    [
        ("en", "Nürnberg", "Saved: your city is now Nuremberg.", "City: Nuremberg (DE)"),
        ("de", "nuremberg", "Gespeichert: Ihre Stadt ist jetzt Nürnberg.", "Stadt: Nürnberg (DE)"),
        ("en", "Durham County", "Saved: your city is now County Durham.", "County Durham (GB)"),
        ("de", "#CountyDurham", "Ihre Stadt ist jetzt County Durham.", "County Durham (GB)"),
        ("en", "Glendale", "Saved: your city is now Glendale, AZ.", "City: Glendale, AZ (US)"),
        ("de", "St. Louis, MO", "Ihre Stadt ist jetzt St. Louis, MO.", "Stadt: St. Louis, MO (US)"),
    ],
)
async def test_profile_city_by_any_name(
    chat: Callable[..., Chat], language: str, typed: str, saved: str, shown: str
) -> None:
    person = chat("1", language=language)
    assert saved in await person.send(f"/profile city {typed}")
    assert shown in await person.send("/profile")


@pytest.mark.parametrize(
    ("language", "typed", "suggestion"),
    [
        ("en", "Nurnbreg", "Did you mean Nuremberg?"),
        ("de", "Nurnbreg", "Meinten Sie Nürnberg?"),
        ("en", "Glendail", "Did you mean Glendale, AZ?"),
    ],
)
async def test_a_misspelt_city_is_refused_with_the_readers_spelling(
    chat: Callable[..., Chat], services: Services, language: str, typed: str, suggestion: str
) -> None:
    person = chat("1", language=language)
    answer = await person.send(f"/profile city {typed}")
    assert suggestion in answer
    me = await services.store.participants.by_identity("telegram", "1")
    assert me is None or me.city_id is None


async def test_find_and_notes_take_either_name_and_show_the_readers(
    store: Store, chat: Callable[..., Chat]
) -> None:
    await register(store, "1", city="Leeds", department="mobility", name="Ann Reed")
    await register(store, "2", city="Stuttgart", department="mobility", language="de")
    await register(store, "3", city="Nuremberg", department="mobility", name="Nina Roth")
    en = await chat("1").send("/find #Nürnberg")
    assert "Nina Roth" in en and "Nuremberg, Germany · Transportation" in en
    de = await chat("2", language="de").send("/find #Nuremberg")
    assert "Nürnberg, Deutschland · Verkehrsplanung und Mobilität" in de
    wrong = await chat("2", language="de").send("/find #Nurnbrg")
    assert "Meinten Sie #Nürnberg" in wrong
    wrong = await chat("1").send("/find #Nurnbrg")
    assert "Did you mean #Nuremberg" in wrong
    saved = await chat("3").send("/note Heat action plan shared with #Nürnberg and #DurhamCounty")
    assert "tagged Nuremberg · County Durham." in saved
    listed = await chat("2", language="de").send("/notes #Nuernberg")
    assert "Heat action plan" in listed and "Nürnberg" in listed


async def test_glendale_carries_its_state_in_find(store: Store, chat: Callable[..., Chat]) -> None:
    await register(store, "1", city="Memmingen", department="planning")
    await register(store, "2", city="Glendale", department="planning", name="Gil Ortiz")
    await register(store, "3", city="Memmingen", department="planning", language="de")
    answer = await chat("1").send("/find #Glendale")
    assert "Glendale, AZ, United States · Planning Department" in answer
    de = await chat("3", language="de").send("/find #Glendale")
    assert "Glendale, AZ, Vereinigte Staaten" in de


@pytest.mark.parametrize(
    ("language", "typed", "saved"),
    [
        ("en", "IT Department", "Digital Services and IT"),
        ("de", "Amt für Digitalisierung", "Digitalisierung und IT"),
        ("en", "school district", "Education and Schools"),
        ("de", "Schulamt", "Schule und Bildung"),
        ("en", "Fire and Rescue Service", "Fire and Emergency Management"),
        ("de", "Feuerwehr", "Feuerwehr und Katastrophenschutz"),
        ("en", "Office of Civic Engagement", "Civic Engagement"),
        ("de", "Bürgerbeteiligung", "Bürgerbeteiligung"),
        ("en", "Equality and Diversity", "Equity and Inclusion"),
        ("de", "Gleichstellungsstelle", "Gleichstellung und Vielfalt"),
    ],
)
async def test_the_new_departments_by_their_german_us_and_uk_names(
    chat: Callable[..., Chat], language: str, typed: str, saved: str
) -> None:
    person = chat("1", language=language)
    await person.send("/profile city Leeds")
    assert saved in await person.send(f"/profile department {typed}")
    assert saved in await person.send("/profile")


async def test_the_new_departments_filter_find(store: Store, chat: Callable[..., Chat]) -> None:
    await register(store, "1", city="Tübingen", department="fire")
    await register(store, "2", city="County Durham", department="fire", name="Fay Moss")
    await register(store, "3", city="County Durham", department="education", name="Ed Cole")
    await register(store, "4", city="Tübingen", department="fire", language="de")
    answer = await chat("1").send("/find Emergency Planning")
    assert "Fay Moss" in answer and "Ed Cole" not in answer
    assert "County Durham, United Kingdom · Fire and Emergency Management" in answer
    de = await chat("4", language="de").send("/find Brandschutz")
    assert "County Durham, Vereinigtes Königreich · Feuerwehr und Katastrophenschutz" in de
    bad = await chat("4", language="de").send("/find Feuerwer")
    assert "Fay Moss" in bad  # a typo still finds the department


def test_demo_people_work_on_goals_that_fit_their_department_and_have_varied_names() -> None:
    people = demo_data()["participants"]
    names = [str(p["name"]).removesuffix(" (demo)") for p in people]
    assert all(str(p["name"]).endswith(" (demo)") for p in people)
    assert len(set(names)) == len(names)
    firsts = Counter(n.split()[0] for n in names)
    lasts = Counter(n.split(" ", 1)[1] for n in names)
    assert max(firsts.values()) <= 2 and max(lasts.values()) <= 2, (firsts, lasts)
    departments = reference.departments()
    for p in people:
        typical = set(departments[str(p["department"])].sdgs) | {17}  # anyone partners
        assert p["sdgs"] and set(p["sdgs"]) <= typical, p  # type: ignore[arg-type]
    used = {p["department"] for p in people}
    assert {"digital", "education", "fire", "participation", "equality"} <= used


def test_every_department_names_the_goals_it_serves() -> None:
    for dep in reference.departments().values():
        assert dep.sdgs and set(dep.sdgs) <= set(reference.SDG_RANGE), dep.key
    assert set(reference.department("equality").sdgs) >= {5, 16}  # type: ignore[union-attr]


async def test_demo_people_in_new_departments_are_found(chat: Callable[..., Chat]) -> None:
    await chat("1").send("/profile city Tübingen")
    await chat("1").send("/profile department Gleichstellungsstelle")
    found = await chat("1").send("/find Equality and Diversity")
    assert "(demo)" in found and "Equity and Inclusion" in found


def test_a_partnerships_file_may_name_cities_by_any_of_their_names(tmp_path: Path) -> None:
    known = {slug(n): n for n in ("Tübingen", "County Durham", "Nuremberg", "Atlanta")}
    path = tmp_path / "p.csv"
    path.write_text("city,partner_city,since\nTübingen,Durham County,\nNürnberg,Atlanta, GA,1998\n")
    with pytest.raises(ImportFailed):  # "Atlanta, GA" unquoted is three columns: refused whole
        parse_partnerships(path, known, this_year=2026)
    path.write_text(
        'city,partner_city,since\nTübingen,Durham County,\nNürnberg,"Atlanta, GA",1998\n'
    )
    rows = parse_partnerships(path, known, this_year=2026)
    assert [(r.city_slug, r.partner_slug) for r in rows] == [
        ("tuebingen", "countydurham"),
        ("nuremberg", "atlanta"),
    ]


@pytest.mark.parametrize(("language", "city"), [("en", "Nuremberg"), ("de", "Nürnberg")])
async def test_the_digest_writes_cities_as_the_reader_does(
    services: Services, clock: FakeClock, language: str, city: str
) -> None:
    store = services.store
    reader = await register(
        store, "1", city="Atlanta", department="mobility", sdgs=[11], language=language
    )
    author = await register(store, "2", city="Nuremberg", department="mobility", name="Nina Roth")
    await store.notes.add(
        author.id, "Tram stops shaded", city_id=author.city_id, department="mobility", sdgs=[11],
        now=clock(),
    )  # fmt: skip
    me = await store.participants.get(reader.id)
    assert me is not None
    replies = await build_digest(
        services, me, since=clock() - timedelta(days=1), until=clock() + timedelta(hours=1)
    )
    assert replies is not None
    text = replies[0].plain_text
    assert f"Nina Roth · {city}" in text and "Tram stops shaded" in text
    other = "Nürnberg" if language == "en" else "Nuremberg"
    assert other not in text
