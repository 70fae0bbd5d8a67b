"""The outbox worker for ``udx-bot run``: one :class:`~udx_bot.outbox_worker.Route` per
configured platform, its transport and its rate limits. The only place that knows which
platforms the worker sends to; the worker itself knows none.

* Telegram (``TELEGRAM_BOT_TOKEN``): ``UDX_TELEGRAM_RATE`` messages/s over all chats (default
  30, the Bot API's broadcast limit) and :data:`TELEGRAM_PER_CHAT_RATE` per chat;
* Slack (``SLACK_BOT_TOKEN``): ``UDX_SLACK_RATE`` messages/s per channel (default 1), no
  overall limit;
* the console (``udx-bot console`` / ``demo``, not ``udx-bot run``): a worker of its own in the
  console's process, reaching only the person at the keyboard (:func:`console_delivery`).

The platform libraries are imported only for the platforms that are configured.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.outbox_worker import OutboxWorker, Route, create_worker
from udx_bot.platforms.console import ConsoleChat
from udx_bot.platforms.console_transport import ConsoleTransport

TELEGRAM_PER_CHAT_RATE = 1.0  # the Bot API's limit for one chat
CONSOLE_ROUNDS = 10  # batches delivered to the console at a time, at most


def routes(settings: Settings) -> dict[str, Route]:
    """A route for every platform whose token is configured."""
    found: dict[str, Route] = {}
    if settings.telegram_bot_token:
        from udx_bot.platforms.telegram_transport import TelegramTransport

        telegram = TelegramTransport.from_settings(settings)
        if telegram is not None:
            found[telegram.platform] = Route(
                telegram, rate=settings.telegram_rate, per_chat_rate=TELEGRAM_PER_CHAT_RATE
            )
    if settings.slack_bot_token:
        from udx_bot.platforms.slack_transport import SlackTransport

        slack = SlackTransport.from_settings(settings)
        if slack is not None:
            found[slack.platform] = Route(slack, per_chat_rate=settings.slack_rate)
    return found


def outbox_service(services: Services) -> OutboxWorker | None:
    """The ``udx-bot run`` factory (see udx_bot/runner.py WORKERS): a worker for the
    configured platforms, None when there is none."""
    return create_worker(services, routes(services.settings))


@asynccontextmanager
async def console_delivery(services: Services, chat: ConsoleChat) -> AsyncIterator[None]:
    """Deliver what the outbox holds for the person at the console: a worker whose only route
    is the console's, reaching ``chat.actor`` alone, drained when the chat opens and after every
    line (``chat.deliver``), stopped when the chat ends."""
    transport = ConsoleTransport(chat.actor.user_id, chat.show)
    route = Route(transport, only_to=frozenset({chat.actor.user_id}))
    worker = OutboxWorker(services.store, {transport.platform: route}, clock=services.clock)

    async def deliver() -> int:
        sent = 0
        for _ in range(CONSOLE_ROUNDS):  # a row that fails is retried later, not at once
            result = await worker.drain_once()
            sent += result.sent
            if not result.claimed:
                break
        return sent

    chat.deliver = deliver
    try:
        yield
    finally:
        chat.deliver = None
        await worker.stop()
