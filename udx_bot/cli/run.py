"""``udx-bot run`` (everything in one process), ``udx-bot web`` and ``udx-bot worker`` (the
Procfile's processes); what each starts: udx_bot/runner.py."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from udx_bot import runner
from udx_bot.clock import Clock
from udx_bot.config import Settings

PROCESSES = (
    (
        "run",
        runner.ALL,
        "run the bot on every platform whose settings are present (Telegram, Slack), "
        "with the outbox worker and the digest scheduler, in one process",
    ),
    (
        "web",
        runner.WEB,
        "the web process: the HTTP server on $PORT (Slack events, the Telegram webhook, "
        "/healthz, /metrics)",
    ),
    (
        "worker",
        runner.WORKER,
        "the worker process: outbox, scheduler, Telegram long polling (no webhook set), "
        "Slack Socket Mode",
    ),
)


def register(sub: Any) -> None:
    for name, roles, help in PROCESSES:
        parser = sub.add_parser(name, help=help)
        parser.set_defaults(run=run_bot, roles=roles, log_level=logging.INFO)


async def run_bot(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    return await runner.run(settings, clock, args.roles)
