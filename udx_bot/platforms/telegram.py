"""The bot on Telegram: python-telegram-bot's ``Application``, long polling or a webhook.

``udx-bot run`` starts it when ``TELEGRAM_BOT_TOKEN`` is set (see :func:`service`)::

    TELEGRAM_BOT_TOKEN=123:abc udx-bot run                     # long polling, no public URL
    TELEGRAM_WEBHOOK_URL=https://bot.example/telegram/webhook \\
    TELEGRAM_WEBHOOK_SECRET=s3cret TELEGRAM_BOT_TOKEN=123:abc udx-bot run   # webhook on $PORT

The adapter only translates: a private text message or a button press becomes a neutral
:class:`~udx_bot.types.Incoming` for the router, and the router's :class:`~udx_bot.types.Reply`
objects are rendered by :mod:`udx_bot.platforms.telegram_render` (HTML, inline keyboards,
splitting) and sent natively:

* ``Reply.edit`` after a button press edits the pressed message (``editMessageText``; "message is
  not modified" is ignored; a message that cannot be edited gets a new message instead);
* every callback query is answered, even when handling it failed, so the client's spinner stops;
  a ``Reply.notify`` notice becomes the text of that answer (a toast) and no message changes;
* ``Reply.document`` is sent with ``sendDocument``; ``Reply.prompt`` shows its text, with a
  ``ForceReply`` (the prompt's label as placeholder) when the message has no inline keyboard;
* group chats: the bot answers a command with a localized request to talk privately (a button
  opens the private chat) and ignores everything else there; nothing is stored;
* every update goes through the router's chain with its ``update_id`` (those the adapter answers
  in its own words, group commands and non-text messages, via ``dispatch(answer=...)``): a
  repeated update is handled once, and one that failed (the webhook answered 500) is handled
  again when Telegram retries it.

``TELEGRAM_API_BASE_URL`` (a self-hosted Bot API server) is honoured by every call; use
:func:`api_urls` / :func:`build_bot` elsewhere for the same URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode, UpdateType
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.i18n import LANGUAGES, N_, Translator
from udx_bot.platforms import telegram_render
from udx_bot.platforms.telegram_render import Keyboard
from udx_bot.types import Actor, Incoming, Reply, Section

log = logging.getLogger(__name__)

T = TypeVar("T")
PLATFORM = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = (UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY)
POLL_TIMEOUT = dtm.timedelta(seconds=25)  # long polling; stop() cancels a poll in flight
MAX_COMMANDS = 100  # setMyCommands accepts at most 100
MAX_DESCRIPTION = 256  # BotCommand description, characters
MAX_PLACEHOLDER = 64  # ForceReply.input_field_placeholder, characters
MAX_RETRY_WAIT = 5.0  # seconds a reply may wait once for Telegram's 429 before giving up
MAX_CALLBACK_ANSWER = 200  # answerCallbackQuery text, characters
_COMMAND_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")

_TALK_PRIVATELY = N_(
    "I only work in a private chat, so your profile and notes stay between us. "
    "Please write to me directly: tap the button below and send /start."
)
_OPEN_PRIVATE_CHAT = N_("Open a private chat")
_TEXT_ONLY = N_("I can only read text messages. Send /help to see what I can do.")

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


# --- URLs ---------------------------------------------------------------------------------------


def file_url_for(base_url: str) -> str:
    """The file URL that goes with a Bot API URL: ``https://host/bot`` -> ``https://host/file/bot``
    (a self-hosted server serves files the same way)."""
    base = base_url.rstrip("/")
    scheme, sep, rest = base.partition("://")
    host, slash, path = rest.partition("/")
    if not slash:
        return f"{base}/file/bot"
    head, _, last = path.rpartition("/")
    prefix = f"{scheme}{sep}{host}/{head}/" if head else f"{scheme}{sep}{host}/"
    return f"{prefix}file/{last}"


def api_urls(settings: Settings) -> tuple[str, str]:
    """``(base_url, base_file_url)`` for PTB from ``TELEGRAM_API_BASE_URL``."""
    base = settings.telegram_api_base_url.rstrip("/")
    return base, file_url_for(base)


def build_bot(settings: Settings) -> Bot:
    """A plain PTB ``Bot`` talking to ``TELEGRAM_API_BASE_URL`` (for senders and CLI tools)."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    base, files = api_urls(settings)
    return Bot(settings.telegram_bot_token, base_url=base, base_file_url=files)


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
        .job_queue(None)  # scheduling is udx_bot.scheduler's job, for every platform
        .build()
    )


