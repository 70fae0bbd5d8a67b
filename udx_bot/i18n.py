"""Translations and locale-aware formatting.

Catalogs are gettext ``.po`` files in ``locales/<lang>/LC_MESSAGES/<domain>.po``, one domain per
source module (see udx_bot/catalogs.py for the Babel extract/update workflow). ``locales`` is a
package shipped in the wheel and sdist (pyproject.toml's package-data), read through
``importlib.resources``, so an installed bot finds its catalogs wherever it is installed. They are
compiled in memory when first needed (about 50 ms for both languages), so no ``.mo`` file is
committed or built and none can be stale. Missing catalogs are an error (:class:`CatalogError`,
checked by the command line at start-up), never a silent fall-back to English.

Every user-visible string goes through a :class:`Translator` bound to the reader: their language,
their Babel locale (de_DE, en_GB, en_US differ) and their timezone.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    format_time,
    format_timedelta,
    get_day_names,
)
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from udx_bot import reference

LANGUAGES = ("en", "de")
CATALOG_PACKAGE = "locales"


class CatalogError(RuntimeError):
    """The translation catalogs are not installed, or some are missing."""


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with ``Translator._``."""
    return message


# The platforms by their names; only the console's is a word to translate ("Konsole").
PLATFORM_NAMES = {"telegram": "Telegram", "slack": "Slack", "console": N_("Console")}


def catalog_root() -> Traversable:
    try:
        return resources.files(CATALOG_PACKAGE)
    except ModuleNotFoundError as error:
        raise CatalogError(
            f"the translation catalogs are not installed (no package {CATALOG_PACKAGE!r} "
            f"with {CATALOG_PACKAGE}/<language>/LC_MESSAGES/*.po); reinstall udx-bot"
        ) from error


def _po_files(root: Traversable, language: str) -> list[Traversable]:
    directory = root.joinpath(language, "LC_MESSAGES")
    if not directory.is_dir():
        return []
    return sorted(
        (f for f in directory.iterdir() if f.name.endswith(".po") and f.is_file()),
        key=lambda f: f.name,
    )


def missing_catalogs(root: Traversable) -> list[str]:
    """The catalogs that ought to be there and are not: every language has the same domains."""
    found = {language: {f.name for f in _po_files(root, language)} for language in LANGUAGES}
    domains = set().union(*found.values())
    if not domains:
        return [f"{CATALOG_PACKAGE}/{language}/LC_MESSAGES/*.po" for language in LANGUAGES]
    return [
        f"{CATALOG_PACKAGE}/{language}/LC_MESSAGES/{name}"
        for language in LANGUAGES
        for name in sorted(domains - found[language])
    ]


def check_catalogs(root: Traversable | None = None) -> None:
    """Start-up check: raise :class:`CatalogError` naming every missing catalog."""
    root = root if root is not None else catalog_root()
    missing = missing_catalogs(root)
    if missing:
        raise CatalogError(
            f"translation catalogs missing: {', '.join(missing)} (looked in {root}); "
            "reinstall udx-bot"
        )
    for language in LANGUAGES:
        load_translations(root, language)  # a broken catalog fails now, not mid-conversation


