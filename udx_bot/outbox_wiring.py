"""The outbox worker for ``udx-bot run``: one :class:`~udx_bot.outbox_worker.Route` per
configured platform, its transport and its rate limits. The only place that knows which
platforms the worker sends to; the worker itself knows none.

* Telegram (``TELEGRAM_BOT_TOKEN``): ``UDX_TELEGRAM_RATE`` messages/s over all chats (default
  30, the Bot API's broadcast limit) and :data:`TELEGRAM_PER_CHAT_RATE` per chat;
* Slack (``SLACK_BOT_TOKEN``): ``UDX_SLACK_RATE`` messages/s per channel (default 1), no
  overall limit.

The platform libraries are imported only for the platforms that are configured.
"""

from __future__ import annotations

from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.outbox_worker import OutboxWorker, Route, create_worker

TELEGRAM_PER_CHAT_RATE = 1.0  # the Bot API's limit for one chat


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
