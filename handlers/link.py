"""/link: one person, two platforms. ``/link`` gives a one-time code (10 minutes, single use);
``/link CODE`` sent on the other platform joins both identities into one participant (the code
creator's profile wins) who then chooses where digests go (``/profile deliver``)."""

from __future__ import annotations

from storage.linking import LINK_CODE_TTL, LinkError
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Reply, Section

router = Router()


@router.command(
    "link",
    help=N_("Connect your Telegram and Slack accounts into one profile"),
    usage=N_("/link or /link <code>"),
    registered=False,
    aliases=("verbinden",),
)
async def link(ctx: Context) -> Reply:
    code = ctx.args.strip()
    if not code:
        return await _new_code(ctx)
    if len(code.split()) > 1:
        raise UserError(ctx._("Send the code on its own, for example: /link K7M2QX"))
    return await _redeem(ctx, code)


async def _new_code(ctx: Context) -> Reply:
    created = await ctx.store.links.create_link_code(ctx.participant.id, now=ctx.now())
    minutes = int(LINK_CODE_TTL.total_seconds() // 60)
    return Reply(
        sections=[
            Section(
                ctx.ngettext(
                    "Your code is {code}. Within {minutes} minute, send /link {code} to the bot "
                    "on your other platform (Telegram or Slack). It works once.",
                    "Your code is {code}. Within {minutes} minutes, send /link {code} to the bot "
                    "on your other platform (Telegram or Slack). It works once.",
                    minutes,
                ).format(code=created.code, minutes=minutes),
                heading=ctx._("Link your accounts"),
            ),
            Section(
                ctx._("The code is valid until {time}.").format(
                    time=ctx.t.fmt_time(created.expires_at)
                )
            ),
        ]
    )


async def _redeem(ctx: Context, code: str) -> Reply:
    try:
        joined = await ctx.store.links.redeem_link_code(code, ctx.participant.id, now=ctx.now())
    except LinkError as error:
        if error.reason == "own":
            raise UserError(
                ctx._(
                    "That is the code you created here. Send /link {code} to the bot on your "
                    "other platform."
                ).format(code=code.upper())
            ) from None
        if error.reason == "same_platform":
            raise UserError(
                ctx._(
                    "Both accounts are on {platform}. You can link one Telegram and one Slack "
                    "account."
                ).format(platform=ctx.t.platform(error.platform))
            ) from None
        raise UserError(
            ctx._(
                "The code {code} is unknown, used or expired. Send /link on your other "
                "platform for a new one."
            ).format(code=code.upper())
        ) from None
    # The person is now the joined participant (the one behind the code).
    ctx.participant = joined
    ctx.t = ctx.services.translator_for(joined, ctx.actor)
    identities = await ctx.store.participants.identities(joined.id)
    names = ctx.t.fmt_list(ctx.t.platform(i.platform) for i in identities)
    sections = [
        Section(
            ctx._("Linked: your accounts on {platforms} are now one profile.").format(
                platforms=names
            )
        ),
        Section(
            ctx._(
                "Choose where digests and messages go with /profile deliver telegram or "
                "/profile deliver slack."
            )
        ),
    ]
    if not joined.registered:
        sections.append(Section(ctx._("Your profile is not set up yet: send /start.")))
    return Reply(sections=sections)
