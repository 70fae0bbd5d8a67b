"""/digest: this week's digest now, without marking it sent."""

from __future__ import annotations

from datetime import time, timedelta

from udx_bot.context import Context
from udx_bot.digest import build_digest
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Reply

router = Router()


@router.command(
    "digest",
    help=N_("Show your weekly digest now"),
    aliases=("überblick", "ueberblick"),
)
async def digest(ctx: Context) -> Reply | list[Reply]:
    now = ctx.now()
    replies = await build_digest(
        ctx.services, ctx.participant, since=now - timedelta(days=7), until=now, t=ctx.t
    )
    if replies is None:
        return Reply.text(
            ctx._(
                "Nothing new for you in the past seven days. Your digest arrives every {weekday} "
                "at {time}; change it with /profile digest."
            ).format(
                weekday=ctx.t.weekday(ctx.participant.digest_weekday),
                time=ctx.t.fmt_time(time(*divmod(ctx.participant.digest_minute, 60))),
            )
        )
    for reply in replies:
        reply.ephemeral = True
    return replies
