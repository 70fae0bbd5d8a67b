"""``udx-bot run``: the bot on every configured platform, with its background workers."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.runner import run


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "run",
        help="run the bot on every platform whose settings are present (Telegram, Slack), "
        "with the outbox worker and the digest scheduler",
    )
    parser.set_defaults(run=run_bot, log_level=logging.INFO)


async def run_bot(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    return await run(settings, clock)
