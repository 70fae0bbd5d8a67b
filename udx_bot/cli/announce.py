"""``udx-bot announce [--to AUDIENCE] [--at TIME] [--yes] TEXT``: an announcement from the
command line, without the chat preview. Without ``--yes`` it only shows the audience and its
size; with ``--yes`` it queues (or schedules) the announcement, and the running bot
(``udx-bot run``) delivers it. Prints English."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers import build_router
from storage import open_store
from udx_bot.announcements import fan_out, parse_draft, parse_time, recipients
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
    p.add_argument("text", nargs="+", help='the text; both languages: "de: … en: …"')
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
            print(
                f"Announcement #{announcement_id} scheduled for {local:%Y-%m-%d %H:%M} {tz_name}; "
                "the running bot sends it then (the audience is counted again at that time)."
            )
            return 0
        announcement = await store.announcements.get(announcement_id)
        assert announcement is not None
        queued = await fan_out(services, announcement)
        print(
            f"Announcement #{announcement_id} queued for {queued:,} recipients; "
            "the running bot (udx-bot run) delivers them."
        )
        return 0
    finally:
        await store.close()
