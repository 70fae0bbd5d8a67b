"""/intro list (the person's open requests, sent and received, with their age) and
/intro cancel <n> (withdraw one sent: it disappears for the counterpart too, and a request
message still queued for them is not sent).

Buttons: :class:`IntroWithdraw` (``meet:withdraw:<introduction id>``) beside each request sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.introductions import Introduction
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.typed import shorten, typed_number
from udx_bot.types import Button, Reply, Section

router = Router()

MAX_BUTTONS = 5  # withdraw buttons under one listing


@dataclass(frozen=True)
class IntroWithdraw(
    CallbackData, prefix="meet", action="withdraw", stale=N_("This request no longer exists.")
):
    introduction_id: int


def _age(ctx: Context, intro: Introduction) -> str:
    return ctx.t.fmt_ago(ctx.now() - intro.created_at)


async def intro_list(ctx: Context) -> Reply:
    me = ctx.participant.id
    found = await ctx.store.introductions.open_involving(me, ctx.now())
    if not found:
        return Reply.text(
            ctx._("You have no open introduction requests. Send /find to meet counterparts.")
        )
    sent = [(intro, name) for intro, name in found if intro.requester_id == me]
    received = [(intro, name) for intro, name in found if intro.requester_id != me]
    sections = []
    if sent:
        lines = [
            ctx._("#{n} · to {name} · asked {age} · /intro cancel {n}").format(
                n=intro.id, name=name, age=_age(ctx, intro)
            )
            for intro, name in sent
        ]
        sections.append(Section("\n".join(lines), heading=ctx._("Requests you sent")))
    if received:
        lines = [
            ctx._("#{n} · from {name} · asked {age}").format(
                n=intro.id, name=name, age=_age(ctx, intro)
            )
            for intro, name in received
        ]
        lines.append(ctx._("Answer them with the buttons under their request."))
        sections.append(Section("\n".join(lines), heading=ctx._("Requests to you")))
    buttons = [
        [
            Button(
                ctx._("Withdraw #{n} ({name})").format(n=intro.id, name=shorten(name, 24)),
                IntroWithdraw(intro.id).pack(),
            )
        ]
        for intro, name in sent[:MAX_BUTTONS]
    ]
    return Reply(sections=sections, buttons=buttons)


async def intro_cancel(ctx: Context, args: str) -> Reply:
    number = typed_number(args)
    if number is None:
        raise UserError(
            ctx._("Which request? Send /intro cancel <number>; /intro list shows the numbers.")
        )
    return await withdraw(ctx, number)


async def withdraw(ctx: Context, intro_id: int, *, edit: bool = False) -> Reply:
    now = ctx.now()
    intro = await ctx.store.introductions.get(intro_id, now)
    mine = intro is not None and intro.requester_id == ctx.participant.id
    if intro is None or not mine or intro.status != "open":
        raise UserError(
            ctx._(
                "You have no open request with the number {n}. Send /intro list to see yours."
            ).format(n=intro_id)
        )
    target = await ctx.store.participants.get(intro.target_id)
    if not await ctx.store.introductions.withdraw(intro.id, ctx.participant.id, now):
        raise UserError(ctx._("That request was answered or expired in the meantime."))
    return Reply.text(
        ctx._("Withdrawn: your request to {name}. It is gone for them too.").format(
            name=target.name if target else "?"
        ),
        edit=edit,
    )


@router.callback(IntroWithdraw)
async def withdraw_button(ctx: Context, data: IntroWithdraw) -> Reply:
    return await withdraw(ctx, data.introduction_id)
