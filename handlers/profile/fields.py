"""Parsing what people type for each profile field, shared by /profile and the /start wizard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from babel.dates import get_day_names

from storage.cities import City
from udx_bot import reference
from udx_bot.context import Context, UserError
from udx_bot.i18n import LANGUAGES
from udx_bot.imports import timezones
from udx_bot.typed import shorten

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}

NAME_MAX = 200
# Commands worth trying once registered, if the features that own them are installed.
NEXT_COMMANDS = ("note", "find", "notes", "digest")


# Parsers (raise UserError with a localized message; nothing is stored) -------------------------
@dataclass(frozen=True)
class CityMatch:
    city: City | None
    closest: tuple[City, ...]


async def match_city(ctx: Context, typed: str) -> CityMatch:
    known = await ctx.store.cities.all()
    by_name = {c.name: c for c in known}
    name = reference.match_name(typed, list(by_name))
    if name is not None:
        return CityMatch(by_name[name], ())
    closest = reference.closest_names(typed, list(by_name))
    return CityMatch(None, tuple(by_name[n] for n in closest))


def unknown_city_message(
    ctx: Context, typed: str, closest: tuple[City, ...], *, in_wizard: bool = False
) -> str:
    typed = shorten(typed)
    if closest:
        return ctx._(
            "I don't know a city called “{typed}” in the network. Did you mean {names}?"
        ).format(
            typed=typed, names=ctx.t.fmt_list((ctx.t.city(c.name) for c in closest), style="or")
        )
    if in_wizard:
        return ctx._(
            "I don't know a city called “{typed}” in the network. Check the spelling, or "
            "choose it from the list."
        ).format(typed=typed)
    return ctx._(
        "I don't know a city called “{typed}” in the network. Send /start to pick your city "
        "from the list."
    ).format(typed=typed)


async def parse_city(ctx: Context, typed: str) -> City:
    found = await match_city(ctx, typed)
    if found.city is None:
        raise UserError(unknown_city_message(ctx, typed, found.closest))
    return found.city


def unknown_department_message(
    ctx: Context, typed: str, closest: tuple[reference.Department, ...]
) -> str:
    typed = shorten(typed)
    if closest:
        return ctx._("I couldn't match “{typed}” to a department. Closest: {names}.").format(
            typed=typed, names=ctx.t.fmt_list((ctx.t.department(d.key) for d in closest), "or")
        )
    return ctx._(
        "I couldn't match “{typed}” to a department. Try a name like “Umweltamt” or "
        "“Planning Department”, in German or English."
    ).format(typed=typed)


def parse_department(ctx: Context, typed: str) -> str:
    found = reference.match_department(typed)
    if found.department is None:
        raise UserError(unknown_department_message(ctx, typed, found.closest))
    return found.department.key


def parse_sdgs(ctx: Context, text: str) -> list[int]:
    text = re.sub(r"(?i)\bsdg[\s\-]+(?=\d)", "sdg", text)  # "SDG 13" is one token
    tokens = [t for t in re.split(r"[\s,;]+", text.strip()) if t]
    if not tokens:
        raise UserError(ctx._("Which SDGs? For example: /profile sdgs 11 13 17"))
    result: list[int] = []
    for token in tokens:
        try:
            number = reference.parse_sdg(token)
        except ValueError:
            number = None
        if number is None:
            raise UserError(
                ctx._("SDGs are numbered from 1 to 17; “{token}” is not one of them.").format(
                    token=token
                )
            )
        if number not in result:
            result.append(number)
    return sorted(result)


def parse_language(ctx: Context, text: str) -> str:
    typed = text.strip().casefold()
    for code in LANGUAGES:
        if typed in (code, LANGUAGE_NAMES[code].casefold(), "german" if code == "de" else ""):
            return code
    if typed in ("englisch",):
        return "en"
    raise UserError(
        ctx._("Please choose de (Deutsch) or en (English), for example: /profile language de")
    )


@cache
def _timezones_folded() -> dict[str, str]:
    return {name.casefold(): name for name in timezones()}


def parse_timezone(ctx: Context, text: str) -> str:
    typed = text.strip()
    found = _timezones_folded().get(typed.casefold())
    if found is None:
        raise UserError(
            ctx._(
                "“{typed}” is not a timezone I know. Use a name like Europe/Berlin or "
                "America/New_York."
            ).format(typed=typed)
        )
    return found


@cache
def _weekday_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for locale in ("en", "de"):
        for width in ("wide", "abbreviated", "short"):
            for index, name in get_day_names(width, locale=locale).items():
                names[str(name).casefold().rstrip(".")] = int(index)
    return names


def parse_weekday(ctx: Context, text: str) -> int:
    day = _weekday_names().get(text.strip().casefold().rstrip("."))
    if day is None:
        raise UserError(
            ctx._("“{typed}” is not a weekday. Use a name like Monday or Montag.").format(
                typed=text.strip()
            )
        )
    return day


# "08:00", "8.30", "14h30", "14 Uhr", "14h", "2pm", "2:30 p.m.", "12am"
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|uhr|h)?$", re.IGNORECASE)
# a time's suffix typed apart from its number ("2 pm", "14 Uhr"): one word again
TIME_SUFFIX_RE = re.compile(r"(\d)\s+(am|pm|a\.m\.|p\.m\.|uhr)(?!\w)", re.IGNORECASE)


def parse_time(ctx: Context, text: str) -> int:
    """Minutes after midnight of a time of day, 24-hour or 12-hour ("2pm")."""
    typed = text.strip()
    m = _TIME_RE.match(typed)
    minutes = _minutes(m) if m else None
    if minutes is None:
        raise UserError(
            ctx._("“{typed}” is not a time. Give it as HH:MM, for example 08:00.").format(
                typed=typed
            )
        )
    return minutes


def _minutes(m: re.Match[str]) -> int | None:
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    suffix = (m.group(3) or "").casefold().replace(".", "")
    if minute > 59 or (m.group(2) is None and not suffix):  # a bare "8" may be a slip
        return None
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif hour > 23:
        return None
    return hour * 60 + minute
