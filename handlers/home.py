"""The person's overview: profile basics and shortcuts to the commands that matter first.

Shown as Slack's App Home tab (the adapter asks for it with the button data :data:`SHOW` when the
tab opens, so an answer the bot is waiting for is not cancelled) and, on every platform, as the
hidden command ``/home``. The shortcut buttons (:class:`Shortcut`, ``home:cmd:<command>``) run
that command exactly as if the person had typed it (registration and roles are checked as usual);
a shortcut is only shown when its command exists.

For a registered person it shows the profile (as /profile does), their three latest notes (as
/notes lists them) and their three best counterparts (as /find ranks them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from handlers.counterparts import counterpart_entry
from handlers.notes.browsing import note_entry
from handlers.profile.view import profile_sections
from storage.notes import NoteFilter
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context
from udx_bot.i18n import N_
from udx_bot.matching import counterpart_query
from udx_bot.router import HandlerResult, Router
from udx_bot.types import HOME_CALLBACK, Button, ButtonStyle, Incoming, Reply, Section

router = Router()


@dataclass(frozen=True)
class Overview(CallbackData, prefix=HOME_CALLBACK):
    """Show the overview (Slack's App Home tab opening)."""


@dataclass(frozen=True)
class Shortcut(CallbackData, prefix=HOME_CALLBACK, action="cmd"):
    """Run ``command`` as if typed."""

    command: str


SHOW = Overview().pack()  # the data that shows the overview
# (command, label) of the shortcuts, in order; each shown only when the command exists.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("start", N_("Set up my profile")),
    ("note", N_("Write a note")),
    ("help", N_("All commands")),
)
_UPDATE_PROFILE = N_("Update my profile")


HOME_NOTES = 3
HOME_COUNTERPARTS = 3


@router.command("home", registered=False, menu=False)
async def home(ctx: Context) -> Reply:
    return await overview(ctx)


@router.callback(Overview, registered=False)
async def show(ctx: Context, _data: Overview) -> Reply:
    return await overview(ctx)


@router.callback(Shortcut, registered=False)
async def shortcut(ctx: Context, data: Shortcut) -> HandlerResult:
    command = data.command
    if command and ctx.services.router.resolve(command) is not None:
        # Exactly as if typed: the router checks registration and roles.
        incoming = Incoming(ctx.actor, text=f"/{command}")
        return await ctx.services.router.dispatch(ctx.services, incoming)
    return await overview(ctx)


async def overview(ctx: Context) -> Reply:
    buttons = []
    for command, label in SHORTCUTS:
        if ctx.services.router.resolve(command) is None:
            continue
        if command == "start" and ctx.participant.registered:
            label = _UPDATE_PROFILE
        style: ButtonStyle = (
            "primary" if command == "start" and not ctx.participant.registered else "default"
        )
        buttons.append(Button(ctx._(label), Shortcut(command).pack(), style))
    return Reply(sections=await _sections(ctx), buttons=[buttons] if buttons else [])


async def _sections(ctx: Context) -> list[Section]:
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
    sections.extend(await profile_sections(ctx, p))
    mine = await ctx.store.notes.latest(NoteFilter(author_id=p.id), limit=HOME_NOTES)
    sections.append(Section(
        ctx._("Share what your department learned with /note.") if not mine else
        ctx._("All notes: /notes"),
        heading=ctx._("Your recent notes"),
    ))  # fmt: skip
    sections.extend(note_entry(ctx, note) for note in mine)
    query = replace(counterpart_query(p), paused_at=ctx.now())  # paused last
    best = await ctx.store.counterparts.rank(query, page_size=HOME_COUNTERPARTS)
    sections.append(Section(
        ctx._("More, and introductions: /find") if best.items else
        ctx._("Nobody matches you yet; try /find with other words."),
        heading=ctx._("Your best counterparts"),
    ))  # fmt: skip
    sections.extend(counterpart_entry(ctx, item) for item in best.items)
    return sections
