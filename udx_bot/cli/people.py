"""``udx-bot grant|revoke coordinator|admin <platform>:<id>`` and
``udx-bot import participants FILE.csv`` (header id,name,city,department,sdgs,language,role)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from storage import open_store
from udx_bot.cli.data import run_import
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.imports import PARTICIPANT_COLUMNS, import_participants, parse_platform_id

ROLE_CHOICES = ("coordinator", "admin")


def register(sub: Any) -> None:
    grant = sub.add_parser(
        "grant",
        help="make someone a coordinator or admin (registered or not)",
        description="Give a person a role, e.g. `udx-bot grant coordinator telegram:123456789`. "
        "Works whether or not they have written to the bot yet.",
    )
    grant.add_argument("role", choices=ROLE_CHOICES)
    grant.add_argument("person", metavar="PLATFORM:ID", help="telegram:123456789, slack:U024BE7LH")
    grant.set_defaults(run=run_grant)
    revoke = sub.add_parser(
        "revoke",
        help="take a coordinator or admin role back (they become a participant)",
    )
    revoke.add_argument("role", choices=ROLE_CHOICES)
    revoke.add_argument("person", metavar="PLATFORM:ID", help="telegram:123456789, slack:U024BE7LH")
    revoke.set_defaults(run=run_revoke)
    participants = _import_kinds(sub).add_parser(
        "participants", help=f"header: {','.join(PARTICIPANT_COLUMNS)} (sdgs space-separated)"
    )
    participants.add_argument("file", type=Path)
    participants.set_defaults(run=run_import, importer=import_participants)


def _import_kinds(sub: Any) -> Any:
    """The subcommands of ``udx-bot import`` (registered by udx_bot.cli.data)."""
    for action in sub.choices["import"]._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError("udx-bot import has no kinds")


def _person(args: argparse.Namespace) -> tuple[str, str] | None:
    ident = parse_platform_id(args.person)
    if ident is None:
        print(
            f"udx-bot: {args.person!r} is not an id like telegram:123456789 or slack:U024BE7LH; "
            "nothing changed",
            file=sys.stderr,
        )
    return ident


async def run_grant(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    ident = _person(args)
    if ident is None:
        return 1
    store = await open_store(settings.database_url)
    try:
        participant, before = await store.participants.set_role(*ident, args.role, now=clock())
    finally:
        await store.close()
    state = "" if participant.registered else " (not registered yet)"
    if before == args.role:
        print(f"{args.person} was already {_article(args.role)}{state}")
    else:
        print(f"{args.person} is now {_article(args.role)}{state}")
    return 0


async def run_revoke(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    ident = _person(args)
    if ident is None:
        return 1
    store = await open_store(settings.database_url)
    try:
        participant = await store.participants.by_identity(*ident)
        if participant is None or participant.role == "participant":
            print(f"{args.person} has no role to revoke; nothing changed")
            return 0
        if participant.role != args.role:
            print(
                f"udx-bot: {args.person} is {_article(participant.role)}, not "
                f"{_article(args.role)}; nothing changed",
                file=sys.stderr,
            )
            return 1
        await store.participants.set_role(*ident, "participant", now=clock())
    finally:
        await store.close()
    note = (
        " (UDX_ADMINS makes them admin again at the next start)"
        if (args.role == "admin" and args.person in settings.admins)
        else ""
    )
    print(f"{args.person} is a participant again{note}")
    return 0


def _article(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"
