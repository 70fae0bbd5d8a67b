"""The bot on Telegram: python-telegram-bot's ``Application``, long polling or a webhook.

``udx-bot run`` starts it when ``TELEGRAM_BOT_TOKEN`` is set (see :func:`service`)::

    TELEGRAM_BOT_TOKEN=123:abc udx-bot run                     # long polling, no public URL
    TELEGRAM_WEBHOOK_URL=https://bot.example/telegram/webhook \\
    TELEGRAM_WEBHOOK_SECRET=s3cret TELEGRAM_BOT_TOKEN=123:abc udx-bot run   # webhook on $PORT

Three modules make the adapter: this one runs the service (start, stop, webhook, command menu);
:mod:`~udx_bot.platforms.telegram_updates` turns updates into the router's
:class:`~udx_bot.types.Incoming` and hands the replies to
:mod:`~udx_bot.platforms.telegram_transport`, which renders them
(:mod:`~udx_bot.platforms.telegram_render`) and sends them, as it sends the outbox's messages.

Every update goes through the router's chain with its ``update_id``: a repeated update is
handled once, and one that failed (the webhook answered 500) is handled again when Telegram
retries it. ``TELEGRAM_API_BASE_URL`` (a self-hosted Bot API server) is honoured by every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.constants import UpdateType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.i18n import LANGUAGES, Translator
from udx_bot.platforms.telegram_transport import NotingRequest, TelegramTransport, api_urls
from udx_bot.platforms.telegram_updates import UpdateHandlers

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = (UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY)
POLL_TIMEOUT = dtm.timedelta(seconds=25)  # long polling; stop() cancels a poll in flight
MAX_COMMANDS = 100  # setMyCommands accepts at most 100
MAX_DESCRIPTION = 256  # BotCommand description, characters
MAX_RETRY_WAIT = 5.0  # seconds a reply may wait once for Telegram's 429 before giving up
CONNECTION_POOL_SIZE = 256  # PTB's own default for an Application's bot
_COMMAND_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


def build_application(settings: Settings) -> TelegramApp:
    """The PTB ``Application`` (no handlers yet) for ``TELEGRAM_BOT_TOKEN``."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    base, files = api_urls(settings)
    return (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(base)
        .base_file_url(files)
        .request(NotingRequest(connection_pool_size=CONNECTION_POOL_SIZE))  # see the transport
        .job_queue(None)  # scheduling is udx_bot.scheduler's job, for every platform
        .build()
    )


# --- the command menu ---------------------------------------------------------------------------


def bot_commands(services: Services, language: str) -> list[BotCommand]:
    """The command menu in ``language``: the router's menu routes with translated help."""
    t = Translator(language)
    commands = []
    for route in services.router.menu():
        name = route.name.lower()
        if not 1 <= len(name) <= 32 or not set(name) <= _COMMAND_NAME_CHARS:
            continue  # Telegram accepts only [a-z0-9_]{1,32}
        description = (t._(route.help) if route.help else "").strip() or f"/{name}"
        if len(description) > MAX_DESCRIPTION:
            description = description[: MAX_DESCRIPTION - 1].rstrip() + "…"
        commands.append(BotCommand(name, description))
    return commands[:MAX_COMMANDS]


# --- the service --------------------------------------------------------------------------------


