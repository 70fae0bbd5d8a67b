"""Introductions with consent: "Introduce me" (or /intro <number>) asks the counterpart, on their
own platform and in their own language, to Accept or Decline. Contact details are shared only
after Accept; a decline is passed on kindly; unanswered requests expire after 14 days.

After Accept both get "Find a time" (meet.py); a week later "Did you meet?" (followup.py).

Buttons: :class:`~handlers.counterparts.IntroRequest` (under a /find entry), :class:`MeetAccept`
and :class:`MeetDecline` (``meet:accept|decline:<introduction id>``; buttons sent before read
``meet:a|d:…``). Replies to the person pressing come back directly; the other person hears from
the bot through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from handlers.counterparts import IntroRequest, profile_lines
from handlers.introductions import followup as followup  # its router: handlers/__init__.py
from handlers.introductions import manage, meet
from handlers.introductions import outcome as outcome  # its router: handlers/__init__.py
from storage.introductions import (
    MAX_OPEN,
    AlreadyRequested,
    Introduction,
    TooManyOpen,
)
from storage.participants import Identity, Participant
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_, Translator
from udx_bot.outbox import delivery_identity
from udx_bot.router import Router
from udx_bot.typed import is_row_id, typed_number
from udx_bot.types import Button, Contact, Reply, Section

router = Router()


class MeetButton(CallbackData, prefix="meet", stale=N_("This request no longer exists.")):
    """The answers to an introduction request."""


@dataclass(frozen=True)
class MeetAccept(MeetButton, action="accept", old=("a",)):
    introduction_id: int


@dataclass(frozen=True)
class MeetDecline(MeetButton, action="decline", old=("d",)):
    introduction_id: int


@dataclass(frozen=True)
class MeetAsk(MeetButton, action="ask"):
    """ "Send request" under the confirmation of "Introduce me" / ``/intro <number>``."""

    participant_id: int


@dataclass(frozen=True)
class MeetNotNow(MeetButton, action="keep"):
    """ "Not now" under that confirmation: nothing is sent."""

    participant_id: int


MAX_PERSONAL = 300  # characters of the personal message sent with a request


def contacts(t: Translator, person: Participant, identities: list[Identity]) -> tuple[Contact, ...]:
    """How to reach ``person`` on each platform they use; their console name only when they
    use nothing else (the demo's console people). The platform is named in ``t``'s language
    (the reader's): "Konsole" / "Console"."""
    found = tuple(
        Contact(i.platform, i.user_id, person.name, i.username, t.platform(i.platform))
        for i in identities
        if i.platform in ("telegram", "slack")
    )
    console = tuple(
        Contact(i.platform, i.user_id, person.name, None, t.platform(i.platform))
        for i in identities
        if i.platform == "console"
    )
    return found or console


def suggested_message(t: Translator, writer: Participant, other: Participant) -> str:
    """A first message ``writer`` could send ``other``, in ``t``'s language."""
    shared = [n for n in writer.sdgs if n in other.sdgs]
    topic = t.sdg(shared[0]) if shared else t.department(other.department)
    return t._(
        "Hello {name}, the Urban Diplomacy Exchange bot introduced us. I work in {department} "
        "in {city} and would like to hear how you approach {topic}. "
        "Would you have time for a short call in the coming weeks?"
    ).format(
        name=other.name,
        department=t.department(writer.department),
        city=t.city(writer.city_name),
        topic=topic,
    )


async def _target(ctx: Context, target_id: int) -> tuple[Participant, Identity]:
    """The person to introduce the reader to, or a UserError saying why not."""
    if target_id == ctx.participant.id:
        raise UserError(ctx._("That's you! Pick someone else from /find."))
    target = await ctx.store.participants.get(target_id) if is_row_id(target_id) else None
    if target is None:
        raise UserError(
            ctx._(
                "There is no one with the number {number}. Send /find to see the numbers."
            ).format(number=target_id)
        )
    if target.is_demo:
        raise UserError(
            ctx._(
                "{name} is a demo profile that shows how the network works; demo people "
                "can't be contacted. Send /find to see real counterparts."
            ).format(name=target.name)
        )
    if not target.registered:
        raise UserError(
            ctx._(
                "{name} has not (or no longer) registered with the network, so I can't "
                "introduce you."
            ).format(name=target.name)
        )
    if not target.member:  # strangers and removed people are not listed by /find either
        raise UserError(
            ctx._(
                "There is no one with the number {number}. Send /find to see the numbers."
            ).format(number=target_id)
        )
    if target.paused(ctx.now()) and target.paused_until is not None:
        raise UserError(
            ctx._(
                "{name} has paused introductions until {date}. Send /find for other "
                "counterparts, or ask again then."
            ).format(name=target.name, date=ctx.t.fmt_date(target.paused_until))
        )
    identity = delivery_identity(target, await ctx.store.participants.identities(target.id))
    if identity is None:
        raise UserError(
            ctx._("I can't reach {name} on any platform at the moment, sorry.").format(
                name=target.name
            )
        )
    return target, identity


def _answer_buttons(t: Translator, intro_id: int) -> list[list[Button]]:
    return [
        [
            Button(t._("Accept"), MeetAccept(intro_id).pack(), "primary"),
            Button(t._("Decline"), MeetDecline(intro_id).pack()),
        ]
    ]


def _request_message(
    t: Translator,
    requester: Participant,
    target: Participant,
    intro: Introduction,
    personal: str = "",
) -> Reply:
    lines = [
        t._("{name} would like to be introduced to you.").format(name=requester.name),
        profile_lines(t, requester),
    ]
    if requester.sdgs:
        lines.append(
            t._("Works on: {goals}").format(
                goals=t.fmt_list(t.sdg_label(n) for n in requester.sdgs)
            )
        )
    if personal:
        lines.append(t._("Their message: “{message}”").format(message=personal))
    lines.append("")
    lines.append(
        t._(
            "If you accept, you both get each other's contact. If you decline, {name} is told "
            "kindly and sees nothing of yours. The request expires on {date}."
        ).format(name=requester.name, date=t.fmt_date(intro.expires_at()))
    )
    return Reply(
        sections=[Section("\n".join(lines), heading=t._("Introduction request"))],
        buttons=_answer_buttons(t, intro.id),
        ephemeral=False,
    )


async def confirm_introduction(ctx: Context, target_id: int) -> Reply:
    """ "Introduce me" asks first: a button pressed by mistake (or a number typed in the
    console, which presses the button of that number) sends nothing."""
    target, _ = await _target(ctx, target_id)
    question = ctx._(
        "Ask {name} ({place}) whether they'd like to be introduced? They will see your name, "
        "city, department and SDGs, and can accept or decline."
    ).format(name=target.name, place=profile_lines(ctx.t, target))
    personal = ctx._(
        "To add a short personal message, send /intro {number} <your message> instead."
    ).format(number=target.id)
    return Reply(
        sections=[Section(f"{question}\n\n{personal}")],
        buttons=[
            [
                Button(ctx._("Send request"), MeetAsk(target.id).pack(), "primary"),
                Button(ctx._("Not now"), MeetNotNow(target.id).pack()),
            ]
        ],
    )


async def request_introduction(ctx: Context, target_id: int, personal: str = "") -> Reply:
    target, identity = await _target(ctx, target_id)
    me = ctx.participant
    now = ctx.now()
    # They asked first: answering is the quickest way to meet.
    for earlier in await ctx.store.introductions.between(me.id, target.id, now):
        if earlier.requester_id == target.id and earlier.status == "open":
            return Reply.text(
                ctx._("{name} has already asked to be introduced to you. Accept?").format(
                    name=target.name
                ),
                buttons=_answer_buttons(ctx.t, earlier.id),
            )
        if earlier.status == "accepted":
            return await _already_connected(ctx, target)
    try:
        intro = await ctx.store.introductions.request(me.id, target.id, now)
    except AlreadyRequested as error:
        if error.existing.status == "open":
            raise UserError(
                ctx._(
                    "You have already asked {name}; their answer is still open (until {date})."
                ).format(name=target.name, date=ctx.t.fmt_date(error.existing.expires_at()))
            ) from None
        raise UserError(
            ctx._(
                "You asked {name} before and they could not take it on. "
                "Send /find for other counterparts."
            ).format(name=target.name)
        ) from None
    except TooManyOpen:
        raise UserError(
            ctx.ngettext(
                "You already have {count} open request. Please wait for an answer first.",
                "You already have {count} open requests. Please wait for answers first "
                "(they expire after 14 days).",
                MAX_OPEN,
            ).format(count=MAX_OPEN)
        ) from None
    t = ctx.services.translator_for(target, identity)
    await ctx.services.outbox.send(
        target,
        [_request_message(t, me, target, intro, personal)],
        key=f"intro:{intro.id}:request",
        kind="introduction",
        ref_id=intro.id,
    )
    return Reply.text(
        ctx._(
            "I've asked {name} whether they'd like to be introduced. If they accept, you both "
            "get each other's contact; the request expires on {date}."
        ).format(name=target.name, date=ctx.t.fmt_date(intro.expires_at()))
    )


async def _already_connected(ctx: Context, other: Participant) -> Reply:
    identities = await ctx.store.participants.identities(other.id)
    return Reply(
        sections=[
            Section(
                ctx._("You are already connected with {name}:").format(name=other.name),
                contacts=contacts(ctx.t, other, identities),
            )
        ]
    )


@router.command(
    "intro",
    help=N_("Ask to be introduced to someone from /find; your open requests"),
    usage=N_("/intro <number> [message] · /intro list · /intro cancel <n>"),
    aliases=("vorstellen",),
)
async def intro_command(ctx: Context) -> Reply:
    first, _, rest = ctx.args.strip().partition(" ")
    word = first.casefold()
    if word in ("list", "liste", "offen"):
        return await manage.intro_list(ctx)
    if word in ("cancel", "withdraw", "zurückziehen", "zurueckziehen", "abbrechen"):
        return await manage.intro_cancel(ctx, rest)
    target_id = typed_number(first)
    if target_id is None:
        raise UserError(ctx._("Please give the number of a person from /find, e.g. /intro 42."))
    # typed with its number, the command is deliberate: sent at once (a button asks first)
    personal = " ".join(rest.split())
    if len(personal) > MAX_PERSONAL:
        raise UserError(
            ctx._(
                "Please keep the personal message to {limit} characters (yours has {count})."
            ).format(limit=MAX_PERSONAL, count=len(personal))
        )
    return await request_introduction(ctx, target_id, personal)


@router.callback(IntroRequest)
async def intro_button(ctx: Context, data: IntroRequest) -> Reply:
    return await confirm_introduction(ctx, data.participant_id)


@router.callback(MeetAsk)
async def ask_button(ctx: Context, data: MeetAsk) -> Reply:
    reply = await request_introduction(ctx, data.participant_id)
    return replace(reply, edit=True)


@router.callback(MeetNotNow)
async def not_now_button(ctx: Context, data: MeetNotNow) -> Reply:
    return Reply.text(ctx._("Not sent. /find lists your counterparts any time."), edit=True)


@router.callback(MeetAccept, registered=False)
async def accept(ctx: Context, data: MeetAccept) -> Reply:
    return await answer(ctx, data.introduction_id, accepted=True)


@router.callback(MeetDecline, registered=False)
async def decline(ctx: Context, data: MeetDecline) -> Reply:
    return await answer(ctx, data.introduction_id, accepted=False)


async def answer(ctx: Context, intro_id: int, *, accepted: bool) -> Reply:
    now = ctx.now()
    intro = await ctx.store.introductions.get(intro_id, now) if intro_id else None
    # A stale or repeated press answers with a notice: the pressed message keeps what it
    # holds (after Accept, the partner's contact).
    if intro is None:
        return Reply.notify(ctx._("This request no longer exists."))
    if intro.target_id != ctx.participant.id:
        return Reply.notify(ctx._("This request is addressed to someone else."))
    if intro.status == "expired":
        return Reply.notify(
            ctx._("This request expired on {date}.").format(date=ctx.t.fmt_date(intro.expires_at()))
        )
    if intro.status != "open":
        return Reply.notify(ctx._("You have already answered this request."))
    requester = await ctx.store.participants.get(intro.requester_id)
    if requester is None or not requester.registered or not requester.member:
        return Reply.notify(ctx._("This request no longer exists."))
    decided = await ctx.store.introductions.decide(
        intro.id, "accepted" if accepted else "declined", now
    )
    if decided is None:
        return Reply.notify(ctx._("You have already answered this request."))
    me = ctx.participant
    identities = await ctx.store.participants.identities(requester.id)
    their_identity = delivery_identity(requester, identities)
    t = ctx.services.translator_for(requester, their_identity)
    if decided.status == "declined":
        await ctx.services.outbox.send(
            requester,
            [
                Reply.text(
                    t._(
                        "{name} can't take on an introduction at the moment — thank you for "
                        "asking. Send /find to meet other counterparts."
                    ).format(name=me.name),
                    heading=t._("Introduction request"),
                )
            ],
            key=f"intro:{intro.id}:declined",
            kind="introduction",
            ref_id=intro.id,
        )
        return Reply.text(
            ctx._(
                "Declined. I've let {name} know kindly; none of your details were shared."
            ).format(name=requester.name),
            edit=True,
        )
    my_identities = await ctx.store.participants.identities(me.id)
    await ctx.services.outbox.send(
        requester,
        [
            Reply(
                sections=[
                    Section(
                        t._("{name} accepted your introduction request. Their contact:").format(
                            name=me.name
                        ),
                        heading=t._("You've been introduced"),
                        contacts=contacts(t, me, my_identities),
                    ),
                    Section(
                        suggested_message(t, requester, me),
                        heading=t._("A first message you could send"),
                    ),
                ],
                buttons=[[meet.find_button(t, intro.id)]],
                ephemeral=False,
            )
        ],
        key=f"intro:{intro.id}:accepted",
        kind="introduction",
        ref_id=intro.id,
    )
    return Reply(
        sections=[
            Section(
                ctx._("Wonderful! Here is how to reach {name}:").format(name=requester.name),
                heading=ctx._("You've been introduced"),
                contacts=contacts(ctx.t, requester, identities),
            ),
            Section(
                ctx._("{name} has received your contact too.").format(name=requester.name),
            ),
            Section(
                suggested_message(ctx.t, me, requester),
                heading=ctx._("A first message you could send"),
            ),
        ],
        buttons=[[meet.find_button(ctx.t, intro.id)]],
        edit=True,
    )
