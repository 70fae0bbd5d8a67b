"""After an accepted introduction: "Did you meet?" for both people, seven days after Accept or
the day after the slot they chose ("Find a time", handlers/introductions/meet.py), with Yes /
Not yet / Not a fit (:class:`MeetDid`, answered in handlers/introductions/followup.py). "Not
yet" is asked once more a week after that answer. Thirty days after a "Yes" it asks "What came
of it?" (:class:`MeetOutcome`): the answer becomes an exchange note
(handlers/introductions/outcome.py).

Run by the hourly housekeeping job (udx_bot/scheduler.py); each ask's outbox key
(``intro:<id>:did:<person>:<round>``, ``intro:<id>:outcome:<person>``) makes it once per
person and round, whichever process runs it, and it is delivered at a decent hour of the
reader's day (never at night).
"""

from __future__ import annotations

from collections.abc import Callable
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
OUTCOME_AFTER = timedelta(days=30)  # after a "Yes": "What came of it?"
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


@dataclass(frozen=True)
class MeetOutcome(
    CallbackData, prefix="meet", action="outcome", stale=N_("This request no longer exists.")
):
    """ "Write it" under "What came of it?" (and "Edit" under the draft note)."""

    introduction_id: int


def outcome_message(t: Translator, intro: Introduction, other: Participant) -> Reply:
    return Reply(
        sections=[
            Section(
                t._(
                    "A month ago you met {name}. What came of it? One line is enough: it "
                    "becomes an exchange note tagged with both your cities and shared SDGs, "
                    "so others can learn from it. You see it before it is saved."
                ).format(name=other.name),
                heading=t._("What came of it?"),
            )
        ],
        buttons=[[Button(t._("Write it"), MeetOutcome(intro.id).pack(), "primary")]],
        ephemeral=False,
    )


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
            place=t.city(other.city_name),
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
            if not me.member or me.is_demo or me.paused(now):  # asked after the pause
                continue
            mine = [a for a in answers if a.participant_id == me_id]
            met = next((a for a in mine if a.outcome == "met"), None)
            if met is not None:
                if now >= met.answered_at + OUTCOME_AFTER and await _queue(
                    services, me, other, intro, f"intro:{intro.id}:outcome:{me.id}",
                    lambda t: outcome_message(t, intro, other),  # noqa: B023 (called at once)
                ):  # fmt: skip
                    queued += 1
                continue
            if not mine:
                round_, due = 1, first_due(intro, meeting)
            elif mine[-1].outcome == "not_yet" and mine[-1].round < ROUNDS:
                round_, due = mine[-1].round + 1, mine[-1].answered_at + AGAIN_AFTER
            else:
                continue
            if now >= due and await _queue(
                services, me, other, intro, f"intro:{intro.id}:did:{me.id}:{round_}",
                lambda t: ask_message(t, intro, other, meeting, round_),  # noqa: B023
            ):  # fmt: skip
                queued += 1
    return queued


async def _queue(
    services: Services,
    me: Participant,
    other: Participant,
    intro: Introduction,
    key: str,
    build: Callable[[Translator], Reply],
) -> bool:
    """Queue one follow-up for ``me``, in their language at a decent hour of their day, once
    (by its key)."""
    store = services.store
    identity = delivery_identity(me, await store.participants.identities(me.id))
    zone = me.effective_timezone or services.settings.default_timezone
    return await services.outbox.send(
        me,
        [build(services.translator_for(me, identity))],
        key=key,
        kind="introduction",
        ref_id=intro.id,
        not_before=decent_moment(services.clock(), zone),
        subjects=[other.id],
    )
