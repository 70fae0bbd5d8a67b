"""``udx-bot announce [--to AUDIENCE] [--at TIME] [--yes] TEXT``: an announcement from the
command line, without the chat preview. Without ``--yes`` it only shows the audience and its
size; with ``--yes`` it queues (or schedules) the announcement, and the running bot
(``udx-bot run``) delivers it. ``udx-bot announce status`` lists the latest announcements,
``udx-bot announce cancel N`` cancels scheduled announcement #N; a text whose first word names a
subcommand (status, cancel, and their German forms) is refused. Prints English."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers import build_router
from storage import Store, open_store
from udx_bot.announcements import fan_out, parse_draft, parse_time, recipients, subcommand
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.context import Services, UserError
from udx_bot.i18n import Translator


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
    store = await open_store(settings.database_url)
    try:
        sub = subcommand(" ".join(args.text))
        if sub is not None:
            return await _subcommand(store, *sub, tz=tz)
        services = Services(settings=settings, store=store, router=build_router(), clock=clock)
        now = clock()
        cities = await store.cities.all()
        try:
            draft = parse_draft(
                " ".join(args.text), t, cities, now=now, tz=tz, audience_words=args.to
            )
            if args.at:
                m = re.fullmatch(r"(\S+)[ T]+(\d{1,2}:\d{2})", args.at.strip())
                if m is None:
                    raise UserError(f"--at {args.at!r}: write the time like 2026-12-01 09:00.")
                draft.scheduled_at = parse_time(m.group(1), m.group(2), tz, t)
                if draft.scheduled_at <= now:
                    raise UserError(f"--at {args.at}: that time is in the past.")
        except UserError as error:
            print(f"udx-bot announce: {error.message}", file=sys.stderr)
            return 2
        audience = draft.audience.describe(t, {c.id: c.name for c in cities})
        found = await recipients(store, draft.audience, settings.default_language)
        print(f"Audience: {audience} — {len(found):,} recipient{'s' if len(found) != 1 else ''}")
        if not found:
            print("Nobody matches this audience; nothing was sent.")
            return 1
        if not args.yes:
            print("Nothing sent yet: run again with --yes to send.")
            return 0
        announcement_id = await store.announcements.create(
            author_id=None,
            author_name="",  # shown as "the coordinators" in each recipient's language
            audience=draft.audience.to_json(),
            text_de=draft.texts.get("de"),
            text_en=draft.texts.get("en"),
            now=now,
            scheduled_at=draft.scheduled_at,
            status="scheduled" if draft.scheduled_at else "sending",
        )
        if draft.scheduled_at is not None:
            local = draft.scheduled_at.astimezone(tz)
            scheduled = await store.announcements.get(announcement_id)
            assert scheduled is not None
            print(
                f"Announcement #{scheduled.number} scheduled for {local:%Y-%m-%d %H:%M} "
                f"{tz_name}; the running bot sends it then (the audience is counted again at "
                f"that time). udx-bot announce cancel {scheduled.number} cancels it."
            )
            return 0
        announcement = await store.announcements.get(announcement_id)
        assert announcement is not None
        queued = await fan_out(services, announcement)
        print(
            f"Announcement #{announcement.number} queued for {queued:,} recipients; "
            "the running bot (udx-bot run) delivers them."
        )
        return 0
    finally:
        await store.close()


async def _subcommand(store: Store, name: str, rest: str, *, tz: ZoneInfo) -> int:
    if name == "status" and not rest:
        latest = await store.announcements.recent(10)
        counts = await store.outbox.counts("announcement", [a.id for a in latest])
        for a in latest:
            when = a.sent_at if a.status == "sent" else a.scheduled_at
            at = f" {when.astimezone(tz):%Y-%m-%d %H:%M}" if when else ""
            c = counts[a.id]
            excerpt = (a.text_en or a.text_de or "").splitlines()[0][:60]
            print(
                f"#{a.number} {a.status}{at}: {excerpt} — {c.sent} sent, {c.pending} pending, "
                f"{c.failed} failed, {c.uncertain} unconfirmed"
            )
        if not latest:
            print("No announcements yet.")
        return 0
    number = rest.lstrip("#")
    if name != "cancel" or not number.isdigit():
        print(
            f"udx-bot announce: {name!r} is a subcommand (udx-bot announce status, udx-bot "
            "announce cancel N), not the start of a text; rephrase the text.",
            file=sys.stderr,
        )
        return 2
    announcement = await store.announcements.by_number(int(number))
    if announcement is None:
        print(f"udx-bot announce: there is no announcement #{number}", file=sys.stderr)
        return 1
    if announcement.status == "cancelled":
        print(f"Announcement #{number} was already cancelled.")
        return 0
    if announcement.status != "scheduled" or not await store.announcements.transition(
        announcement.id, "cancelled", expect=("scheduled",)
    ):
        print(
            f"udx-bot announce: announcement #{number} was already sent; it can't be cancelled",
            file=sys.stderr,
        )
        return 1
    print(f"Cancelled announcement #{number}: it will not be sent.")
    return 0
