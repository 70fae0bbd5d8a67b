"""/help and /cancel."""

from __future__ import annotations

from udx_bot import admission
from udx_bot.context import Context
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Reply, Section

router = Router()


@router.command(
    "help",
    help=N_("Show what the bot can do"),
    registered=False,
    aliases=("hilfe",),
    strangers=True,
)
async def help_command(ctx: Context) -> Reply:
    routes = ctx.services.router.menu()
    member = await admission.admitted(ctx)
    lines = []
    for route in sorted(routes, key=lambda r: r.name):
        if not ctx.participant.has_role(route.role) or not (member or route.strangers):
            continue
        usage = ctx._(route.usage) if route.usage else f"/{route.name}"
        lines.append(f"{usage} — {ctx._(route.help)}")
    intro = ctx._(
        "I connect the experts of the {network}: exchange notes between partner cities, "
        "counterparts in your field, and a weekly digest in your language."
    ).format(network=ctx.settings.network_name)
    sections = [Section(intro, heading=ctx._("udx-bot"))]
    sections.append(Section("\n".join(lines), heading=ctx._("Commands")))
    if not member:
        sections.append(Section(await admission.refusal(ctx)))
    elif not ctx.participant.registered:
        sections.append(Section(ctx._("New here? Send /start to set up your profile.")))
    return Reply(sections=sections)


@router.command(
    "cancel", help=N_("Stop what the bot is waiting for"), registered=False, aliases=("abbrechen",)
)
async def cancel(ctx: Context) -> Reply:
    # The router ends any awaited input before running a command, so there is nothing left.
    return Reply.text(ctx._("OK, cancelled. Send /help to see what I can do."))
