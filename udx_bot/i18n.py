"""Translations and locale-aware formatting.

Catalogs are gettext ``.po`` files in ``locales/<lang>/LC_MESSAGES/<domain>.po``, one domain per
source module (see udx_bot/catalogs.py for the Babel extract/update workflow). They are compiled in
memory when first needed, so there is no manual compile step.

Every user-visible string goes through a :class:`Translator` bound to the reader: their language,
their Babel locale (de_DE, en_GB, en_US differ) and their timezone.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, tzinfo
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from udx_bot import reference

LANGUAGES = ("en", "de")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with ``Translator._``."""
    return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    """All domains of one language merged into one gettext object."""
    merged: gettext.NullTranslations = gettext.NullTranslations()
    directory = LOCALES_DIR / language / "LC_MESSAGES"
    for po_path in sorted(directory.glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        domain = gettext.GNUTranslations(buffer)
        if isinstance(merged, gettext.GNUTranslations):
            merged._catalog.update(domain._catalog)  # type: ignore[attr-defined]
        else:
            merged = domain
    return merged


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

    def fmt_date(self, value: date | datetime, format: str = "medium") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return format_date(value, format=format, locale=self.locale)

    def fmt_time(self, value: time | datetime, format: str = "short") -> str:
        if isinstance(value, datetime):
            return format_time(value, format=format, tzinfo=self.tz, locale=self.locale)
        return format_time(value, format=format, locale=self.locale)

    def fmt_number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def fmt_list(
        self, items: Iterable[str], style: Literal["standard", "or", "unit"] = "standard"
    ) -> str:
        values: Sequence[str] = list(items)
        return format_list(values, style=style, locale=self.locale) if values else ""

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
