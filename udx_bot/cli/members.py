"""``udx-bot invite [--city NAME] [--uses N] [--days N] [--csv N]`` and
``udx-bot remove PLATFORM:ID``: membership from the command line, by the rules of
udx_bot/usecases/membership.py (the same as /invite and /remove in the chat).

The first admin invites the first coordinators: ``udx-bot grant admin telegram:ID`` (or
UDX_ADMINS), then ``/invite`` in the chat, or ``udx-bot invite --csv 20 > links.csv`` for a
mailing. Links need the bot's Telegram user name: TELEGRAM_BOT_USERNAME (the running bot knows
its own).
"""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from udx_bot import reference
from udx_bot.app import database
from udx_bot.cli.people import PERSON_HELP, _person
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.usecases import membership


def register(sub: Any) -> None:
    invite = sub.add_parser(
        "invite",
        help="make invitations to the network (a Telegram link and a code each)",
        description="Make an invitation: `udx-bot invite --city Krefeld --uses 3 --days 30`. "
        "With --csv N, N invitations as CSV (number,code,link,city,uses,expires_at) for a "
        "mailing. Set TELEGRAM_BOT_USERNAME for the Telegram links.",
    )
    invite.add_argument("--city", help="preset this city of the network (default: any)")
    invite.add_argument("--uses", type=int, default=membership.DEFAULT_USES, help="people (1)")
    invite.add_argument("--days", type=int, default=membership.DEFAULT_DAYS, help="valid (14)")
    invite.add_argument("--csv", type=int, metavar="N", help="N invitations as CSV on stdout")
    invite.set_defaults(run=run_invite)
    remove = sub.add_parser(
        "remove",
        help="end someone's membership at once (they keep /mydata and /forget)",
    )
    remove.add_argument("person", metavar="PLATFORM:ID", help=PERSON_HELP)
    remove.set_defaults(run=run_remove)


async def run_invite(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    async with database(settings) as store:
        city_id = city_name = None
        if args.city:
            cities = await store.cities.all()
            found = [c for c in cities if c.slug == reference.slug(args.city)]
            if not found:
                close = reference.closest_names(args.city, [c.name for c in cities])
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                print(
                    f"udx-bot: {args.city!r} is not a city of the network{hint}; nothing made",
                    file=sys.stderr,
                )
                return 1
            city_id, city_name = found[0].id, found[0].name
        try:
            made = await membership.create(
                store,
                now=clock(),
                city_id=city_id,
                uses=args.uses,
                days=args.days,
                count=args.csv if args.csv is not None else 1,
            )
        except membership.BadInvitation as bad:
            limits = {
                "uses": f"--uses must be 1 to {membership.MAX_USES}",
                "days": f"--days must be 1 to {membership.MAX_DAYS}",
                "count": f"--csv must be 1 to {membership.MAX_BATCH}",
            }
            print(f"udx-bot: {limits[bad.which]}; nothing made", file=sys.stderr)
            return 1
    bot = settings.telegram_bot_username
    if args.csv is not None:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["number", "code", "link", "city", "uses", "expires_at"])
        for one in made:
            inv = one.invitation
            link = membership.telegram_link(bot, one.code) or ""
            writer.writerow(
                [inv.id, one.code, link, city_name or "", inv.uses, inv.expires_at.isoformat()]
            )
        return 0
    [one] = made
    inv = one.invitation
    where = city_name or "any city"
    until = f"{inv.expires_at:%Y-%m-%d %H:%M}"
    print(f"Invitation #{inv.id}: {inv.uses} use(s), {where}, valid until {until} UTC")
    telegram = membership.telegram_link(bot, one.code)
    print(
        f"Telegram: {telegram}" if telegram else "Telegram: set TELEGRAM_BOT_USERNAME for the link"
    )
    print(f"Code (Slack: /udx start {one.code}): {one.code}")
    return 0


async def run_remove(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    ident = _person(args)
    if ident is None:
        return 1
    async with database(settings) as store:
        person = await store.participants.by_identity(ident.platform, ident.user_id)
        if person is None:
            print(
                f"udx-bot: {ident} has never written to the bot; nothing changed", file=sys.stderr
            )
            return 1
        if not await membership.remove(store, person.id, now=clock()):
            print(f"{ident} is not a member; nothing changed")
            return 0
    print(f"{ident} ({person.name}) is no longer a member")
    return 0
