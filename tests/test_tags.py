"""Tag parsing in note texts (pure, no storage)."""

from __future__ import annotations

from udx_bot.tags import parse_tags

CITIES = [
    "Sheboygan",
    "Tübingen",
    "County Durham",
    "St. Louis",
    "Nuremberg",
    "Esslingen am Neckar",
    "Leeds",
]


def test_sdg_tags_in_any_case_and_spacing() -> None:
    tags = parse_tags("Heat plans #sdg13 #SDG11 #SDG 13 #sdg-7", CITIES)
    assert tags.sdgs == (13, 11, 7)
    assert tags.cities == () and tags.unknown == () and tags.invalid_sdgs == ()


def test_city_tags_ignore_case_spaces_punctuation_and_umlaut_spellings() -> None:
    tags = parse_tags("#Tuebingen, #DurhamCounty. #StLouis! #st.louis #tübingen #Esslingen", CITIES)
    assert tags.cities == ("Tübingen", "County Durham", "St. Louis", "Esslingen am Neckar")


def test_city_tags_in_either_language() -> None:
    tags = parse_tags("#Nürnberg #Nuremberg #CountyDurham #Sheboygan", CITIES)
    assert tags.cities == ("Nuremberg", "County Durham", "Sheboygan")


def test_unknown_tags_and_sdgs_outside_the_range_are_reported_not_tagged() -> None:
    tags = parse_tags("#Atlantis #atlantis #sdg0 #sdg18 #Leeds", CITIES)
    assert tags.unknown == ("#Atlantis",)
    assert tags.invalid_sdgs == (0, 18)
    assert tags.cities == ("Leeds",) and tags.sdgs == ()


def test_things_that_are_no_tags() -> None:
    tags = parse_tags("mail a#Leeds, issue #123, C# code, x#sdg5, ##Leeds", CITIES)
    assert tags == parse_tags("", CITIES)
    assert parse_tags("#sdg13a", CITIES).sdgs == ()
