"""/profile: show the profile, and set each field in one line (for people who prefer typing and for
Slack's slash command). Parsing each field is in fields.py (shared with the /start wizard),
showing the profile in view.py.

    /profile                          the profile
    /profile city <name>              /profile department <name>
    /profile sdgs <n> [<n> …]         /profile language de|en
    /profile timezone <Area/City>     /profile digest <weekday> <HH:MM> | off | on
    /profile deliver telegram|slack   /profile name <name>
    /profile hours 08:00-16:00        (working hours for meeting times)
    /profile pause 4w | off           (no introductions or follow-ups meanwhile)
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

from handlers.profile.fields import (
    NAME_MAX,
    TIME_SUFFIX_RE,
    parse_city,
    parse_department,
    parse_language,
    parse_sdgs,
    parse_time,
    parse_timezone,
    parse_weekday,
)
from handlers.profile.view import digest_text, missing_text, next_steps_text, profile_sections
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.reports.anonymity import colleague
from udx_bot.router import Router
from udx_bot.types import Reply, Section

router = Router()

# The command ----------------------------------------------------------------------------------
_FIELDS = {
    "city": "city",
    "stadt": "city",
    "department": "department",
    "dept": "department",
    "abteilung": "department",
    "amt": "department",
    "fachbereich": "department",
    "sdgs": "sdgs",
    "sdg": "sdgs",
    "ziele": "sdgs",
    "language": "language",
    "sprache": "language",
    "timezone": "timezone",
    "tz": "timezone",
    "zeitzone": "timezone",
    "digest": "digest",
    "überblick": "digest",
    "ueberblick": "digest",
    "wochenüberblick": "digest",
    "wochenueberblick": "digest",
    "deliver": "deliver",
    "zustellung": "deliver",
    "name": "name",
    "anonymous": "anonymous",
    "anonym": "anonymous",
    "hours": "hours",
    "pause": "pause",
    "pausieren": "pause",
    "arbeitszeit": "hours",
    "arbeitszeiten": "hours",
    "translate": "translate",
    "translation": "translate",
    "übersetzen": "translate",
    "uebersetzen": "translate",
    "übersetzung": "translate",
    "uebersetzung": "translate",
}

USAGE = N_(
    "/profile [city <name> | department <name> | sdgs <n> … | language de|en | "
    "timezone <Area/City> | digest <weekday> <HH:MM>|off | deliver telegram|slack | name <name> | "
    "anonymous on|off | hours <HH:MM>-<HH:MM> | pause <weeks>w|off | translate on|off]"
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
    return ctx._("Saved: your city is now {city}.").format(city=ctx.t.city(city.name))


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
    tokens = TIME_SUFFIX_RE.sub(r"\1\2", value).split()
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
            ).format(platform=ctx.t.platform(platform))
        )
    await _update(ctx, deliver_platform=platform)
    return ctx._("Saved: digests and messages go to {platform}.").format(
        platform=ctx.t.platform(platform)
    )


async def _set_name(ctx: Context, value: str) -> str:
    name = " ".join(value.split())
    if len(name) > NAME_MAX:
        raise UserError(
            ctx._("That name is too long (at most {limit} characters).").format(limit=NAME_MAX)
        )
    await _update(ctx, name=name)
    return ctx._("Saved: your name is now {name}.").format(name=name)


async def _set_anonymous(ctx: Context, value: str) -> str:
    choice = value.casefold()
    if choice not in ("on", "an", "ein", "off", "aus"):
        raise UserError(ctx._("Usage: /profile anonymous on|off"))
    anonymous = choice in ("on", "an", "ein")
    await _update(ctx, anonymous=anonymous)
    if anonymous:
        return ctx._(
            "Saved: coordinators' exports and reports show you as {colleague}, never by name."
        ).format(colleague=colleague(ctx.t, ctx.participant.city_name, ctx.participant.department))
    return ctx._("Saved: coordinators' exports show your name again.")


async def _set_hours(ctx: Context, value: str) -> str:
    """Working hours for meeting times (udx_bot/meeting_slots.py): "08:00-16:00"."""
    start_text, dash, end_text = value.replace("–", "-").partition("-")
    usage = ctx._(
        "Usage: /profile hours <from>-<to>, e.g. /profile hours 08:00-16:00 (your local time)."
    )
    if not dash:
        raise UserError(usage)
    start, end = parse_time(ctx, start_text), parse_time(ctx, end_text)
    if end - start < MIN_WORK_MINUTES:
        raise UserError(
            ctx._(
                "Your working hours must end at least an hour after they start, on the same "
                "day (you gave {start} to {end})."
            ).format(start=start_text.strip(), end=end_text.strip())
        )
    await _update(ctx, work_start=start, work_end=end)
    return ctx._("Saved: I propose meeting times between {start} and {end} your time.").format(
        start=ctx.t.fmt_time(time(start // 60, start % 60)),
        end=ctx.t.fmt_time(time(end // 60, end % 60)),
    )


MIN_WORK_MINUTES = 60
MAX_PAUSE_WEEKS = 52
_PAUSE_RE = re.compile(r"^(\d{1,3})\s*(w|wk|wks|weeks?|wochen?|d|t|days?|tage?)$")


async def _set_pause(ctx: Context, value: str) -> str:
    """ "4w", "10d" / "10 Tage", or "off": no introduction requests or follow-ups meanwhile."""
    choice = value.strip().casefold()
    if choice in ("off", "aus", "ende", "end"):
        await _update(ctx, paused_until=None)
        return ctx._("Saved: you are no longer paused; introductions and follow-ups resume.")
    m = _PAUSE_RE.match(choice)
    days = int(m.group(1)) * (7 if m.group(2)[0] == "w" else 1) if m else 0
    if not 1 <= days <= MAX_PAUSE_WEEKS * 7:
        raise UserError(
            ctx._(
                "Usage: /profile pause <weeks>w (or <days>d), at most {weeks} weeks, e.g. "
                "/profile pause 4w; /profile pause off ends it."
            ).format(weeks=MAX_PAUSE_WEEKS)
        )
    until = ctx.now() + timedelta(days=days)
    await _update(ctx, paused_until=until)
    return ctx._(
        "Saved: paused until {date}. Nobody can ask to be introduced to you, and there are no "
        "follow-ups until then; /find lists you last. /profile pause off ends it."
    ).format(date=ctx.t.fmt_date(until))


async def _set_translate(ctx: Context, value: str) -> str:
    choice = value.casefold()
    if choice not in ("on", "an", "ein", "off", "aus"):
        raise UserError(ctx._("Usage: /profile translate on|off"))
    translate = choice in ("on", "an", "ein")
    await _update(ctx, translate=translate)
    if translate:
        return ctx._(
            "Saved: notes written in the other language are shown to you machine-translated, "
            "with a button for the original."
        )
    return ctx._("Saved: notes are shown to you as their authors wrote them.")


_SETTERS = {
    "city": _set_city,
    "department": _set_department,
    "sdgs": _set_sdgs,
    "language": _set_language,
    "timezone": _set_timezone,
    "digest": _set_digest,
    "deliver": _set_deliver,
    "name": _set_name,
    "anonymous": _set_anonymous,
    "hours": _set_hours,
    "pause": _set_pause,
    "translate": _set_translate,
}
