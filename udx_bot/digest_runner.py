"""The weekly digest run: each tick finds participants whose digest time has passed this week
and who have no digest for this ISO week, builds their digest and puts it in the outbox under a
key unique per participant and week. So a restart neither loses nor repeats a digest, and
several processes may tick at once without sending twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from udx_bot.context import Services
from udx_bot.digest import DigestRun, build_digest
from udx_bot.digest_schedule import Slot, slot, window

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    enqueued: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # missed by more than the catch-up time


def digest_key(participant_id: int, week: str) -> str:
    return f"digest:{participant_id}:{week}"


async def pending_slots(
    services: Services, now: datetime, *, due_only: bool = True
) -> list[tuple[int, Slot]]:
    """(participant id, this week's slot) for everyone without a digest this week.

    With ``due_only`` (the minute tick), only those whose scheduled time has passed, and not
    those who registered after it: a newcomer's first digest comes at their next slot. Without
    it (``udx-bot digest send``), everyone who has not had this week's digest, including those
    whose digest was missed while the bot was down."""
    found = []
    for schedule in await services.store.digests.schedules():
        tz = ZoneInfo(schedule.timezone or services.settings.default_timezone)
        this_week = slot(now, tz, schedule.weekday, schedule.minute)
        if due_only:
            if this_week.at > now:
                continue
            if schedule.registered_at is not None and schedule.registered_at > this_week.at:
                continue  # this week's slot passed before they joined
        found.append((schedule.participant_id, this_week))
    done = await services.store.digests.done({s.week for _, s in found}, missed_counts=due_only)
    return [(pid, s) for pid, s in found if (pid, s.week) not in done]


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


async def tick(
    services: Services, now: datetime | None = None, *, force: bool = False
) -> TickReport:
    """Enqueue every due digest. ``force`` sends this week's digest to everyone who has not had
    it yet, whatever their scheduled time (``udx-bot digest send``)."""
    now = now or services.clock()
    report = TickReport()
    catchup = timedelta(hours=services.settings.digest_catchup_hours)
    store = services.store
    pending = await pending_slots(services, now, due_only=not force)
    if not pending:
        return report
    people = await store.participants.get_many(pid for pid, _ in pending)
    earliest = min(window(min(s.at, now))[0] for _, s in pending)
    run = await DigestRun.load(services, earliest, now)
    for participant_id, this_week in pending:
        if not force and now - this_week.at > catchup:
            if await store.digests.record(participant_id, this_week.week, "skipped", now):
                log.warning(
                    "digest for participant %s, %s, not sent: its time (%s UTC) passed more "
                    "than %s ago (UDX_DIGEST_CATCHUP_HOURS); recorded as skipped, "
                    "udx-bot digest send still sends it",
                    participant_id, this_week.week, f"{this_week.at:%Y-%m-%d %H:%M}",
                    _hours(catchup),
                )  # fmt: skip
                report.skipped.append(participant_id)
            continue
        participant = people.get(participant_id)
        if participant is None or not participant.registered:
            continue
        since, _ = window(min(this_week.at, now))
        named: set[int] = set()
        replies = await build_digest(
            services, participant, since=since, until=now, run=run, named=named
        )
        if replies is None:
            if await store.digests.record(participant_id, this_week.week, "empty", now):
                report.empty.append(participant_id)
            continue
        # The outbox key makes this idempotent even if two processes build the same digest.
        await services.outbox.send(
            participant,
            replies,
            key=digest_key(participant_id, this_week.week),
            kind="digest",
            subjects=named,
        )
        if await store.digests.record(participant_id, this_week.week, "enqueued", now):
            report.enqueued.append(participant_id)
    return report