# --- translation: Telegram -> neutral -----------------------------------------------------------


def actor_of(user: User, chat_id: int | None) -> Actor:
    return Actor(
        PLATFORM,
        str(user.id),
        display_name=user.full_name,
        username=user.username,
        language_code=user.language_code,
        chat_id=str(chat_id if chat_id is not None else user.id),
    )


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
        app = self.application
        private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
        app.add_handler(MessageHandler(private & filters.TEXT, self._on_text))
        app.add_handler(MessageHandler(private & ~filters.TEXT, self._on_other))
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.ChatType.GROUPS & filters.COMMAND,
                self._on_group_command,
            )
        )
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_error_handler(self._on_error)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url and self.webhook_secret)

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
        try:
            data = await request.json()
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

    # Handlers -------------------------------------------------------------------------------
    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        chat_id = message.chat_id
        incoming = Incoming(
            actor_of(user, chat_id), text=message.text, update_id=str(update.update_id)
        )
        await self.services.router.dispatch(
            self.services, incoming, lambda replies: self.deliver(chat_id, replies)
        )

    async def _on_callback(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        notices: list[str] = []
        try:
            pressed = query.message if isinstance(query.message, Message) else None
            if pressed is not None and pressed.chat.type != ChatType.PRIVATE:
                return  # the bot never sends buttons to groups
            chat_id = pressed.chat_id if pressed is not None else query.from_user.id
            incoming = Incoming(
                actor_of(query.from_user, chat_id),
                callback=query.data or "",
                update_id=str(update.update_id),
            )
            await self.services.router.dispatch(
                self.services,
                incoming,
                lambda replies: self.deliver(chat_id, replies, pressed=pressed, notices=notices),
            )
        finally:
            notice = "\n".join(notices)
            if len(notice) > MAX_CALLBACK_ANSWER:
                notice = notice[: MAX_CALLBACK_ANSWER - 1].rstrip() + "…"
            try:
                await query.answer(notice or None)  # a repeated press too: its spinner stops
            except TelegramError as error:  # too old, or answered before (a repeated update)
                log.debug("telegram: could not answer a callback query: %s", error)

    async def _on_other(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker, voice message… in a private chat: say what the bot understands."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        chat_id = message.chat_id
        actor = actor_of(user, chat_id)

        async def text_only() -> list[Reply]:
            t = await self.services.translator_for_actor(actor)
            return [Reply.text(t._(_TEXT_ONLY))]

        await self.services.router.dispatch(
            self.services,
            Incoming(actor, update_id=str(update.update_id)),
            lambda replies: self.deliver(chat_id, replies),
            answer=text_only,
        )

    async def _on_group_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a group: ask to talk privately (the features are personal)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        actor = actor_of(user, None)

        async def talk_privately() -> list[Reply]:
            t = await self.services.translator_for_actor(actor)
            username = self.application.bot.username
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(t._(_OPEN_PRIVATE_CHAT), url=f"https://t.me/{username}")]]
            )
            await self._call(
                lambda: message.reply_text(
                    telegram_render.escape(t._(_TALK_PRIVATELY)),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            )
            return []

        incoming = Incoming(actor, update_id=str(update.update_id))
        await self.services.router.dispatch(self.services, incoming, answer=talk_privately)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            if self.webhook_mode:  # read (and forgotten) by handle_webhook
                self._failed.add(update.update_id)
            log.error(
                "telegram: handling update %s failed", update.update_id, exc_info=context.error
            )
        else:
            log.error("telegram: error outside an update", exc_info=context.error)

    # Rendering ------------------------------------------------------------------------------
    async def deliver(
        self,
        chat_id: int,
        replies: Sequence[Reply],
        *,
        pressed: Message | None = None,
        notices: list[str] | None = None,
    ) -> None:
        """Send ``replies`` to ``chat_id``; the first ``edit`` reply replaces ``pressed``; a
        notice goes to ``notices`` (the callback answer) when given, else it is sent.

        A person who blocked the bot is logged and skipped; other Telegram errors propagate
        (the update counts as failed: logged, and a webhook request answers 500).
        """
        try:
            for reply in replies:
                if reply.notice and notices is not None:
                    notices.append(reply.plain_text)
                    continue
                if reply.edit and pressed is not None:
                    target, pressed = pressed, None
                    if await self._edit(target, reply):
                        continue
                await self._send(chat_id, reply)
        except Forbidden as error:
            log.info("telegram: chat %s refuses messages: %s", chat_id, error)

    async def _edit(self, message: Message, reply: Reply) -> bool:
        """Edit ``message`` into ``reply``; False when it cannot be edited (send anew)."""
        rendered = _render(reply)
        if not rendered or message.text is None:
            return False
        first, rest = rendered[0], rendered[1:]
        try:
            await self._call(
                lambda: message.edit_text(
                    first.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=inline_markup(first.keyboard) or InlineKeyboardMarkup([]),
                    link_preview_options=_NO_PREVIEW,
                )
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                log.info("telegram: could not edit message, sending anew: %s", error)
                return False
        chat_id = message.chat_id
        for part in rest:
            await self._send_text(chat_id, part.text, inline_markup(part.keyboard))
        await self._send_document(chat_id, reply)
        return True

    async def _send(self, chat_id: int, reply: Reply) -> None:
        rendered = _render(reply)
        for index, part in enumerate(rendered):
            markup: InlineKeyboardMarkup | ForceReply | None = inline_markup(part.keyboard)
            if markup is None and reply.prompt is not None and index == len(rendered) - 1:
                placeholder = (reply.prompt.label or reply.prompt.title)[:MAX_PLACEHOLDER]
                markup = ForceReply(input_field_placeholder=placeholder or None)
            await self._send_text(chat_id, part.text, markup)
        await self._send_document(chat_id, reply)

    async def _send_text(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | ForceReply | None
    ) -> None:
        bot = self.application.bot
        await self._call(
            lambda: bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )
        )

    async def _send_document(self, chat_id: int, reply: Reply) -> None:
        document = reply.document
        if document is None:
            return
        bot = self.application.bot
        await self._call(
            lambda: bot.send_document(
                chat_id, InputFile(document.content, filename=document.filename)
            )
        )

    @staticmethod
    async def _call(make: Callable[[], Awaitable[T]]) -> T:
        """One API call; after a short 429 it waits as told and tries once more."""
        try:
            return await make()
        except RetryAfter as error:
            wait = _seconds(error.retry_after)
            if wait > MAX_RETRY_WAIT:
                raise
            await asyncio.sleep(wait)
            return await make()


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _render(reply: Reply) -> list[telegram_render.TelegramMessage]:
    """The reply's messages; a prompt without text shows its title and label."""
    rendered = telegram_render.render(reply)
    if not rendered and reply.prompt is not None and reply.document is None:
        prompt = reply.prompt
        rendered = telegram_render.render(
            Reply(sections=[Section(prompt.label, heading=prompt.title or None)])
        )
    return rendered


def inline_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """The PTB inline keyboard for rendered rows of (label, callback data)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in keyboard
        ]
    )


def _seconds(value: object) -> float:
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


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
