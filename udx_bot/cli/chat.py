"""``udx-bot demo`` and ``udx-bot console``: the chat on stdin/stdout.

Both deliver what the outbox holds for the person at the console when it opens and after every
line (udx_bot/outbox_wiring.py :func:`~udx_bot.outbox_wiring.console_delivery`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from udx_bot.app import running
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.demo import PERSONA, seed_demo, seed_persona
from udx_bot.outbox_wiring import console_delivery
from udx_bot.platforms.console import ConsoleChat, console_actor


def register(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="seed a demo network into DATABASE_URL (default udx.sqlite3 here) and open the chat",
    )
    demo.add_argument(
        "--as", dest="as_name", metavar="NAME", help=f"chat as NAME (the demo's {PERSONA.user})"
    )
    demo.set_defaults(run=run_demo)
    console = sub.add_parser("console", help="open the chat on stdin/stdout on DATABASE_URL")
    console.add_argument("--as", dest="as_name", metavar="NAME", help="chat as NAME")
    console.set_defaults(run=run_console)


async def chat(services: Services, name: str | None, banner: str | None) -> None:
    console = ConsoleChat(services, console_actor(name))
    async with console_delivery(services, console):
        await console.run(banner=banner)


async def run_demo(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    async with running(settings, clock) as services:
        result = await seed_demo(services.store, now=clock())
        sam = await seed_persona(services.store, now=clock())
        banner = (
            f"udx-bot demo: {result.cities} cities, {result.partnerships} partnerships, "
            f"demo participants seeded ({result.participants_added} new).\n"
            "Type /help to begin, /start to set up your profile; end with Ctrl-D."
        )
        if args.as_name != PERSONA.user:
            banner += (
                f"\nTry an introduction: {sam.name} ({sam.city_name}) is number {sam.id} "
                f"(/intro {sam.id}); `udx-bot demo --as {PERSONA.user}` opens the chat as "
                f"{sam.name}, who then sees your request."
            )
        await chat(services, args.as_name, banner)
    return 0


async def run_console(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    async with running(settings, clock) as services:
        banner = "udx-bot console. Type /help to begin; end with Ctrl-D."
        await chat(services, args.as_name, banner if sys.stdin.isatty() else None)
    return 0
