from datetime import UTC, datetime

from udx_bot import catalogs
from udx_bot.i18n import Translator, babel_locale, normalize_language


def test_every_message_has_a_german_translation_with_the_same_placeholders() -> None:
    problems = catalogs.problems()
    assert problems == [], "\n".join(problems)


def test_placeholder_check_catches_a_mismatch() -> None:
    assert catalogs.placeholders("Hello {name}, {count}") == {"{name}", "{count}"}
    assert catalogs.placeholders("Hallo {nmae}") != catalogs.placeholders("Hello {name}")


def test_locale_resolution() -> None:
    assert normalize_language("de-AT") == "de"
    assert normalize_language("en_GB") == "en"
    assert normalize_language("fr") is None
    assert babel_locale("de") == "de_DE"
    assert babel_locale("en", "GB") == "en_GB"
    assert babel_locale("en", "US") == "en_US"
    assert babel_locale("en", None, "en-GB") == "en_GB"
    assert babel_locale("en") == "en_US"


def test_dates_numbers_and_lists_differ_by_locale() -> None:
    moment = datetime(2026, 3, 9, 17, 30, tzinfo=UTC)
    us = Translator("en", "en_US", "America/Chicago")
    gb = Translator("en", "en_GB", "Europe/London")
    de = Translator("de", "de_DE", "Europe/Berlin")
    assert us.fmt_date(moment, "short") == "3/9/26"
    assert gb.fmt_date(moment, "short") == "09/03/2026"
    assert de.fmt_date(moment, "short") == "09.03.26"
    assert us.fmt_time(moment) == "12:30\u202fPM"  # Chicago is already on summer time
    assert de.fmt_time(moment) == "18:30"
    assert us.fmt_number(1234.5) == "1,234.5" and de.fmt_number(1234.5) == "1.234,5"
    assert us.fmt_list(["A", "B", "C"]) == "A, B, and C"
    assert gb.fmt_list(["A", "B", "C"]) == "A, B and C"
    assert de.fmt_list(["A", "B", "C"]) == "A, B und C"
    assert de.weekday(0) == "Montag" and us.weekday(0) == "Monday"


def test_translator_uses_german_catalog_and_reference_titles() -> None:
    de = Translator("de", "de_DE")
    assert de._("Commands") == "Befehle"
    assert de.sdg(11) == "Nachhaltige Städte und Gemeinden"
    assert de.department("environment") == "Umweltamt"
    en = Translator("en")
    assert en._("Commands") == "Commands"
    assert en.sdg_label(13) == "SDG 13 Climate Action"
