"""/profile: show the profile, and set each field in one line (for people who prefer typing and for
Slack's slash command). The parsers here are shared with the /start wizard (handlers/onboarding.py).

    /profile                          the profile
    /profile city <name>              /profile department <name>
    /profile sdgs <n> [<n> …]         /profile language de|en
    /profile timezone <Area/City>     /profile digest <weekday> <HH:MM> | off | on
    /profile deliver telegram|slack   /profile name <name>
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Any

from babel.dates import get_day_names

from storage.cities import City
from storage.participants import Participant
from udx_bot import reference
from udx_bot.context import Context, UserError
from udx_bot.i18n import LANGUAGES, N_
from udx_bot.imports import timezones
from udx_bot.router import Router
from udx_bot.typed import shorten
from udx_bot.types import Reply, Section

router = Router()

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
PLATFORM_NAMES = {"telegram": "Telegram", "slack": "Slack", "console": "Console"}
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
        ).format(typed=typed, names=ctx.t.fmt_list((c.name for c in closest), style="or"))
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


_TIME_RE = re.compile(r"^(\d{1,2})[:.h](\d{2})$")


def parse_time(ctx: Context, text: str) -> int:
    """Minutes after midnight of "HH:MM"."""
    m = _TIME_RE.match(text.strip())
    if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise UserError(
            ctx._("“{typed}” is not a time. Give it as HH:MM, for example 08:00.").format(
                typed=text.strip()
            )
        )
    return int(m.group(1)) * 60 + int(m.group(2))


# Showing the profile -----------------------------------------------------------------------------
def digest_text(ctx: Context, participant: Participant) -> str:
    if not participant.digest_enabled:
        return ctx._("off")
    at = time(participant.digest_minute // 60, participant.digest_minute % 60)
    return ctx._("{weekday}s at {time}").format(
        weekday=ctx.t.weekday(participant.digest_weekday), time=ctx.t.fmt_time(at)
    )


async def profile_sections(ctx: Context, participant: Participant) -> list[Section]:
    unset = ctx._("not set")
    city = f"{participant.city_name} ({participant.country})" if participant.city_name else unset
    sdgs = (
        "\n".join(f"  • {ctx.t.sdg_label(n)}" for n in participant.sdgs)
        if participant.sdgs
        else unset
    )
    language = LANGUAGE_NAMES[participant.language] if participant.language else ctx._("automatic")
    tz = participant.effective_timezone or ctx.settings.default_timezone
    timezone = tz if participant.timezone else ctx._("{timezone} (your city's)").format(timezone=tz)
    identities = await ctx.store.participants.identities(participant.id)
    lines = [
        ctx._("Name: {value}").format(value=participant.name or unset),
        ctx._("City: {value}").format(value=city),
        ctx._("Department: {value}").format(
            value=ctx.t.department(participant.department) if participant.department else unset
        ),
        ctx._("SDGs: {value}").format(value=sdgs if not participant.sdgs else "\n" + sdgs),
        ctx._("Language: {value}").format(value=language),
        ctx._("Timezone: {value}").format(value=timezone),
        ctx._("Weekly digest: {value}").format(value=digest_text(ctx, participant)),
        ctx._("Accounts: {value}").format(
            value=ctx.t.fmt_list(PLATFORM_NAMES.get(i.platform, i.platform) for i in identities)
        ),
    ]
    platforms = {i.platform for i in identities}
    if len(platforms) > 1:
        chosen = participant.deliver_platform or identities[0].platform
        lines.append(
            ctx._("Digests go to: {value}").format(value=PLATFORM_NAMES.get(chosen, chosen))
        )
    if participant.role != "participant":
        role = ctx._("coordinator") if participant.role == "coordinator" else ctx._("admin")
        lines.append(ctx._("Role: {value}").format(value=role))
    return [Section("\n".join(lines), heading=ctx._("Your profile"))]


def missing_text(ctx: Context, participant: Participant) -> str | None:
    missing = []
    if participant.city_id is None:
        missing.append(ctx._("your city"))
    if participant.department is None:
        missing.append(ctx._("your department"))
    if not missing:
        return None
    return ctx._(
        "Still missing: {fields}. Send /start, or set them with /profile city <name> and "
        "/profile department <name>."
    ).format(fields=ctx.t.fmt_list(missing))


def next_steps_text(ctx: Context) -> str:
    lines = [ctx._("What to try next:")]
    for name in NEXT_COMMANDS:
        route = ctx.services.router.resolve(name)
        if route is not None and route.help:
            usage = ctx._(route.usage) if route.usage else f"/{route.name}"
            lines.append(f"• {usage} — {ctx._(route.help)}")
    lines.append("• " + ctx._("/profile — show or change your profile"))
    lines.append("• " + ctx._("/link — use the bot on both Telegram and Slack"))
    lines.append("• " + ctx._("/help — everything the bot can do"))
    return "\n".join(lines)


# The command ----------------------------------------------------------------------------------
_FIELDS = {
    "city": "city",
    "stadt": "city",
    "department": "department",
    "dept": "department",
    "abteilung": "department",
    "amt": "department",
    "sdgs": "sdgs",
    "sdg": "sdgs",
    "ziele": "sdgs",
    "language": "language",
    "sprache": "language",
    "timezone": "timezone",
    "tz": "timezone",
    "zeitzone": "timezone",
    "digest": "digest",
    "deliver": "deliver",
    "zustellung": "deliver",
    "name": "name",
}

USAGE = N_(
    "/profile [city <name> | department <name> | sdgs <n> … | language de|en | "
    "timezone <Area/City> | digest <weekday> <HH:MM>|off | deliver telegram|slack | name <name>]"
)


@router.command(
    "profile",
    help=N_("Show your profile or change one field"),
    usage=USAGE,
    registered=False,
    aliases=("profil",),
)
async def profile(ctx: Context) -> Reply:
    field, _, value = ctx.args.strip().partition(" ")
    value = value.strip()
    if not field:
        sections = await profile_sections(ctx, ctx.participant)
        missing = missing_text(ctx, ctx.participant)
        if missing:
            sections.append(Section(missing))
        else:
            sections.append(
                Section(ctx._("Change a field with /profile <field> <value>, or send /start."))
            )
        return Reply(sections=sections)
    kind = _FIELDS.get(field.casefold())
    if kind is None:
        raise UserError(
            ctx._("I don't know the profile field “{field}”. Usage: {usage}").format(
                field=field, usage=ctx._(USAGE)
            )
        )
    if not value and kind != "digest":
        raise UserError(ctx._("Please add a value. Usage: {usage}").format(usage=ctx._(USAGE)))
    was_registered = ctx.participant.registered
    confirmation = await _SETTERS[kind](ctx, value)
    participant = await ctx.reload()
    sections = [Section(confirmation)]
    if participant.registered and not was_registered:
        sections.append(Section(ctx._("Your profile is complete. Welcome to the network!")))
        sections.append(Section(next_steps_text(ctx)))
    else:
        missing = missing_text(ctx, participant)
        if missing:
            sections.append(Section(missing))
    return Reply(sections=sections)


async def _update(ctx: Context, **values: Any) -> None:
    await ctx.store.participants.update(ctx.participant.id, now=ctx.now(), **values)
    await ctx.reload()


async def _set_city(ctx: Context, value: str) -> str:
    city = await parse_city(ctx, value)
    await _update(ctx, city_id=city.id)
    return ctx._("Saved: your city is now {city}.").format(city=city.name)


async def _set_department(ctx: Context, value: str) -> str:
    key = parse_department(ctx, value)
    await _update(ctx, department=key)
    return ctx._("Saved: your department is now {department}.").format(
        department=ctx.t.department(key)
    )


async def _set_sdgs(ctx: Context, value: str) -> str:
    if value.casefold() in ("none", "keine", "-"):
        chosen: list[int] = []
    else:
        chosen = parse_sdgs(ctx, value)
    await ctx.store.participants.set_sdgs(ctx.participant.id, chosen)
    if not chosen:
        return ctx._("Saved: no SDGs selected.")
    return ctx._("Saved: your SDGs are now {sdgs}.").format(
        sdgs=ctx.t.fmt_list(ctx.t.sdg_label(n) for n in chosen)
    )


async def _set_language(ctx: Context, value: str) -> str:
    language = parse_language(ctx, value)
    await _update(ctx, language=language)  # reload rebinds ctx to the new language
    return ctx._("Saved: I will write to you in English.")


async def _set_timezone(ctx: Context, value: str) -> str:
    if value.casefold() in ("city", "stadt", "default", "standard"):
        await _update(ctx, timezone=None)
        return ctx._("Saved: your timezone is your city's again.")
    tz = parse_timezone(ctx, value)
    await _update(ctx, timezone=tz)
    return ctx._("Saved: your timezone is now {timezone}.").format(timezone=tz)


async def _set_digest(ctx: Context, value: str) -> str:
    tokens = value.split()
    if not tokens:
        raise UserError(
            ctx._("Usage: /profile digest <weekday> <HH:MM>, e.g. /profile digest Monday 08:00, "
                  "or /profile digest off")
        )  # fmt: skip
    if len(tokens) == 1 and tokens[0].casefold() in ("off", "aus", "stop"):
        await _update(ctx, digest_enabled=False)
        return ctx._("Saved: no weekly digest for you. Turn it on again with /profile digest on.")
    values: dict[str, Any] = {"digest_enabled": True}
    if not (len(tokens) == 1 and tokens[0].casefold() in ("on", "an", "ein")):
        if len(tokens) > 2:
            raise UserError(
                ctx._("Usage: /profile digest <weekday> <HH:MM>, e.g. /profile digest Monday 08:00")
            )
        for token in tokens:
            if token[:1].isdigit():
                values["digest_minute"] = parse_time(ctx, token)
            else:
                values["digest_weekday"] = parse_weekday(ctx, token)
    await _update(ctx, **values)
    return ctx._("Saved: your weekly digest comes {when}.").format(
        when=digest_text(ctx, ctx.participant)
    )


async def _set_deliver(ctx: Context, value: str) -> str:
    platform = value.strip().casefold()
    if platform not in ("telegram", "slack"):
        raise UserError(ctx._("Please choose telegram or slack: /profile deliver telegram"))
    identities = await ctx.store.participants.identities(ctx.participant.id)
    if platform not in {i.platform for i in identities}:
        raise UserError(
            ctx._(
                "Your {platform} account is not linked yet. Send /link here and then the code "
                "to the bot on {platform}."
            ).format(platform=PLATFORM_NAMES[platform])
        )
    await _update(ctx, deliver_platform=platform)
    return ctx._("Saved: digests and messages go to {platform}.").format(
        platform=PLATFORM_NAMES[platform]
    )


async def _set_name(ctx: Context, value: str) -> str:
    name = " ".join(value.split())
    if len(name) > NAME_MAX:
        raise UserError(
            ctx._("That name is too long (at most {limit} characters).").format(limit=NAME_MAX)
        )
    await _update(ctx, name=name)
    return ctx._("Saved: your name is now {name}.").format(name=name)


_SETTERS = {
    "city": _set_city,
    "department": _set_department,
    "sdgs": _set_sdgs,
    "language": _set_language,
    "timezone": _set_timezone,
    "digest": _set_digest,
    "deliver": _set_deliver,
    "name": _set_name,
}
