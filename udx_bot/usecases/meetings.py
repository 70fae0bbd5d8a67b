"""After an accepted introduction: "Did you meet?" for both people, seven days after Accept or
the day after the slot they chose ("Find a time", handlers/introductions/meet.py), with Yes /
Not yet / Not a fit (:class:`MeetDid`, answered in handlers/introductions/followup.py). "Not
yet" is asked once more a week after that answer. Run by the hourly housekeeping job
(udx_bot/scheduler.py); each ask's outbox key (``intro:<id>:did:<person>:<round>``) makes it
once per person and round, whichever process runs it, and it is delivered at a decent hour of
the reader's day (never at night).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.introductions import Introduction
from storage.meetings import FOLLOW_UP_WINDOW, OUTCOMES, Meeting
from storage.participants import Participant
from udx_bot import reference
from udx_bot.callback_data import CallbackData
from udx_bot.context import Services
from udx_bot.i18n import N_, Translator
from udx_bot.meeting_slots import DEFAULT_END, DEFAULT_START, Person
from udx_bot.outbox import delivery_identity
from udx_bot.types import Button, Reply, Section

AFTER_ACCEPT = timedelta(days=7)
AFTER_SLOT = timedelta(days=1)
AGAIN_AFTER = timedelta(days=7)
ROUNDS = 2
DECENT_HOURS = (9, 18)  # asks are delivered between 09:00 and 18:00 of the reader's day


@dataclass(frozen=True)
class MeetDid(
    CallbackData, prefix="meet", action="did", stale=N_("This request no longer exists.")
):
    """An answer to "Did you meet?": ``meet:did:<introduction>:<round>:met|not_yet|not_fit``."""

    introduction_id: int
    round: int
    outcome: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES or not 1 <= self.round <= ROUNDS:
            raise ValueError(self.outcome)


def _minutes_to_time(minutes: int | None, default: time) -> time:
    return default if minutes is None else time(minutes // 60, minutes % 60)


def person_for(services: Services, participant: Participant) -> Person:
    """The slot finder's view of a participant: timezone, country and state (for public
    holidays), working hours."""
    return Person(
        participant.effective_timezone or services.settings.default_timezone,
        participant.country,
        reference.subdivision(participant.city_name),
        _minutes_to_time(participant.work_start, DEFAULT_START),
        _minutes_to_time(participant.work_end, DEFAULT_END),
    )


def decent_moment(now: datetime, zone: str) -> datetime | None:
    """None when ``now`` is a decent hour for the reader, else the next 09:00 of their day."""
    local = now.astimezone(ZoneInfo(zone))
    start, end = DECENT_HOURS
    if start <= local.hour < end:
        return None
    day = local.date() if local.hour < start else local.date() + timedelta(days=1)
    return datetime.combine(day, time(start), local.tzinfo)


def first_due(intro: Introduction, meeting: Meeting | None) -> datetime:
    if meeting is not None:
        return meeting.slot_end + AFTER_SLOT
    assert intro.decided_at is not None
    return intro.decided_at + AFTER_ACCEPT


def ask_message(
    t: Translator, intro: Introduction, other: Participant, meeting: Meeting | None, round_: int
) -> Reply:
    if meeting is not None:
        text = t._("Your call with {name} was planned for {when}. Did you meet?").format(
            name=other.name, when=t.fmt_when(meeting.slot_start)
        )
    else:
        text = t._("You were introduced to {name} ({place}) on {date}. Did you meet?").format(
            name=other.name,
            place=other.city_name or "",
            date=t.fmt_date(intro.decided_at or intro.created_at),
        )
    return Reply(
        sections=[Section(text, heading=t._("Did you meet?"))],
        buttons=[
            [
                Button(t._("Yes"), MeetDid(intro.id, round_, "met").pack(), "primary"),
                Button(t._("Not yet"), MeetDid(intro.id, round_, "not_yet").pack()),
                Button(t._("Not a fit"), MeetDid(intro.id, round_, "not_fit").pack()),
            ]
        ],
        ephemeral=False,
    )


async def ask_follow_ups(services: Services) -> int:
    """Queue every "Did you meet?" that is due; returns how many were queued."""
    store, now = services.store, services.clock()
    queued = 0
    for intro, meeting in await store.meetings.accepted_since(now - FOLLOW_UP_WINDOW):
        answers = await store.meetings.answers(intro.id)
        pair = (intro.requester_id, intro.target_id)
        people = await store.participants.get_many(pair)
        if len(people) < 2:
            continue
        for me_id, other_id in (pair, pair[::-1]):
            me, other = people[me_id], people[other_id]
            if not me.member or me.is_demo:
                continue
            mine = [a for a in answers if a.participant_id == me_id]
            if not mine:
                round_, due = 1, first_due(intro, meeting)
            elif mine[-1].outcome == "not_yet" and mine[-1].round < ROUNDS:
                round_, due = mine[-1].round + 1, mine[-1].answered_at + AGAIN_AFTER
            else:
                continue
            if now < due:
                continue
            identity = delivery_identity(me, await store.participants.identities(me.id))
            t = services.translator_for(me, identity)
            zone = me.effective_timezone or services.settings.default_timezone
            if await services.outbox.send(
                me,
                [ask_message(t, intro, other, meeting, round_)],
                key=f"intro:{intro.id}:did:{me.id}:{round_}",
                kind="introduction",
                ref_id=intro.id,
                not_before=decent_moment(now, zone),
                subjects=[other.id],
            ):
                queued += 1
    return queued
