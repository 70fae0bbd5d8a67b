"""Getting in: ``/start <code>`` (an invitation; Telegram's link sends exactly that), the request
to join in approval mode (sent when a stranger's profile is complete) and the coordinators'
Approve / Decline (``member:approve|decline:<request id>``). The rules are
udx_bot/usecases/membership.py; this module words them. The coordinators and the person hear
from the bot through the outbox, each in their own language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handlers.counterparts import profile_lines
from storage.participants import Participant
from udx_bot import admission
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_, Translator
from udx_bot.outbox import delivery_identity
from udx_bot.router import Router
from udx_bot.types import Button, Reply, Section
from udx_bot.usecases import membership

log = logging.getLogger(__name__)
router = Router()


class _MemberButton(CallbackData, prefix="member", stale=N_("This request no longer exists.")):
    """A coordinator's answer to a request to join."""


@dataclass(frozen=True)
class MemberApprove(_MemberButton, action="approve"):
    request_id: int


@dataclass(frozen=True)
class MemberDecline(_MemberButton, action="decline"):
    request_id: int


REFUSED = {
    "unknown": N_(
        "That invitation code is not valid. Please check it (letters and digits, as in the "
        "link you got) or ask a coordinator for a new invitation. Nothing was changed."
    ),
    "expired": N_(
        "That invitation has expired. Please ask a coordinator for a new one. Nothing was changed."
    ),
    "used": N_(
        "That invitation has already been used as often as it allows. Please ask a coordinator "
        "for a new one. Nothing was changed."
    ),
    "revoked": N_(
        "That invitation was withdrawn. Please ask a coordinator for a new one. "
        "Nothing was changed."
    ),
}


async def redeem(ctx: Context, code: str) -> Section:
    """``/start <code>``: admit the person, or a UserError saying why not (nothing stored)."""
    if ctx.participant.member:
        return Section(ctx._("You are already a member of the {network}.").format(
            network=ctx.settings.network_name
        ))  # fmt: skip
    try:
        await membership.redeem(ctx.store, code, ctx.participant.id, now=ctx.now())
    except membership.InvitationRefused as refused:
        raise UserError(ctx._(REFUSED[refused.reason])) from None
    await ctx.reload()
    return Section(
        ctx._("Welcome to the {network}! Your invitation is accepted.").format(
            network=ctx.settings.network_name
        )
    )


async def ask_to_join(ctx: Context) -> Section:
    """A stranger in approval mode finished their profile: ask the coordinators."""
    joined = await membership.ask_to_join(ctx.store, ctx.participant, now=ctx.now())
    if joined.created and not joined.deciders:
        log.warning("request to join #%s: no coordinator or admin to ask", joined.request.id)
    for decider in joined.deciders:
        identity = delivery_identity(decider, await ctx.store.participants.identities(decider.id))
        t = ctx.services.translator_for(decider, identity)
        await ctx.services.outbox.send(
            decider,
            [_request_message(t, ctx.participant, joined.request.id)],
            key=f"member:{joined.request.id}:ask:{decider.id}",
            kind="membership",
            ref_id=joined.request.id,
            subjects=(ctx.participant.id,),  # it names them: /forget deletes it
        )
    if joined.request.status == "declined":
        return Section(
            ctx._(
                "Your request to join the {network} was declined. To join, please ask a "
                "coordinator of your city for an invitation, then send /start with its code."
            ).format(network=ctx.settings.network_name)
        )
    if joined.created:
        return Section(
            ctx._(
                "I've asked the coordinators of the {network} to let you in. You'll get a "
                "message as soon as one of them has decided."
            ).format(network=ctx.settings.network_name)
        )
    return Section(
        ctx._(admission.WAITING).format(network=ctx.settings.network_name)
    )  # fmt: skip


def _request_message(t: Translator, person: Participant, request_id: int) -> Reply:
    lines = [
        t._("{name} would like to join the network.").format(name=person.name),
        profile_lines(t, person),
    ]
    return Reply(
        sections=[Section("\n".join(lines), heading=t._("Request to join"))],
        buttons=[
            [
                Button(t._("Approve"), MemberApprove(request_id).pack(), "primary"),
                Button(t._("Decline"), MemberDecline(request_id).pack()),
            ]
        ],
        ephemeral=False,
    )


@router.callback(MemberApprove, registered=False, role="coordinator")
async def approve(ctx: Context, data: MemberApprove) -> Reply:
    return await _decide(ctx, data.request_id, approve=True)


@router.callback(MemberDecline, registered=False, role="coordinator")
async def decline(ctx: Context, data: MemberDecline) -> Reply:
    return await _decide(ctx, data.request_id, approve=False)


async def _decide(ctx: Context, request_id: int, *, approve: bool) -> Reply:
    decision = await membership.decide(
        ctx.store, request_id, approve=approve, decider=ctx.participant, now=ctx.now()
    )
    if decision.outcome == "gone" or decision.person is None or decision.request is None:
        return Reply.notify(ctx._("This request no longer exists."))
    person = decision.person
    if decision.outcome == "already":
        return Reply.notify(
            ctx._("This request was already decided: {name} was {outcome}.").format(
                name=person.name, outcome=_outcome(ctx.t, decision.request.status)
            )
        )
    identity = delivery_identity(person, await ctx.store.participants.identities(person.id))
    t = ctx.services.translator_for(person, identity)
    network = ctx.settings.network_name
    if approve:
        told = t._(
            "Welcome to the {network}! A coordinator approved your request. Send /help to see "
            "what you can do, for example /find for your counterparts."
        ).format(network=network)
    else:
        told = t._(
            "Sorry, your request to join the {network} was declined. If you think this is a "
            "mistake, please ask a coordinator of your city."
        ).format(network=network)
    await ctx.services.outbox.send(
        person,
        [Reply.text(told, heading=t._("Your request to join"))],
        key=f"member:{request_id}:outcome",
        kind="membership",
        ref_id=request_id,
    )
    return Reply.text(
        ctx._("Done: {name} was {outcome}. I've let them know.").format(
            name=person.name, outcome=_outcome(ctx.t, decision.request.status)
        ),
        edit=True,
    )


def _outcome(t: Translator, status: str) -> str:
    return t._("approved") if status == "approved" else t._("declined")
