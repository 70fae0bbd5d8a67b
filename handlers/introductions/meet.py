"""A time for two people who were introduced: "Find a time" under the Accept messages and
``/meet <n>`` for an accepted introduction propose three slots (udx_bot/meeting_slots.py), each
in the reader's timezone with the other's local time beside it; choosing one sends both an
``.ics`` invitation (udx_bot/invitation_ics.py) with a plain-text line, the other through the
outbox.

Buttons: :class:`MeetFind` (``meet:find:<introduction>``) and :class:`MeetSlot`
(``meet:slot:<introduction>:<start in minutes since 1970, UTC>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.introductions import Introduction
from storage.participants import Participant
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_, Translator
from udx_bot.invitation_ics import MIME_TYPE, invitation
from udx_bot.meeting_slots import DURATION, MAX_CALENDAR_DAYS, find_slots
from udx_bot.outbox import delivery_identity
from udx_bot.router import Router
from udx_bot.typed import typed_number
from udx_bot.types import Button, Document, Reply, Section
from udx_bot.usecases.meetings import person_for

router = Router()

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MeetFind(
    CallbackData, prefix="meet", action="find", stale=N_("This request no longer exists.")
):
    introduction_id: int


@dataclass(frozen=True)
class MeetSlot(
    CallbackData, prefix="meet", action="slot", stale=N_("This request no longer exists.")
):
    introduction_id: int
    minute: int  # the slot's start, minutes since 1970-01-01 UTC

    @property
    def start(self) -> datetime:
        return EPOCH + timedelta(minutes=self.minute)


def _minute(instant: datetime) -> int:
    return int((instant - EPOCH).total_seconds() // 60)


def find_button(t: Translator, intro_id: int) -> Button:
    return Button(t._("Find a time"), MeetFind(intro_id).pack(), "primary")


async def _mine(ctx: Context, intro_id: int) -> tuple[Introduction, Participant]:
    """The reader's accepted introduction and the other person, or a UserError."""
    me = ctx.participant.id
    intro = await ctx.store.introductions.get(intro_id, ctx.now()) if intro_id else None
    other = None
    if (
        intro is not None
        and intro.status == "accepted"
        and me
        in (
            intro.requester_id,
            intro.target_id,
        )
    ):
        other_id = intro.target_id if intro.requester_id == me else intro.requester_id
        other = await ctx.store.participants.get(other_id)
    if intro is None or other is None or not other.member:
        raise UserError(
            ctx._(
                "You have no accepted introduction with the number {n}. The number is in "
                "/intro list and in the message that introduced you."
            ).format(n=intro_id)
        )
    return intro, other


def _place(t: Translator, other: Participant) -> str:
    return t.city(other.city_name) or other.name


def slot_line(t: Translator, start: datetime, other: Participant, other_zone: ZoneInfo) -> str:
    """ "Di., 9. Dez., 16:00 bei Ihnen · 09:00 in Sheboygan" (the other's day too if it differs)."""
    if start.astimezone(t.tz).date() == start.astimezone(other_zone).date():
        theirs = t.fmt_time_in(start, other_zone)
    else:
        theirs = t.fmt_day_time(start, other_zone)
    return t._("{when} your time · {time} in {place}").format(
        when=t.fmt_day_time(start), time=theirs, place=_place(t, other)
    )


async def propose(ctx: Context, intro_id: int) -> Reply:
    intro, other = await _mine(ctx, intro_id)
    me_person, other_person = (
        person_for(ctx.services, ctx.participant),
        person_for(ctx.services, other),
    )
    proposal = find_slots(me_person, other_person, ctx.now())
    zone = ZoneInfo(other_person.timezone)
    if not proposal.slots:
        raise UserError(
            ctx._("I found no time in the next two weeks for you and {name}, sorry.").format(
                name=other.name
            )
        )
    if proposal.overlap:
        intro_text = ctx._(
            "Three times inside your working hours and {name}'s (30 minutes each). Choose one "
            "and I'll send you both a calendar invitation:"
        ).format(name=other.name)
    else:
        intro_text = ctx._(
            "Your working hours and {name}'s do not overlap at all. These are the least-bad "
            "times, the early and late turns shared between you. Choose one and I'll send you "
            "both a calendar invitation:"
        ).format(name=other.name)
    lines = [slot_line(ctx.t, slot.start, other, zone) for slot in proposal.slots]
    return Reply(
        sections=[
            Section(
                intro_text + "\n" + "\n".join(lines),
                heading=ctx._("A time with {name}").format(name=other.name),
            ),
            Section(ctx._("Change your working hours with /profile hours 08:00-16:00.")),
        ],
        buttons=[
            [Button(ctx.t.fmt_day_time(slot.start), MeetSlot(intro.id, _minute(slot.start)).pack())]
            for slot in proposal.slots
        ],
    )


