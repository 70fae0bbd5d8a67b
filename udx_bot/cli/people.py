"""``udx-bot grant|revoke coordinator|admin PLATFORM:ID`` and
``udx-bot import participants FILE.csv`` (header id,name,city,department,sdgs,language,role).

PLATFORM:ID is read by udx_bot.platform_ids (telegram:123456789, slack:U024BE7LH,
"console:Mike Johnson"). Granting never takes a right away: ``grant coordinator`` on an admin
leaves them admin and says how to make them a coordinator only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from udx_bot.app import database
from udx_bot.cli.data import run_import
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.imports import PARTICIPANT_COLUMNS, import_participants
from udx_bot.platform_ids import EXAMPLES, PlatformId, PlatformIdError, parse_platform_id

ROLE_CHOICES = ("coordinator", "admin")
PERSON_HELP = f"{EXAMPLES} (quote a console name with spaces)"


def register(sub: Any) -> None:
    grant = sub.add_parser(
        "grant",
        help="make someone a coordinator or admin (registered or not)",
        description="Give a person a role, e.g. `udx-bot grant coordinator telegram:123456789` "
        'or `udx-bot grant admin "console:Mike Johnson"`. Works whether or not they have '
        "written to the bot yet. An admin may do everything a coordinator may; granting "
        "coordinator to an admin changes nothing (revoke admin first).",
    )
    grant.add_argument("role", choices=ROLE_CHOICES)
    grant.add_argument("person", metavar="PLATFORM:ID", help=PERSON_HELP)
    grant.set_defaults(run=run_grant)
    revoke = sub.add_parser(
        "revoke",
        help="take a coordinator or admin role back (they become a participant)",
    )
    revoke.add_argument("role", choices=ROLE_CHOICES)
    revoke.add_argument("person", metavar="PLATFORM:ID", help=PERSON_HELP)
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


def _person(args: argparse.Namespace) -> PlatformId | None:
    try:
        return parse_platform_id(args.person)
    except PlatformIdError as error:
        print(f"udx-bot: {error}; nothing changed", file=sys.stderr)
        return None


async def run_grant(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    ident = _person(args)
    if ident is None:
        return 1
    async with database(settings) as store:
        current = await store.participants.by_identity(ident.platform, ident.user_id)
        if current is not None and current.role == "admin" and args.role == "coordinator":
            print(
                f"{ident} is an admin, which includes everything a coordinator may do; nothing "
                f"changed. To make them a coordinator only: udx-bot revoke admin {ident}, then "
                f"udx-bot grant coordinator {ident}"
            )
            return 0
        participant, before = await store.roster.set_role(
            ident.platform, ident.user_id, args.role, now=clock()
        )
    state = "" if participant.registered else " (not registered yet)"
    if before == args.role:
        print(f"{ident} was already {_article(args.role)}{state}")
    else:
        print(f"{ident} is now {_article(args.role)}{state}")
    return 0


async def run_revoke(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    ident = _person(args)
    if ident is None:
        return 1
    async with database(settings) as store:
        participant = await store.participants.by_identity(ident.platform, ident.user_id)
        if participant is None or participant.role == "participant":
            print(f"{ident} has no role to revoke; nothing changed")
            return 0
        if participant.role != args.role:
            print(
                f"udx-bot: {ident} is {_article(participant.role)}, not "
                f"{_article(args.role)}; nothing changed",
                file=sys.stderr,
            )
            return 1
        await store.roster.set_role(ident.platform, ident.user_id, "participant", now=clock())
    note = (
        " (UDX_ADMINS makes them admin again at the next start)"
        if (args.role == "admin" and str(ident) in settings.admins)
        else ""
    )
    print(f"{ident} is a participant again{note}")
    return 0


def _article(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"
