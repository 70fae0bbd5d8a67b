import re
from importlib import resources

import pytest

from udx_bot import reference
from udx_bot.reference import match_department, match_name, parse_sdg, slug, slug_variants


def test_seventeen_sdgs_in_both_languages() -> None:
    titles = reference.sdg_titles()
    assert sorted(titles) == list(range(1, 18))
    assert titles[11]["de"] == "Nachhaltige Städte und Gemeinden"
    assert titles[17]["en"] == "Partnerships for the Goals"
    assert reference.sdgs_in_display_order()[:3] == [11, 16, 17]


def test_taxonomy_has_the_common_departments_with_both_names() -> None:
    deps = reference.departments()
    assert 24 <= len(deps) <= 32
    assert {"digital", "education", "fire", "participation", "equality"} <= set(deps)
    for dep in deps.values():
        assert dep.names["de"] and dep.names["en"] and dep.aliases


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Umweltamt", "environment"),
        ("Office of Sustainability", "sustainability"),
        ("mobility", "mobility"),
        ("Mobilität", "mobility"),
        ("mobilitaet", "mobility"),
        ("Stadtplanungsamt", "planning"),
        ("Department of City Planning", "planning"),
        ("Jugendamt", "youth"),
        ("Children's Services", "youth"),
        ("Sozialamt", "social"),
        ("Wirtschaftsförderung", "economy"),
        ("Regeneration", "economy"),
        ("Umweltamtt", "environment"),  # typo
        ("Stadtplanugsamt", "planning"),  # typo
        ("Quartiersmanagement", "neighbourhood"),
        ("youth council", "youth_council"),
        # the departments added with the field's names: German, US and UK
        ("Amt für Digitalisierung", "digital"),
        ("IT-Amt", "digital"),
        ("Department of Innovation and Technology", "digital"),
        ("Digital Services", "digital"),
        ("Schulamt", "education"),
        ("Amt für Schule und Bildung", "education"),
        ("school district", "education"),
        ("Education", "education"),
        ("Feuerwehr", "fire"),
        ("Amt für Brand- und Katastrophenschutz", "fire"),
        ("Office of Emergency Management", "fire"),
        ("Fire and Rescue Service", "fire"),
        ("Bürgerbeteiligung", "participation"),
        ("Office of Civic Engagement", "participation"),
        ("Community Engagement", "participation"),
        ("Gleichstellungsstelle", "equality"),
        ("Büro für Chancengleichheit und Vielfalt", "equality"),
        ("Office of Equity and Inclusion", "equality"),
        ("Equality and Diversity", "equality"),
        ("Feuerwehrhauptwache", "fire"),  # contains "Feuerwehr"
    ],
)
def test_departments_are_matched_forgivingly(typed: str, key: str) -> None:
    match = match_department(typed)
    assert match.department is not None, match.closest
    assert match.department.key == key


def test_unmatched_department_offers_the_closest() -> None:
    match = match_department("Friedhofsamt")
    assert match.department is None
    match = match_department("xyz")
    assert match.department is None


CITIES = ["Tübingen", "County Durham", "St. Louis", "Esslingen am Neckar", "Kingston upon Thames"]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("#Tuebingen", "Tübingen"),
        ("tubingen", "Tübingen"),
        ("#CountyDurham", "County Durham"),
        ("#DurhamCounty", "County Durham"),  # the name it had before, still an alias
        ("durham county", "County Durham"),
        ("St. Louis, MO", "St. Louis"),
        ("Saint Louis", "St. Louis"),
        ("#StLouis", "St. Louis"),
        ("Esslingen", "Esslingen am Neckar"),
        ("KingstonUponThames", "Kingston upon Thames"),
    ],
)
def test_city_names_ignore_case_spaces_punctuation_and_umlauts(typed: str, name: str) -> None:
    assert match_name(typed.lstrip("#"), CITIES) == name


def test_unknown_city_is_none() -> None:
    assert match_name("Atlantis", CITIES) is None
    assert slug("Tübingen") == "tuebingen"


