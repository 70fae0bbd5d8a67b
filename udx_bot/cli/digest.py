"""``udx-bot digest send`` and ``udx-bot digest preview <platform>:<id>``."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any

from udx_bot.app import running
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.digest import build_digest
from udx_bot.digest_runner import tick
from udx_bot.platform_ids import PlatformIdError, parse_platform_id


def register(sub: Any) -> None:
    digest = sub.add_parser("digest", help="send or preview weekly digests")
    actions = digest.add_subparsers(dest="action", metavar="ACTION", required=True)
    send = actions.add_parser(
        "send",
        help="send this week's digest now to everyone who has not had it this week "
        "(delivered by the running bot's outbox worker)",
    )
    send.set_defaults(run=run_send)
    preview = actions.add_parser("preview", help="print one participant's digest")
    preview.add_argument("id", metavar="PLATFORM:ID", help="e.g. telegram:123456789")
    preview.set_defaults(run=run_preview)


async def run_send(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    async with running(settings, clock) as services:
        report = await tick(services, force=True)
    queued, empty = len(report.enqueued), len(report.empty)
    print(
        f"{queued} digest{'' if queued == 1 else 's'} queued for delivery, "
        f"{empty} with nothing new this week"
    )
    return 0


async def run_preview(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    try:
        ident = parse_platform_id(args.id)
    except PlatformIdError as error:
        print(f"udx-bot: {error}", file=sys.stderr)
        return 1
    async with running(settings, clock) as services:
        participant = await services.store.participants.by_identity(ident.platform, ident.user_id)
        if participant is None or not participant.registered:
            print(f"udx-bot: no registered participant {args.id}", file=sys.stderr)
            return 1
        now = services.clock()
        replies = await build_digest(
            services, participant, since=now - timedelta(days=7), until=now
        )
    if replies is None:
        print("Nothing new in the past seven days: no digest would be sent.")
    else:
        print("\n\n".join(r.plain_text for r in replies))
    return 0
