"""Showing a profile: its sections, what is still missing, and what to try next."""

from __future__ import annotations

from datetime import time

from handlers.profile.fields import LANGUAGE_NAMES, NEXT_COMMANDS
from storage.participants import Participant
from udx_bot.context import Context
from udx_bot.reports.anonymity import colleague
from udx_bot.types import Section


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
    city = (
        f"{ctx.t.city(participant.city_name)} ({participant.country})"
        if participant.city_name
        else unset
    )
    sdgs = (
        "\n".join(f"  • {ctx.t.sdg_label(n)}" for n in participant.sdgs)
        if participant.sdgs
        else unset
    )
    language = LANGUAGE_NAMES[participant.language] if participant.language else ctx._("automatic")
    tz = participant.effective_timezone or ctx.settings.default_timezone
    if participant.timezone:
        timezone = tz
    elif participant.city_id is not None:
        timezone = ctx._("{timezone} (your city's)").format(timezone=tz)
    else:
        timezone = ctx._("{timezone} (until you set your city)").format(timezone=tz)
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
            value=ctx.t.fmt_list(ctx.t.platform(i.platform) for i in identities)
        ),
    ]
    platforms = {i.platform for i in identities}
    if len(platforms) > 1:
        chosen = participant.deliver_platform or identities[0].platform
        lines.append(ctx._("Digests go to: {value}").format(value=ctx.t.platform(chosen)))
    if participant.anonymous:
        lines.append(
            ctx._("In exports: {value}").format(
                value=colleague(ctx.t, participant.city_name, participant.department)
            )
        )
    if participant.work_start is not None and participant.work_end is not None:
        start, end = participant.work_start, participant.work_end
        lines.append(
            ctx._("Working hours: {start}–{end}").format(
                start=ctx.t.fmt_time(time(start // 60, start % 60)),
                end=ctx.t.fmt_time(time(end // 60, end % 60)),
            )
        )
    if participant.paused(ctx.now()) and participant.paused_until is not None:
        lines.append(
            ctx._("Paused until {date}").format(date=ctx.t.fmt_date(participant.paused_until))
        )
    if not participant.translate:
        lines.append(ctx._("Notes in the other language: shown as written (not translated)"))
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
    if len(missing) == 2:
        return ctx._(
            "Still missing: {fields}. Send /start, or set them with /profile city <name> and "
            "/profile department <name>."
        ).format(fields=ctx.t.fmt_list(missing))
    if participant.city_id is None:
        return ctx._("Still missing: your city. Send /start, or set it with /profile city <name>.")
    return ctx._(
        "Still missing: your department. Send /start, or set it with /profile department <name>."
    )


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
