"""Sending on Telegram: the :class:`~udx_bot.delivery.Transport` on python-telegram-bot's ``Bot``,
used by the adapter (``telegram.py``) for its answers and by the outbox worker.

Replies render with :mod:`udx_bot.platforms.telegram_render` (HTML parse mode, inline keyboards,
splitting); link previews are off (``link_preview_options``); a prompt gets a ``ForceReply``
(its label as placeholder) when its message has no inline keyboard; a document goes with
``sendDocument``; an edit is ``editMessageText`` ("message is not modified" counts as done); a
notice is the answer to the button press (``answerCallbackQuery``, a toast).

Every call's failure maps to the delivery contract:

* ``RetryAfter`` (429) -> ``TransientError(retry_after=…)``; with ``max_retry_wait`` (the
  adapter's, a few seconds) a short wait is waited out once in place instead;
* ``Forbidden`` (403, "bot was blocked by the user", "user is deactivated") -> ``PermanentError``;
* ``BadRequest`` "chat not found" / "user not found" -> ``PermanentError``; any other
  ``BadRequest`` (the message itself was refused) -> ``PermanentError(block_recipient=False)``;
* certainly not delivered, so worth sending again -> ``TransientError``: no connection was
  made (connect error or timeout, a full pool), a 5xx whose body is empty or Telegram's own
  error answer, ``InvalidToken`` and other refusals;
* perhaps delivered -> ``UncertainDelivery`` (never sent again): the request went out and the
  answer was lost (read timeout, the connection dropped) or could not be read (a 2xx that is not
  a Bot API answer, a 5xx with some other body, say a proxy's page).

Which of the two is decided from what actually came back over HTTP: :class:`NotingRequest` notes
each response's status and body for the call in progress (a context variable, so concurrent
calls do not mix). The Bot API base URL comes from ``TELEGRAM_API_BASE_URL``, so a self-hosted
Bot API server or a fake in tests is honoured.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from udx_bot.config import Settings
from udx_bot.delivery import PermanentError, Target, TransientError, UncertainDelivery
from udx_bot.platforms import telegram_render
from udx_bot.platforms.telegram_render import Keyboard, TelegramMessage
from udx_bot.types import Document, Reply, Section

log = logging.getLogger(__name__)

T = TypeVar("T")
PLATFORM = "telegram"
MAX_PLACEHOLDER = 64  # ForceReply.input_field_placeholder, characters
MAX_CALLBACK_ANSWER = 200  # answerCallbackQuery text, characters
_RECIPIENT_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

# Not sent at all: httpx never had a connection to send the request on.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
Answer = tuple[int, bytes]  # HTTP status and body of the last response
_ANSWER: ContextVar[list[Answer] | None] = ContextVar("telegram_answer", default=None)


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


# --- what came back, and what it means ----------------------------------------------------------


class NotingRequest(HTTPXRequest):
    """PTB's HTTPX request that notes what came back, for :func:`map_error`. Every ``Bot`` a
    transport sends with uses one (the adapter's ``Application`` included)."""

    async def do_request(self, *args: Any, **kwargs: Any) -> Answer:
        code, payload = await super().do_request(*args, **kwargs)
        noted = _ANSWER.get()
        if noted is not None:
            noted.append((code, payload))
        return code, payload


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _error_answer(payload: bytes) -> bool:
    """An empty body or the Bot API's own ``{"ok": false, ...}``: the platform said no."""
    if not payload.strip():
        return True
    try:
        data = json.loads(payload)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("ok") is False


def map_error(
    error: Exception, answer: Answer | None = None
) -> TransientError | PermanentError | UncertainDelivery:
    """What a failed call means for delivery; ``answer`` is the HTTP response that came back
    for it (None: none did)."""
    message = f"{type(error).__name__}: {error}"
    if isinstance(error, RetryAfter):
        return TransientError(f"telegram 429: {error}", _seconds(error.retry_after))
    if isinstance(error, Forbidden):
        return PermanentError(f"telegram 403: {error}")
    if isinstance(error, BadRequest):
        gone = any(p in str(error).lower() for p in _RECIPIENT_GONE)
        return PermanentError(f"telegram 400: {error}", block_recipient=gone)
    if answer is None:
        if isinstance(error.__cause__, _NOT_SENT):
            return TransientError(f"telegram: not sent: {message}")
        return UncertainDelivery(f"telegram: sent, no answer: {message}")
    code, payload = answer
    if 200 <= code < 300:
        return UncertainDelivery(f"telegram {code}, answer unreadable: {message}")
    if code >= 500 and not _error_answer(payload):
        return UncertainDelivery(f"telegram {code}, answer unreadable: {message}")
    return TransientError(f"telegram {code}: {message}")


# --- rendering helpers --------------------------------------------------------------------------


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


def render(reply: Reply) -> list[TelegramMessage]:
    """The reply's messages; a prompt without text shows its title and label."""
    rendered = telegram_render.render(reply)
    if not rendered and reply.prompt is not None and reply.document is None:
        prompt = reply.prompt
        rendered = telegram_render.render(
            Reply(sections=[Section(prompt.label, heading=prompt.title or None)])
        )
    return rendered


Markup = InlineKeyboardMarkup | ForceReply | None
PHOTO_TYPES = frozenset({"image/png", "image/jpeg"})  # sent with sendPhoto, not as files


@dataclass(frozen=True)
class TelegramPart:
    """One Bot API call of a send: an HTML text with its markup, or a document."""

    text: str = ""
    markup: Markup = None
    document: Document | None = None


# --- the transport ------------------------------------------------------------------------------


class TelegramTransport:
    """Sends with ``bot`` (give it a :class:`NotingRequest`); see the module notes."""

    platform = PLATFORM

    def __init__(self, bot: Bot, *, max_retry_wait: float = 0.0, owns_bot: bool = True) -> None:
        self.bot = bot
        self.max_retry_wait = max_retry_wait
        self._owns_bot = owns_bot  # else the Application initializes and shuts the bot down
        self._ready = not owns_bot
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, pool_size: int = 64, read_timeout: float = 15.0
    ) -> TelegramTransport | None:
        """A transport with a ``Bot`` of its own (the outbox worker's); None without a token."""
        if not settings.telegram_bot_token:
            return None
        request = NotingRequest(
            connection_pool_size=pool_size, read_timeout=read_timeout, connect_timeout=10.0
        )
        base, files = api_urls(settings)
        bot = Bot(settings.telegram_bot_token, base_url=base, base_file_url=files, request=request)
        return cls(bot)

    async def _initialize(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                try:
                    await self.bot.initialize()
                except TelegramError as error:
                    raise TransientError(f"telegram: getMe failed: {error}") from error
                self._ready = True

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        """One Bot API call, its failure mapped to the delivery contract (see the module)."""
        await self._initialize()
        try:
            return await self._noted(make)
        except TransientError as error:
            wait = error.retry_after
            if not self.max_retry_wait or wait is None or wait > self.max_retry_wait:
                raise
            await asyncio.sleep(wait)  # a short flood wait: once, in place
            return await self._noted(make)

    @staticmethod
    async def _noted(make: Callable[[], Awaitable[T]]) -> T:
        noted: list[Answer] = []
        token = _ANSWER.set(noted)
        try:
            return await make()
        except (TelegramError, KeyError, TypeError, ValueError) as error:
            # KeyError & co: PTB could not make a Message of a 2xx answer
            if not isinstance(error, TelegramError) and not noted:
                raise
            raise map_error(error, noted[-1] if noted else None) from error
        finally:
            _ANSWER.reset(token)

    async def send_text(
        self, chat_id: str, text: str, markup: Markup = None, *, quote: str | None = None
    ) -> None:
        """One HTML message (``quote``: the message id it answers, shown as quoted)."""
        await self._call(
            lambda: self.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
                reply_parameters=ReplyParameters(int(quote)) if quote else None,
            )
        )

    async def send_link(self, to: Target, text: str, label: str, url: str) -> None:
        """Plain ``text`` with one button that opens ``url``, quoting ``to.message_id``."""
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
        chat = to.chat_id or to.user_id
        await self.send_text(chat, telegram_render.escape(text), markup, quote=to.message_id)

    # Transport ---------------------------------------------------------------------------------
    def parts(self, replies: Sequence[Reply]) -> list[TelegramPart]:
        found: list[TelegramPart] = []
        for reply in replies:
            rendered = render(reply)
            for index, message in enumerate(rendered):
                markup: Markup = inline_markup(message.keyboard)
                if markup is None and reply.prompt is not None and index == len(rendered) - 1:
                    placeholder = (reply.prompt.label or reply.prompt.title)[:MAX_PLACEHOLDER]
                    markup = ForceReply(input_field_placeholder=placeholder or None)
                found.append(TelegramPart(message.text, markup))
            if reply.document is not None:
                found.append(TelegramPart(document=reply.document))
        return found

    async def send_part(self, to: Target, part: TelegramPart) -> None:
        if part.document is not None:
            await self.send_document(to, part.document)
        else:
            await self.send_text(to.chat_id or to.user_id, part.text, part.markup)

    async def send(self, to: Target, replies: Sequence[Reply]) -> None:
        for part in self.parts(replies):
            await self.send_part(to, part)

    async def edit(self, to: Target, reply: Reply) -> bool:
        rendered = render(reply)
        if not rendered or to.message_id is None or to.chat_id is None:
            return False
        first, rest = rendered[0], rendered[1:]
        chat_id, message_id = to.chat_id, int(to.message_id)
        try:
            await self._call(
                lambda: self.bot.edit_message_text(
                    first.text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=inline_markup(first.keyboard) or InlineKeyboardMarkup([]),
                    link_preview_options=_NO_PREVIEW,
                )
            )
        except PermanentError as error:
            if error.block_recipient:
                raise
            if "not modified" not in str(error).lower():
                log.info("telegram: could not edit message, sending anew: %s", error)
                return False
        for part in rest:
            await self.send_text(chat_id, part.text, inline_markup(part.keyboard))
        if reply.document is not None:
            await self.send_document(to, reply.document)
        return True

    async def notify(self, to: Target, notice: Reply | None) -> None:
        """The answer to the press (a toast with the notice's text); without a press the notice
        is sent as a message."""
        if to.press_id is None:
            if notice is not None:
                await self.send(to, [notice])
            return
        text = notice.plain_text if notice is not None else ""
        if len(text) > MAX_CALLBACK_ANSWER:
            text = text[: MAX_CALLBACK_ANSWER - 1].rstrip() + "…"
        press_id = to.press_id
        await self._call(lambda: self.bot.answer_callback_query(press_id, text or None))

    async def send_document(self, to: Target, document: Document) -> None:
        """A file; a PNG or JPEG picture as a photo (``sendPhoto``), shown in the chat."""
        chat = to.chat_id or to.user_id
        if document.mime_type in PHOTO_TYPES:
            await self._call(
                lambda: self.bot.send_photo(
                    chat, InputFile(document.content, filename=document.filename)
                )
            )
            return
        await self._call(
            lambda: self.bot.send_document(
                chat, InputFile(document.content, filename=document.filename)
            )
        )

    async def close(self) -> None:
        if self._owns_bot and self._ready:
            await self.bot.shutdown()
            self._ready = False