def load_translations(root: Traversable, language: str) -> gettext.GNUTranslations:
    """All domains of one language merged into one gettext object."""
    merged: gettext.GNUTranslations | None = None
    for po_file in _po_files(root, language):
        with po_file.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        domain = gettext.GNUTranslations(buffer)
        if merged is None:
            merged = domain
        else:
            merged._catalog.update(domain._catalog)  # type: ignore[attr-defined]
    if merged is None:
        raise CatalogError(
            f"no translation catalogs for {language!r}: "
            f"{CATALOG_PACKAGE}/{language}/LC_MESSAGES/*.po (looked in {root}); reinstall udx-bot"
        )
    return merged


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The installed catalogs of one language (loaded once)."""
    return load_translations(catalog_root(), language)


def normalize_language(code: str | None) -> str | None:
    """ "de-DE", "de_AT", "DE" -> "de"; None for a language the bot does not speak."""
    if not code:
        return None
    language = code.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def babel_locale(
    language: str, country: str | None = None, language_code: str | None = None
) -> str:
    """The formatting locale: German is de_DE; English is en_GB in the UK, else en_US.

    ``country`` is the person's city's country; the platform's language code ("en-GB")
    decides when there is no city.
    """
    if language == "de":
        return "de_DE"
    if country is None and language_code:
        parts = language_code.replace("_", "-").split("-")
        if len(parts) > 1:
            country = parts[1].upper()
    return "en_GB" if country in ("GB", "UK", "IE") else "en_US"


class Translator:
    """Gettext and Babel, bound to one reader."""

    def __init__(self, language: str, locale: str | None = None, tz: str | tzinfo = "UTC") -> None:
        self.language = language if language in LANGUAGES else "en"
        self.locale = Locale.parse(locale or babel_locale(self.language))
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        self._translations = translations(self.language)

    # gettext: the method names are Babel's default extraction keywords.
    def _(self, message: str) -> str:
        return self._translations.gettext(message)

    gettext = _

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    # Babel formatting in the reader's locale and timezone.
    def fmt_datetime(self, value: datetime, format: str = "medium") -> str:
        return format_datetime(value, format=format, tzinfo=self.tz, locale=self.locale)

    def fmt_when(self, value: datetime) -> str:
        """A moment as people read it, with its timezone and without seconds: "Do., 3. Dez.
        2026, 09:00 MEZ" / "Thu, Dec 3, 2026, 3:00 AM EST"; where the locale has no short name
        for the zone, its city: "Tue, Dec 1, 2026, 9:00 AM (Berlin)"."""
        local = value.astimezone(self.tz)
        day = format_skeleton("yMMMEd", local, locale=self.locale)
        hour = format_time(local, format="short", locale=self.locale)
        zone = format_datetime(local, "z", tzinfo=self.tz, locale=self.locale)
        if not (zone.isalpha() and len(zone) <= 5):  # "+0100" or "Central Standard Time"
            zone = "({})".format(format_datetime(local, "VVV", tzinfo=self.tz, locale=self.locale))
        return f"{day}, {hour} {zone}"

    def fmt_day_time(self, value: datetime, tz: tzinfo | None = None) -> str:
        """A day and time without year or zone: "Di., 9. Dez., 16:00" / "Tue, Dec 9, 4:00 PM",
        in the reader's timezone (or ``tz``: someone else's)."""
        local = value.astimezone(tz or self.tz)
        day = format_skeleton("MMMEd", local, locale=self.locale)
        return f"{day}, {format_time(local, format='short', locale=self.locale)}"

    def fmt_time_in(self, value: datetime, tz: tzinfo) -> str:
        """The time of day ``value`` is in another timezone: "09:00" / "9:00 AM"."""
        return format_time(value.astimezone(tz), format="short", locale=self.locale)

    def fmt_date(self, value: date | datetime, format: str = "medium") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return format_date(value, format=format, locale=self.locale)

    def fmt_time(self, value: time | datetime, format: str = "short") -> str:
        if isinstance(value, datetime):
            return format_time(value, format=format, tzinfo=self.tz, locale=self.locale)
        return format_time(value, format=format, locale=self.locale)

    def fmt_ago(self, delta: timedelta) -> str:
        """ "3 days ago" / "vor 3 Tagen"."""
        return format_timedelta(-delta, add_direction=True, locale=self.locale)

    def fmt_number(self, value: float) -> str:
        return _decimal(value, self.locale)

    def fmt_percent(self, value: float) -> str:
        """0.5 -> "50%" / "50 %"."""
        return format_percent(value, locale=self.locale)

    def fmt_list(
        self, items: Iterable[str], style: Literal["standard", "or", "unit"] = "standard"
    ) -> str:
        values = tuple(items)
        return _list(values, style, self.locale) if values else ""

    def weekday(self, index: int, width: Literal["abbreviated", "short", "wide"] = "wide") -> str:
        """Monday is 0."""
        return str(get_day_names(width, locale=self.locale)[index])

    # Reference data in the reader's language.
    def sdg(self, number: int) -> str:
        return reference.sdg_title(number, self.language)

    def sdg_label(self, number: int) -> str:
        """ "SDG 13 Climate Action" / "SDG 13 Maßnahmen zum Klimaschutz"."""
        return f"SDG {number} {self.sdg(number)}"

    def department(self, key: str | None) -> str:
        dep = reference.department(key)
        return dep.name(self.language) if dep else (key or "")

    def platform(self, key: str | None) -> str:
        """A platform as the reader calls it: "Telegram", "Slack", "Console" / "Konsole"."""
        name = PLATFORM_NAMES.get(key or "")
        return self._(name) if name else key or ""

    def city(self, name: str | None) -> str:
        """A city's name as the reader writes it: "Nürnberg" / "Nuremberg", "Glendale, AZ"."""
        return reference.city_name(name, self.language) if name else ""

    def country(self, code: str | None) -> str:
        """ "United Kingdom" / "Vereinigtes Königreich" (Babel's name of the territory)."""
        return str(self.locale.territories.get(code, code)) if code else ""

    def in_country(self, code: str) -> str:
        """ "in the United States" / "in den USA", "im Vereinigten Königreich": the phrase a
        sentence needs, which the country's name alone does not give in German."""
        phrase = IN_COUNTRY.get(code)
        if phrase is not None:
            return self._(phrase)
        return self._("in {country}").format(country=self.country(code))


# The countries of the network, as a sentence says where something is.
IN_COUNTRY = {
    "DE": N_("in Germany"),
    "GB": N_("in the United Kingdom"),
    "US": N_("in the United States"),
}


# Babel's formatting, remembered: a listing formats the same few numbers and lists many times
# (a Locale is hashable and compares by its identifier)
@lru_cache(maxsize=4096)
def _decimal(value: float, locale: Locale) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096)
def _list(values: tuple[str, ...], style: Literal["standard", "or", "unit"], locale: Locale) -> str:
    return format_list(list(values), style=style, locale=locale)