def test_sdg_tokens() -> None:
    assert parse_sdg("sdg13") == 13
    assert parse_sdg("#SDG11") == 11
    assert parse_sdg("17") == 17
    assert parse_sdg("mobility") is None
    for bad in ("sdg0", "sdg18", "99"):
        with pytest.raises(ValueError):
            parse_sdg(bad)


# Matching runs on the event loop: whatever someone sends, it looks at a bounded part of it.
LONG_TEXTS = [
    "é" * 4096,
    "é" * 40_000,
    ("Umweltamtt Stadtplanung " * 1700)[:40_000],
    " ".join(["x" * 39, "y" * 41] * 1000),
]


@pytest.mark.parametrize("text", LONG_TEXTS)
def test_matching_examines_a_bounded_number_of_short_words(text: str) -> None:
    words = reference.match_words(text).split()
    assert len(words) <= reference.MAX_MATCH_WORDS
    assert all(len(word) <= reference.MAX_MATCH_WORD for word in words)
    bound = reference.MAX_MATCH_WORDS * (reference.MAX_MATCH_WORD + 1)
    assert all(len(key) <= bound for key in slug_variants(reference.match_words(text)))
    match_department(text)  # answers (an unknown department, or the one in the first words)
    reference.closest_names(text, CITIES)
    match_name(text, CITIES)


def test_a_long_word_is_no_name_and_the_first_words_still_count() -> None:
    assert reference.match_words("é" * 40_000) == ""
    assert match_department("é" * 40_000) == reference.DepartmentMatch(None, ())
    assert reference.closest_names("é" * 40_000, CITIES) == []
    match = match_department("Umweltamtt " + "x" * 5000)
    assert match.department is not None and match.department.key == "environment"
    assert match_name("Kingston upon Thames " + "z" * 500, CITIES) == "Kingston upon Thames"
    assert reference.closest_names("Tuebingn " + "q" * 500, CITIES) == ["Tübingen"]


def test_typo_suggestions_are_the_closest_spellings() -> None:
    assert reference.closest_names("Sheboygn", ["Sheboygan", "Leeds", "Tübingen"]) == ["Sheboygan"]
    closest = [d.key for d in match_department("Parkamtx").closest]
    assert closest and closest[0] == "parks"


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Nürnberg", "Nuremberg"),
        ("#Nuernberg", "Nuremberg"),
        ("nurnberg", "Nuremberg"),
        ("Nuremberg", "Nuremberg"),
        ("Munich", "München"),
        ("München", "München"),
        ("Cologne", "Köln"),
        ("#Koeln", "Köln"),
        ("Glendale", "Glendale"),
        ("Glendale, AZ", "Glendale"),
        ("#Glendale", "Glendale"),
    ],
)
def test_cities_are_found_by_their_german_and_english_names(typed: str, name: str) -> None:
    network = ["Nuremberg", "München", "Köln", "Glendale", "Leeds"]
    assert match_name(typed.lstrip("#"), network) == name


def test_city_names_in_the_readers_language() -> None:
    assert reference.city_name("Nuremberg", "de") == "Nürnberg"
    assert reference.city_name("Nuremberg", "en") == "Nuremberg"
    assert reference.city_name("Nürnberg", "en") == "Nuremberg"
    assert reference.city_name("München", "en") == "Munich"
    assert reference.city_name("Cologne", "de") == "Köln"
    assert reference.city_name("Glendale", "de") == "Glendale, AZ"
    assert reference.city_name("St. Louis", "en") == "St. Louis, MO"
    assert reference.city_name("Durham County", "de") == "County Durham"
    assert reference.city_name("Tübingen", "en") == "Tübingen"  # no other name: as it is
    assert reference.city_name("Atlantis", "de") == "Atlantis"
    assert reference.closest_names("Nurnburg", ["Nuremberg", "Leeds"]) == ["Nuremberg"]


def test_every_us_city_of_the_network_carries_its_state() -> None:
    rows = (resources.files("udx_bot") / "data" / "cities.csv").read_text("utf-8").splitlines()
    us = [row.split(",")[0] for row in rows[1:] if ",US," in row]
    assert us and all(re.search(r", [A-Z]{2}$", reference.city_name(n, "en")) for n in us), us
    assert any(r.startswith("County Durham,GB") for r in rows)
    assert not any(r.startswith("Durham County") for r in rows)
