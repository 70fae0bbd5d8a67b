"""Delivering outbox messages on Telegram: a :class:`~udx_bot.delivery.Sender` on
python-telegram-bot's ``Bot``.

Replies render with :func:`udx_bot.platforms.telegram_render.render` (HTML parse mode, inline
keyboards); PTB's errors map to the delivery contract:

* ``RetryAfter`` (429) -> ``TransientError(retry_after=…)``;
* ``Forbidden`` (403, "bot was blocked by the user", "user is deactivated") -> ``PermanentError``;
* ``BadRequest`` "chat not found" / "user not found" -> ``PermanentError``; any other
  ``BadRequest`` (the message itself was refused) -> ``PermanentError(block_recipient=False)``;
* certainly not delivered, so worth sending again -> ``TransientError``: no connection was
  made (connect error or timeout, a full pool), a 5xx whose body is empty or Telegram's own
  error answer, ``InvalidToken`` and other refusals;
* perhaps delivered -> ``UncertainDelivery`` (never sent again): the request went out and the
  answer was lost (read timeout, the connection dropped) or could not be read (a 2xx that is not
  a Bot API answer, a 5xx with some other body, say a proxy's page).

Which of the two is decided from what actually came back over HTTP: the sender's request class
notes each response's status and body for the call in progress (a context variable, so
concurrent deliveries do not mix).

The Bot API base URL comes from ``TELEGRAM_API_BASE_URL`` (settings.telegram_api_base_url), so a
self-hosted Bot API server or a fake in tests is honoured.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from udx_bot.config import Settings
from udx_bot.delivery import PermanentError, TransientError, UncertainDelivery
from udx_bot.platforms.telegram import api_urls, inline_markup
from udx_bot.platforms.telegram_render import render
from udx_bot.types import Reply

_RECIPIENT_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# Not sent at all: httpx never had a connection to send the request on.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
Answer = tuple[int, bytes]  # HTTP status and body of the last response
_ANSWER: ContextVar[list[Answer] | None] = ContextVar("telegram_answer", default=None)


class _NotingRequest(HTTPXRequest):
    """PTB's HTTPX request that notes what came back, for :func:`map_error`."""

    async def do_request(self, *args: Any, **kwargs: Any) -> Answer:
        code, payload = await super().do_request(*args, **kwargs)
        noted = _ANSWER.get()
        if noted is not None:
            noted.append((code, payload))
        return code, payload


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


class TelegramSender:
    platform = "telegram"

    def __init__(self, token: str, base_url: str, *, pool_size: int = 64) -> None:
        request = _NotingRequest(
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
        except TelegramError as error:
            raise TransientError(f"telegram: getMe failed: {error}") from error
        noted: list[Answer] = []
        token = _ANSWER.set(noted)
        try:
            for reply in replies:
                rendered = render(reply)  # before any call: a rendering bug sends nothing
                for message in rendered:
                    noted.clear()
                    await self.bot.send_message(
                        target,
                        message.text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=inline_markup(message.keyboard),
                        disable_web_page_preview=True,
                    )
                if reply.document is not None:
                    doc = reply.document
                    noted.clear()
                    await self.bot.send_document(
                        target,
                        InputFile(doc.content, filename=doc.filename),
                    )
        except (TelegramError, KeyError, TypeError, ValueError) as error:
            # KeyError & co: PTB could not make a Message of a 2xx answer
            if not isinstance(error, TelegramError) and not noted:
                raise
            raise map_error(error, noted[-1] if noted else None) from error
        finally:
            _ANSWER.reset(token)

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False