class TelegramService:
    """The Telegram adapter as a :class:`~udx_bot.service.Service` for ``udx-bot run``."""

    name = "telegram"

    def __init__(
        self,
        services: Services,
        application: TelegramApp | None = None,
        *,
        poll_timeout: dtm.timedelta = POLL_TIMEOUT,
    ) -> None:
        self.services = services
        settings = services.settings
        self.application = application or build_application(settings)
        self.webhook_url = settings.telegram_webhook_url
        self.webhook_secret = settings.telegram_webhook_secret
        self.poll_timeout = poll_timeout
        self._accepting = False  # webhook requests are processed only while running
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._failed: set[int] = set()  # update ids whose handling raised (webhook answers 500)
        # the Application initializes and shuts down its bot; replies wait out a short 429
        self.transport = TelegramTransport(
            self.application.bot, max_retry_wait=MAX_RETRY_WAIT, owns_bot=False
        )
        self.updates = UpdateHandlers(services, self.transport)
        self.updates.register(self.application)
        self.application.add_error_handler(self._on_error)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url and self.webhook_secret)

    @property
    def exclusive(self) -> bool:
        """Long polling: one process of a deployment at a time (the runner sees to it)."""
        return not self.webhook_mode

    # Service --------------------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self.handle_webhook)] if self.webhook_mode else []

    async def start(self) -> None:
        _quiet_http_logs()
        try:
            await self._start()
        except BaseException:
            with contextlib.suppress(Exception):
                await self.stop()
            raise

    async def _start(self) -> None:
        app = self.application
        await app.initialize()  # getMe: fails early on a refused token
        if app.bot.username:
            self.services.bot_names["telegram"] = app.bot.username
        await self.register_commands()
        await app.start()
        if self.webhook_mode:
            assert self.webhook_url is not None
            await app.bot.set_webhook(
                self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            self._accepting = True
            log.info("telegram: receiving updates on the webhook %s", WEBHOOK_PATH)
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=self.poll_timeout,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
            )
            log.info("telegram: long polling as @%s", app.bot.username)

    async def stop(self) -> None:
        """Stop fetching, finish every update already fetched, then shut down.

        Polling: ``Updater.stop`` cancels the long poll and confirms the offset of the updates
        already fetched; ``Application.stop`` then processes all of them before it returns.
        Webhook: new requests get 503 (Telegram retries them later) while those in flight finish.
        """
        app = self.application
        self._accepting = False
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await self._idle.wait()
        if app.running:
            await app.stop()
        await app.shutdown()
        # If initialize() failed half-way (a refused token), Application.shutdown skipped the
        # bot; this closes its HTTP clients (and does nothing when they are closed already).
        await app.bot.shutdown()

    async def register_commands(self) -> None:
        """The command menu for the default, German and English language codes."""
        bot = self.application.bot
        default = self.services.settings.default_language
        try:
            await bot.set_my_commands(bot_commands(self.services, default))
            for language in LANGUAGES:
                await bot.set_my_commands(
                    bot_commands(self.services, language), language_code=language
                )
        except TelegramError as error:  # the bot works without a menu
            log.warning("telegram: could not register the command menu: %s", error)

    # Webhook ----------------------------------------------------------------------------------
    async def handle_webhook(self, request: web.Request) -> web.Response:
        """``POST /telegram/webhook``: 403 without the right secret; 200 once processed."""
        secret = self.webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        if not self._accepting:
            return web.Response(status=503, text="not running")  # Telegram retries later
        limit = request.client_max_size
        if request.content_length is not None and request.content_length > limit:
            log.warning("telegram: webhook request of %d bytes refused", request.content_length)
            return web.Response(status=413, text="too large")
        try:
            body = await request.read()  # stops with 413 once a streamed body passes the limit
        except web.HTTPRequestEntityTooLarge:
            log.warning("telegram: webhook request over %d bytes refused", limit)
            refused = web.Response(status=413, text="too large")
            refused.force_close()  # the rest of the body is never read: end the connection
            return refused
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, self.application.bot)
        except Exception:
            log.warning("telegram: webhook request with an unreadable body")
            return web.Response(status=400, text="bad update")
        self._in_flight += 1
        self._idle.clear()
        try:
            await self.application.process_update(update)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        if update.update_id in self._failed:
            self._failed.discard(update.update_id)
            return web.Response(status=500, text="failed")
        return web.Response(text="ok")

    # Errors ---------------------------------------------------------------------------------
    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            if self.webhook_mode:  # read (and forgotten) by handle_webhook
                self._failed.add(update.update_id)
            log.error(
                "telegram: handling update %s failed", update.update_id, exc_info=context.error
            )
        else:
            log.error("telegram: error outside an update", exc_info=context.error)


def _quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and a Bot API URL contains the token."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def service(services: Services) -> TelegramService | None:
    """The factory ``udx-bot run`` calls: None without ``TELEGRAM_BOT_TOKEN``."""
    if not services.settings.telegram_bot_token:
        return None
    return TelegramService(services)
