"""``udx-bot demo`` and ``udx-bot console``: the chat on stdin/stdout."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from udx_bot.app import running
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.demo import seed_demo
from udx_bot.platforms.console import ConsoleChat, console_actor


def register(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="seed a demo network into DATABASE_URL (default udx.sqlite3 here) and open the chat",
    )
    demo.add_argument("--as", dest="as_name", metavar="NAME", help="chat as NAME")
    demo.set_defaults(run=run_demo)
    console = sub.add_parser("console", help="open the chat on stdin/stdout on DATABASE_URL")
    console.add_argument("--as", dest="as_name", metavar="NAME", help="chat as NAME")
    console.set_defaults(run=run_console)


async def run_demo(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    async with running(settings, clock) as services:
        result = await seed_demo(services.store, now=clock())
        banner = (
            f"udx-bot demo: {result.cities} cities, {result.partnerships} partnerships, "
            f"demo participants seeded ({result.participants_added} new).\n"
            "Type /help to begin, /start to set up your profile; end with Ctrl-D."
        )
        await ConsoleChat(services, console_actor(args.as_name)).run(banner=banner)
    return 0


async def run_console(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    async with running(settings, clock) as services:
        banner = "udx-bot console. Type /help to begin; end with Ctrl-D."
        await ConsoleChat(services, console_actor(args.as_name)).run(
            banner=banner if sys.stdin.isatty() else None
        )
    return 0
