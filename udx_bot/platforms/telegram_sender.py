"""Delivering outbox messages on Telegram: a :class:`~udx_bot.delivery.Sender` on
python-telegram-bot's ``Bot``.

Replies render with :func:`udx_bot.platforms.telegram_render.render` (HTML parse mode, inline
keyboards); PTB's errors map to the delivery contract:

* ``RetryAfter`` (429) -> ``TransientError(retry_after=…)``;
* ``Forbidden`` (403, "bot was blocked by the user", "user is deactivated") -> ``PermanentError``;
* ``BadRequest`` "chat not found" / "user not found" -> ``PermanentError``; any other
  ``BadRequest`` (the message itself was refused) -> ``PermanentError(block_recipient=False)``;
* ``TimedOut``, ``NetworkError`` (5xx, connection), ``InvalidToken`` and anything else from
  Telegram -> ``TransientError``.

The Bot API base URL comes from ``TELEGRAM_API_BASE_URL`` (settings.telegram_api_base_url), so a
self-hosted Bot API server or a fake in tests is honoured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from udx_bot.config import Settings
from udx_bot.delivery import PermanentError, TransientError
from udx_bot.platforms.telegram import api_urls, inline_markup
from udx_bot.platforms.telegram_render import render
from udx_bot.types import Reply

_RECIPIENT_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def map_error(error: TelegramError) -> TransientError | PermanentError:
    """PTB's exception -> the delivery contract's."""
    message = str(error)
    if isinstance(error, RetryAfter):
        return TransientError(f"telegram 429: {message}", _seconds(error.retry_after))
    if isinstance(error, Forbidden):
        return PermanentError(f"telegram 403: {message}")
    if isinstance(error, BadRequest):
        gone = any(p in message.lower() for p in _RECIPIENT_GONE)
        return PermanentError(f"telegram 400: {message}", block_recipient=gone)
    return TransientError(f"telegram: {type(error).__name__}: {message}")


class TelegramSender:
    platform = "telegram"

    def __init__(self, token: str, base_url: str, *, pool_size: int = 64) -> None:
        request = HTTPXRequest(
            connection_pool_size=pool_size, read_timeout=15.0, connect_timeout=10.0
        )
        self.bot = Bot(token, base_url=base_url, request=request)
        self._ready = False
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramSender | None:
        if not settings.telegram_bot_token:
            return None
        return cls(settings.telegram_bot_token, api_urls(settings)[0])

    async def _initialize(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                await self.bot.initialize()
                self._ready = True

    async def deliver(self, user_id: str, chat_id: str | None, replies: Sequence[Reply]) -> None:
        target = chat_id or user_id
        try:
            await self._initialize()
            for reply in replies:
                for message in render(reply):
                    await self.bot.send_message(
                        target,
                        message.text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=inline_markup(message.keyboard),
                        disable_web_page_preview=True,
                    )
                if reply.document is not None:
                    doc = reply.document
                    await self.bot.send_document(
                        target,
                        InputFile(doc.content, filename=doc.filename),
                    )
        except TelegramError as error:
            raise map_error(error) from error

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False