@router.command(
    "meet",
    help=N_("Find a meeting time with someone you were introduced to"),
    usage=N_("/meet <number of the introduction>"),
    aliases=("treffen",),
)
async def meet_command(ctx: Context) -> Reply:
    number = typed_number(ctx.args.strip())
    if number is None:
        raise UserError(
            ctx._(
                "Please give the number of an accepted introduction, e.g. /meet 12; "
                "/intro list shows them."
            )
        )
    return await propose(ctx, number)


@router.callback(MeetFind)
async def find_pressed(ctx: Context, data: MeetFind) -> Reply:
    return await propose(ctx, data.introduction_id)


def _invitation(
    t: Translator, intro: Introduction, start: datetime, end: datetime, other: Participant,
    other_contacts: str, now: datetime, sequence: int,
) -> Document:  # fmt: skip
    content = invitation(
        uid=f"introduction-{intro.id}@udx-bot",
        start=start,
        end=end,
        zone=t.tz,
        title=t._("Call with {name} (Urban Diplomacy Exchange)").format(name=other.name),
        description="\n".join(
            [
                t._("Introduced by the Urban Diplomacy Exchange bot. How to reach {name}:").format(
                    name=other.name
                ),
                other_contacts,
            ]
        ),
        now=now,
        sequence=sequence,
    )
    return Document(f"meeting-{intro.id}.ics", content, MIME_TYPE)


def _confirmation(
    t: Translator, start: datetime, other: Participant, other_zone: ZoneInfo, document: Document
) -> Reply:
    return Reply(
        sections=[
            Section(
                t._("Call with {name}: {when}. The calendar invitation is attached.").format(
                    name=other.name, when=slot_line(t, start, other, other_zone)
                ),
                heading=t._("Meeting time chosen"),
            )
        ],
        document=document,
        ephemeral=False,
    )


@router.callback(MeetSlot)
async def slot_pressed(ctx: Context, data: MeetSlot) -> Reply:
    from handlers.introductions import contacts  # the package imports this module

    intro, other = await _mine(ctx, data.introduction_id)
    now, start = ctx.now(), data.start
    if not now < start < now + timedelta(days=MAX_CALENDAR_DAYS + 7):
        raise UserError(
            ctx._("That time has passed. Send /meet {n} for new ones.").format(n=intro.id)
        )
    end = start + DURATION
    earlier = await ctx.store.meetings.get(intro.id)
    await ctx.store.meetings.choose(intro.id, start, end, ctx.participant.id, now)
    sequence = 0 if earlier is None else _minute(now)  # a later choice updates the entry
    me = ctx.participant
    their_identities = await ctx.store.participants.identities(other.id)
    their_t = ctx.services.translator_for(other, delivery_identity(other, their_identities))
    # each in the language of the one who reads them
    my_contacts = contacts(their_t, me, await ctx.store.participants.identities(me.id))
    their_contacts = contacts(ctx.t, other, their_identities)
    my_zone = ZoneInfo(person_for(ctx.services, me).timezone)
    their_zone = ZoneInfo(person_for(ctx.services, other).timezone)
    mine = _invitation(
        ctx.t, intro, start, end, other, "\n".join(c.plain for c in their_contacts), now, sequence
    )
    theirs = _invitation(
        their_t, intro, start, end, me, "\n".join(c.plain for c in my_contacts), now, sequence
    )
    await ctx.services.outbox.send(
        other,
        [_confirmation(their_t, start, me, my_zone, theirs)],
        key=f"intro:{intro.id}:meeting:{_minute(start)}:{_minute(now)}",
        kind="introduction",
        ref_id=intro.id,
        subjects=[me.id],
    )
    reply = _confirmation(ctx.t, start, other, their_zone, mine)
    return Reply(
        sections=[
            *reply.sections,
            Section(ctx._("{name} gets the invitation too.").format(name=other.name)),
        ],
        document=reply.document,
    )
