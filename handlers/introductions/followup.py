"""The answers to "Did you meet?" (asked by udx_bot/usecases/meetings.py): Yes, Not yet (asked
once more a week later) or Not a fit (remembered: the pair is never suggested again; the next
best counterpart is offered instead)."""

from __future__ import annotations

from udx_bot.context import Context
from udx_bot.router import Router
from udx_bot.types import Reply
from udx_bot.usecases.introductions import suggestion
from udx_bot.usecases.meetings import ROUNDS, MeetDid

router = Router()


@router.callback(MeetDid)
async def did_pressed(ctx: Context, data: MeetDid) -> Reply:
    me, now = ctx.participant, ctx.now()
    intro = await ctx.store.introductions.get(data.introduction_id, now)
    if (
        intro is None
        or intro.status != "accepted"
        or me.id
        not in (
            intro.requester_id,
            intro.target_id,
        )
    ):
        return Reply.notify(ctx._("This request no longer exists."))
    other_id = intro.target_id if intro.requester_id == me.id else intro.requester_id
    other = await ctx.store.participants.get(other_id)
    if other is None:
        return Reply.notify(ctx._("This request no longer exists."))
    if not await ctx.store.meetings.answer(intro.id, me.id, data.round, data.outcome, now):
        return Reply.notify(ctx._("You have already answered this question."))
    if data.outcome == "met":
        return Reply.text(
            ctx._("Wonderful, thank you for telling me. I hope the exchange with {name} goes on.")
            .format(name=other.name),
            edit=True,
        )  # fmt: skip
    if data.outcome == "not_yet":
        if data.round < ROUNDS:
            text = ctx._("No problem. I'll ask again in a week. /meet {n} proposes times.")
        else:
            text = ctx._("Thank you. I won't ask again; /meet {n} proposes times any time.")
        return Reply.text(text.format(n=intro.id), edit=True)
    lines = [
        ctx._("Thank you for saying so. I won't suggest {name} to you again.").format(
            name=other.name
        )
    ]
    better = await suggestion(ctx.services, me, now, exclude={other.id})
    if better is not None:
        place = ", ".join(x for x in (better.city_name, ctx.t.department(better.department)) if x)
        lines.append(
            ctx._("You could ask {name} ({place}) instead: /intro {number}").format(
                name=better.name, place=place, number=better.id
            )
        )
    else:
        lines.append(ctx._("Send /find to see other counterparts."))
    return Reply.text("\n".join(lines), edit=True)
