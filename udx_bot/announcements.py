"""Reading ``/announce`` input, for the chat command (handlers/announcements.py) and the command
line (``udx-bot announce``); what an announcement then does is the use case's
(udx_bot/usecases/announcements.py).

Input: ``[audience words] <text> [at YYYY-MM-DD HH:MM]``. Audience words come first and are
combinable, in the one filter grammar of udx_bot/filters.py (:data:`AUDIENCE`): ``all`` (the
last audience word: what follows is text); ``13``, ``sdg13``, ``SDG 13`` or ``#sdg13``;
``#City``; a department name (one word, e.g. ``mobility``, ``Klimaschutz``) or ``dept:<name>``;
``lang:de`` / ``lang:en``. Several values of one kind mean any of them; different kinds must all
match. The text may carry both languages: ``de: … en: …``.
A first word naming a subcommand (``status``, ``cancel <n>`` and their German forms) never
starts an announcement's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from storage.cities import City
from udx_bot.context import UserError
from udx_bot.filters import Filter, Grammar, parse
from udx_bot.i18n import N_, Translator
from udx_bot.typed import typed_number
from udx_bot.usecases.announcements import Audience, Draft

MAX_TEXT = 3500  # leaves room for the header within one Telegram message
USAGE = N_(
    "/announce [audience] <text> [at YYYY-MM-DD HH:MM] — audience: all, 13|sdg13, #City, "
    "a department, lang:de or lang:en (combinable); text in both languages: de: … en: … · "
    "/announce status · /announce cancel <n>"
)
_AT_RE = re.compile(
    r"\s+(?:at|um|am)\s+(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})[ T]+(\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)
# Words that name a subcommand (English and German) never start an announcement's text.
SUBCOMMANDS = {
    "status": "status",
    "cancel": "cancel",
    "abbrechen": "cancel",
    "stornieren": "cancel",
}
_LANG_MARK_RE = re.compile(r"(?:^|\s)(de|en):\s*", re.IGNORECASE)


# The audience is read with the one filter grammar (udx_bot/filters.py): the same words, and the
# same errors, as /find and /notes. In the chat the audience words come first and the text
# follows; on the command line (``--to``) every word must be one.
AUDIENCE = Grammar(
    usage=USAGE,
    several_sdgs=True,
    several_cities=True,
    several_departments=True,
    languages=True,
    everyone=True,
    leading=True,  # a text starting with a number comes after the audience: "all 3 new events"
)
STRICT_AUDIENCE = replace(AUDIENCE, leading=False)


def _audience(found: Filter) -> Audience:
    return Audience(found.sdgs, found.city_ids, found.departments, found.languages)


@dataclass(frozen=True)
class Subcommand:
    """``/announce status`` or ``/announce cancel <n>`` (``stornieren <n>``)."""

    name: str  # "status" or "cancel"
    rest: str  # what follows the subcommand's word

    @property
    def number(self) -> int | None:
        """The announcement number ``cancel`` names (``cancel 2``, ``cancel #2``)."""
        return typed_number(self.rest)

    @property
    def well_formed(self) -> bool:
        """``status`` takes nothing, ``cancel`` one number; anything else misuses the word."""
        return not self.rest if self.name == "status" else self.number is not None


def subcommand(args: str) -> Subcommand | None:
    """The subcommand the first word names (``cancel 2``, ``stornieren 2``, ``status``); None
    when it names none (the input is an announcement)."""
    first, _, rest = args.strip().partition(" ")
    name = SUBCOMMANDS.get(first.casefold())
    return Subcommand(name, rest.strip()) if name else None


def parse_time(date_text: str, time_text: str, tz: tzinfo, t: Translator) -> datetime:
    try:
        if "." in date_text:
            day, month, year = (int(x) for x in date_text.split("."))
        else:
            year, month, day = (int(x) for x in date_text.split("-"))
        hour, minute = (int(x) for x in time_text.split(":"))
        local = datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        raise UserError(
            t._("{value} is not a valid time; write it like 2026-12-01 09:00.").format(
                value=f"{date_text} {time_text}"
            )
        ) from None
    return local.astimezone(UTC)


def split_languages(text: str, fallback_language: str) -> dict[str, str]:
    """``de: Hallo en: Hello`` -> {"de": "Hallo", "en": "Hello"}; plain text belongs to
    ``fallback_language``."""
    if not re.match(r"^(de|en):", text, re.IGNORECASE):
        return {fallback_language: text.strip()}
    parts = _LANG_MARK_RE.split(text)
    texts: dict[str, str] = {}
    # parts: ["", "de", "text", "en", "text", ...]
    for code, body in zip(parts[1::2], parts[2::2], strict=False):
        body = body.strip()
        if body:
            key = code.lower()
            texts[key] = f"{texts[key]} {body}" if key in texts else body
    return texts


def parse_draft(
    args: str,
    t: Translator,
    cities: Sequence[City],
    *,
    now: datetime,
    tz: tzinfo,
    audience_words: str | None = None,
) -> Draft:
    """Parse ``/announce`` input (or the command line's ``--to`` and text).

    Raises UserError (in ``t``'s language) for bad input: empty text, unknown audience words,
    a time in the past, an overly long text.
    """
    text = args.strip()
    scheduled_at = None
    m = _AT_RE.search(" " + text)
    if m:
        scheduled_at = parse_time(m.group(1), m.group(2), tz, t)
        text = (" " + text)[: m.start()].strip()
        if scheduled_at <= now:
            raise UserError(
                t._("{when} is in the past. Choose a time in the future.").format(
                    when=t.fmt_when(scheduled_at)
                )
            )
    if audience_words is not None:
        audience = _audience(parse(audience_words, t, cities, STRICT_AUDIENCE).filter)
        rest = text
    else:
        found = parse(text, t, cities, AUDIENCE)
        audience, rest = _audience(found.filter), found.rest
    texts = split_languages(rest, t.language) if rest.strip() else {}
    if not texts:
        raise UserError(
            t._("Please add the text of the announcement.")
            + "\n"
            + t._("Usage: {usage}").format(usage=t._(USAGE))
        )
    if any(len(v) > MAX_TEXT for v in texts.values()):
        raise UserError(
            t._("The text is too long: at most {n} characters per language.").format(
                n=t.fmt_number(MAX_TEXT)
            )
        )
    return Draft(audience, texts, scheduled_at)
