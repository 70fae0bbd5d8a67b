"""The person's overview: profile basics and shortcuts to the commands that matter first.

Shown as Slack's App Home tab (the adapter asks for it with the button data ``home:`` when the tab
opens, so an answer the bot is waiting for is not cancelled) and, on every platform, as the hidden
command ``/home``. The shortcut buttons carry ``home:cmd:<command>`` and run that command exactly
as if the person had typed it (registration and roles are checked as usual); a shortcut is only
shown when its command exists.

Seam for the features built in parallel: recent notes and best counterparts belong here as
further sections once ``store.notes`` and the matching exist (see :func:`_sections`).
"""

from __future__ import annotations

from udx_bot.context import Context
from udx_bot.i18n import N_
from udx_bot.router import HandlerResult, Router
from udx_bot.types import Button, ButtonStyle, Incoming, Reply, Section

router = Router()

HOME_CALLBACK = "home"
SHOW = f"{HOME_CALLBACK}:"  # the button data that shows the overview
# (command, label) of the shortcuts, in order; each shown only when the command exists.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("start", N_("Set up my profile")),
    ("note", N_("Write a note")),
    ("help", N_("All commands")),
)
_UPDATE_PROFILE = N_("Update my profile")


@router.command("home", registered=False, menu=False)
async def home(ctx: Context) -> Reply:
    return overview(ctx)


@router.callback(HOME_CALLBACK, registered=False)
async def home_button(ctx: Context) -> HandlerResult:
    action, _, command = ctx.args.partition(":")
    if action == "cmd" and command and ctx.services.router.resolve(command) is not None:
        # Exactly as if typed: the router checks registration and roles.
        incoming = Incoming(ctx.actor, text=f"/{command}")
        return await ctx.services.router.dispatch(ctx.services, incoming)
    return overview(ctx)


def overview(ctx: Context) -> Reply:
    buttons = []
    for command, label in SHORTCUTS:
        if ctx.services.router.resolve(command) is None:
            continue
        if command == "start" and ctx.participant.registered:
            label = _UPDATE_PROFILE
        style: ButtonStyle = (
            "primary" if command == "start" and not ctx.participant.registered else "default"
        )
        buttons.append(Button(ctx._(label), f"{HOME_CALLBACK}:cmd:{command}", style))
    return Reply(sections=_sections(ctx), buttons=[buttons] if buttons else [])


def _sections(ctx: Context) -> list[Section]:
    p = ctx.participant
    heading = ctx._("Welcome to the {network}").format(network=ctx.settings.network_name)
    sections = [Section(ctx._("Hello {name}!").format(name=p.name), heading=heading)]
    if not p.registered:
        sections.append(
            Section(
                ctx._(
                    "You have not set up your profile yet. Tell me your city and your department "
                    "and I will connect you with your counterparts in the partner cities."
                ),
                heading=ctx._("Your profile"),
            )
        )
        return sections
    not_set = ctx._("not set")
    city = f"{p.city_name} ({p.country})" if p.city_name and p.country else p.city_name
    sdgs = ctx.t.fmt_list(ctx.t.sdg_label(n) for n in p.sdgs) if p.sdgs else not_set
    lines = [
        ctx._("Name: {name}").format(name=p.name),
        ctx._("City: {city}").format(city=city or not_set),
        ctx._("Department: {department}").format(department=ctx.t.department(p.department)),
        ctx._("Goals: {sdgs}").format(sdgs=sdgs),
    ]
    sections.append(Section("\n".join(lines), heading=ctx._("Your profile")))
    # Seam: recent notes (store.notes) and best counterparts (matching) go here as sections
    # once those features are merged.
    return sections
