"""Inviting people and removing them (coordinators and admins; /remove for admins):

    /invite [#City] [uses] [days]   an invitation (any city, 1 use, 14 days): a Telegram link
                                    and the code for Slack (``/udx start CODE``)
    /invite list                    the latest invitations, numbered, with their state
    /invite revoke <n>              withdraw invitation n
    /remove <n>                     end the membership of person n (the number /find shows)

The rules are udx_bot/usecases/membership.py; the same acts from the command line are
``udx-bot invite`` and ``udx-bot remove`` (udx_bot/cli/members.py).
"""

from __future__ import annotations

from storage.membership import Invitation
from udx_bot.context import Context, UserError
from udx_bot.filters import Grammar, parse
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.typed import typed_number
from udx_bot.types import Reply, Section
from udx_bot.usecases import membership

router = Router()

USAGE = N_("/invite [#City] [uses] [days]")
INVITE = Grammar(usage=USAGE, leading=True, bare_numbers=False)
LIST_WORDS = ("list", "liste")
REVOKE_WORDS = ("revoke", "widerrufen")


@router.command(
    "invite",
    help=N_("Invite someone to the network (a link and a code)"),
    usage=USAGE,
    role="coordinator",
    registered=False,
    aliases=("einladen",),
)
async def invite(ctx: Context) -> Reply:
    first, _, rest = ctx.args.strip().partition(" ")
    if first.casefold() in LIST_WORDS and not rest.strip():
        return await _list(ctx)
    if first.casefold() in REVOKE_WORDS:
        return await _revoke(ctx, rest.strip())
    return await _create(ctx)


async def _create(ctx: Context) -> Reply:
    found = parse(ctx.args, ctx.t, await ctx.store.cities.all(), INVITE)
    wrong = found.filter.sdgs or found.filter.departments or len(found.filter.city_ids) > 1
    numbers = found.rest.split()
    if wrong or len(numbers) > 2 or any(typed_number(n) is None for n in numbers):
        raise UserError(
            ctx._(
                "Please write it like this: {usage} — for example /invite #Krefeld 3 30 "
                "(3 people, 30 days)."
            ).format(usage=ctx._(USAGE))
        )
    uses = int(numbers[0]) if numbers else membership.DEFAULT_USES
    days = int(numbers[1]) if len(numbers) > 1 else membership.DEFAULT_DAYS
    try:
        [made] = await membership.create(
            ctx.store,
            now=ctx.now(),
            city_id=found.filter.city_id,
            uses=uses,
            days=days,
            created_by=ctx.participant.id,
        )
    except membership.BadInvitation as bad:
        if bad.which == "uses":
            message = ctx._("An invitation admits 1 to {most} people.")
            raise UserError(message.format(most=membership.MAX_USES)) from None
        message = ctx._("An invitation is valid for 1 to {most} days.")
        raise UserError(message.format(most=membership.MAX_DAYS)) from None
    return Reply(sections=_new_sections(ctx, made))


def _new_sections(ctx: Context, made: membership.NewInvitation) -> list[Section]:
    invitation = made.invitation
    bot = ctx.settings.telegram_bot_username or ctx.services.bot_names.get("telegram")
    link = membership.telegram_link(bot, made.code)
    lines = [_summary(ctx, invitation)]
    if link:
        lines.append(ctx._("Telegram: {link}").format(link=link))
    lines.append(
        ctx._("Slack or any chat: send /start {code} (in Slack: /udx start {code})").format(
            code=made.code
        )
    )
    return [
        Section("\n".join(lines), heading=ctx._("Invitation #{n}").format(n=invitation.id)),
        Section(ctx._("Pass it on personally: whoever has the code can join.")),
    ]


def _summary(ctx: Context, invitation: Invitation) -> str:
    city = ctx.t.city(invitation.city_name) or ctx._("any city")
    people = ctx.ngettext("{n} person", "{n} people", invitation.uses).format(n=invitation.uses)
    return ctx._("For {people}, {city}, valid until {date}.").format(
        people=people, city=city, date=ctx.t.fmt_date(invitation.expires_at)
    )


_STATES = {
    "active": N_("{used} of {uses} used"),
    "used": N_("used up"),
    "expired": N_("expired"),
    "revoked": N_("withdrawn"),
}


async def _list(ctx: Context) -> Reply:
    found = await ctx.store.membership.invitations()
    if not found:
        return Reply.text(ctx._("No invitations yet. Send /invite to make one."))
    lines = []
    for invitation in found:
        state = ctx._(_STATES[invitation.state(ctx.now())]).format(
            used=invitation.used, uses=invitation.uses
        )
        lines.append(f"#{invitation.id} · {_summary(ctx, invitation)} · {state}")
    return Reply(
        sections=[
            Section("\n".join(lines), heading=ctx._("Invitations")),
            Section(ctx._("Withdraw one with /invite revoke <number>.")),
        ]
    )


async def _revoke(ctx: Context, typed: str) -> Reply:
    number = typed_number(typed)
    found = await ctx.store.membership.invitation(number) if number is not None else None
    if number is None or found is None:
        raise UserError(
            ctx._("There is no invitation with that number. Send /invite list to see them.")
        )
    if found.revoked_at is not None:
        return Reply.text(ctx._("Invitation #{n} was already withdrawn.").format(n=found.id))
    await ctx.store.membership.revoke(found.id, now=ctx.now())
    return Reply.text(
        ctx._("Invitation #{n} is withdrawn: its code admits nobody any more.").format(n=found.id)
    )


@router.command(
    "remove",
    help=N_("Remove someone from the network"),
    usage=N_("/remove <number>"),
    role="admin",
    registered=False,
    aliases=("entfernen",),
)
async def remove(ctx: Context) -> Reply:
    number = typed_number(ctx.args)
    person = await ctx.store.participants.get(number) if number is not None else None
    if number is None or person is None or person.is_demo:
        raise UserError(ctx._("Please give the number of a person from /find, e.g. /remove 42."))
    if person.id == ctx.participant.id:
        raise UserError(ctx._("You can't remove yourself."))
    if not await membership.remove(ctx.store, person.id, now=ctx.now()):
        return Reply.text(
            ctx._("{name} is not a member; nothing changed.").format(name=person.name)
        )
    return Reply.text(
        ctx._("{name} is no longer a member: from now on they can only use /start, /help, "
              "/mydata and /forget.").format(name=person.name)
    )  # fmt: skip
