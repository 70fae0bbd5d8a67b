"""``udx-bot announce [--to AUDIENCE] [--at TIME] [--yes] TEXT``: an announcement from the
command line, without the chat preview. Without ``--yes`` it only shows the audience and its
size; with ``--yes`` it queues (or schedules) the announcement, and the running bot
(``udx-bot run``) delivers it. ``udx-bot announce status`` lists the latest announcements,
``udx-bot announce cancel N`` cancels scheduled announcement #N; a text whose first word names a
subcommand (status, cancel, and their German forms) is refused. Prints English.

Only the terminal's side lives here (arguments, printing); the rules are the use case's
(udx_bot/usecases/announcements.py), the same the chat command calls."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage import Store
from storage.cities import City
from udx_bot.announcements import Subcommand, parse_draft, parse_time, subcommand
from udx_bot.app import running
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.context import Services, UserError
from udx_bot.i18n import Translator
from udx_bot.usecases import announcements as use
from udx_bot.usecases.announcements import Draft, Outcome


def register(sub: Any) -> None:
    p = sub.add_parser(
        "announce",
        help="send an announcement to the network (the running bot delivers it)",
        description="Queue an announcement for every registered participant matching the "
        "audience. Without --yes only the audience and its size are shown.",
    )
    p.add_argument(
        "--to",
        default="all",
        metavar="AUDIENCE",
        help='audience words, combinable: all, sdg13, "#Krefeld", a department (mobility or '
        "dept:urban-planning), lang:de, lang:en (default: all)",
    )
    p.add_argument("--at", metavar="TIME", help='schedule it: "2026-12-01 09:00" in --timezone')
    p.add_argument(
        "--timezone", metavar="TZ", help="timezone of --at (default: UDX_DEFAULT_TIMEZONE)"
    )
    p.add_argument("--yes", action="store_true", help="really send (or schedule) it")
    p.add_argument(
        "text",
        nargs="+",
        help='the text; both languages: "de: … en: …"; or "status", or "cancel N" to cancel '
        "scheduled announcement #N",
    )
    p.set_defaults(run=run_announce)


async def run_announce(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    tz_name = args.timezone or settings.default_timezone
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"udx-bot announce: unknown timezone {tz_name!r}", file=sys.stderr)
        return 2
    t = Translator("en", "en_GB", tz)
    async with running(settings, clock) as services:
        sub = subcommand(" ".join(args.text))
        if sub is not None:
            return await _subcommand(services.store, sub, tz=tz)
        cities = await services.store.cities.all()
        try:
            draft = _draft(args, t, cities, now=clock(), tz=tz)
        except UserError as error:
            print(f"udx-bot announce: {error.message}", file=sys.stderr)
            return 2
        return await _announce(services, draft, args.yes, t, cities, tz_name)


def _draft(
    args: argparse.Namespace, t: Translator, cities: list[City], *, now: datetime, tz: ZoneInfo
) -> Draft:
    draft = parse_draft(" ".join(args.text), t, cities, now=now, tz=tz, audience_words=args.to)
    if args.at:
        m = re.fullmatch(r"(\S+)[ T]+(\d{1,2}:\d{2})", args.at.strip())
        if m is None:
            raise UserError(f"--at {args.at!r}: write the time like 2026-12-01 09:00.")
        draft.scheduled_at = parse_time(m.group(1), m.group(2), tz, t)
        if draft.scheduled_at <= now:
            raise UserError(f"--at {args.at}: that time is in the past.")
    return draft


async def _announce(
    services: Services, draft: Draft, really: bool, t: Translator, cities: list[City], tz_name: str
) -> int:
    settings = services.settings
    preview = await use.preview(
        services.store,
        services.clock,
        draft,
        author_id=None,
        author_name="",  # shown as "the coordinators" in each recipient's language
        default_language=settings.default_language,
        keep=really,
    )
    audience = draft.audience.describe(t, {c.id: t.city(c.name) for c in cities})
    n = preview.reach
    print(f"Audience: {audience} — {n:,} recipient{'s' if n != 1 else ''}")
    if not n:
        print("Nobody matches this audience; nothing was sent.")
        return 1
    if preview.announcement_id is None:
        print("Nothing sent yet: run again with --yes to send.")
        return 0
    result = await use.confirm(
        services.store,
        services.outbox,
        services.clock,
        preview.announcement_id,
        author_id=None,
        network=settings.network_name,
        default_language=settings.default_language,
    )
    announcement = result.announcement
    if result.outcome is Outcome.SCHEDULED:
        assert announcement is not None and announcement.scheduled_at is not None
        local = announcement.scheduled_at.astimezone(t.tz)
        print(
            f"Announcement #{announcement.number} scheduled for {local:%Y-%m-%d %H:%M} "
            f"{tz_name}; the running bot sends it then (the audience is counted again at "
            f"that time). udx-bot announce cancel {announcement.number} cancels it."
        )
        return 0
    if result.outcome is not Outcome.SENDING or announcement is None:
        print(f"udx-bot announce: nothing was sent ({result.outcome})", file=sys.stderr)
        return 1
    print(
        f"Announcement #{announcement.number} queued for {result.queued:,} recipients; "
        "the running bot (udx-bot run) delivers them."
    )
    return 0


async def _subcommand(store: Store, sub: Subcommand, *, tz: ZoneInfo) -> int:
    if not sub.well_formed:
        print(
            f"udx-bot announce: {sub.name!r} is a subcommand (udx-bot announce status, udx-bot "
            "announce cancel N), not the start of a text; rephrase the text.",
            file=sys.stderr,
        )
        return 2
    if sub.name == "status":
        return await _status(store, tz)
    assert sub.number is not None  # well formed
    return await _cancel(store, sub.number)


async def _status(store: Store, tz: ZoneInfo) -> int:
    latest = await use.status(store, 10)
    for standing in latest:
        a, c = standing.announcement, standing.counts
        when = a.sent_at if a.status == "sent" else a.scheduled_at
        at = f" {when.astimezone(tz):%Y-%m-%d %H:%M}" if when else ""
        excerpt = (a.text_en or a.text_de or "").splitlines()[0][:60]
        print(
            f"#{a.number} {a.status}{at}: {excerpt} — {c.sent} sent, {c.pending} pending, "
            f"{c.failed} failed, {c.uncertain} unconfirmed"
        )
    if not latest:
        print("No announcements yet.")
    return 0


async def _cancel(store: Store, number: int) -> int:
    result = await use.cancel(store, number)
    if result.outcome is Outcome.UNKNOWN:
        print(f"udx-bot announce: there is no announcement #{number}", file=sys.stderr)
        return 1
    if result.outcome is Outcome.ALREADY_CANCELLED:
        print(f"Announcement #{number} was already cancelled.")
        return 0
    if result.outcome is Outcome.ALREADY_SENT:
        print(
            f"udx-bot announce: announcement #{number} was already sent; it can't be cancelled",
            file=sys.stderr,
        )
        return 1
    print(f"Cancelled announcement #{number}: it will not be sent.")
    return 0
