"""Many people at once: python-telegram-bot's ``concurrent_updates`` with an update processor
that keeps each chat in order.

:class:`ChatOrderedProcessor` processes updates of different chats concurrently and those of one
chat one after the other, in the order they arrived: a second button press never overtakes the
first, a wizard never sees its steps swapped. PTB's own semaphore bounds the updates in flight
(``UDX_CONCURRENT_UPDATES``, 64 by default); an update waiting for its chat's previous one counts
towards that bound, so one chat never has more than the bound waiting.

The order is fixed when PTB hands the update over (its fetcher starts one task per update in
the order the updates arrived; the webhook calls :meth:`process_update` per request): each update
of a chat waits for the one handed over before it, a chain of futures per chat that is dropped
as soon as the chat has nothing in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

DEFAULT_CONCURRENT_UPDATES = 64


def chat_key(update: object) -> Hashable | None:
    """The chat whose order ``update`` belongs to (the sender's, without a chat); None: none."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Different chats concurrently, one chat in arrival order (see the module)."""

    __slots__ = ("_tails",)

    def __init__(self, max_concurrent_updates: int = DEFAULT_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        # per chat: the future the next update of that chat waits for
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    @property
    def chats_in_flight(self) -> int:
        """Chats with an update in progress or waiting (a snapshot)."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        # no await between reading and replacing the tail: the chain follows the hand-over order
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        started = False
        try:
            if previous is not None and not previous.done():
                await asyncio.wait((previous,))  # never cancels the previous update's future
            started = True
            await coroutine
        finally:
            if not started:
                _close(coroutine)  # cancelled while waiting: it never runs
            _release(key, previous, done, self._tails)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB awaits every update it handed over before shutting down."""


def _release(
    key: Hashable,
    previous: asyncio.Future[None] | None,
    done: asyncio.Future[None],
    tails: dict[Hashable, asyncio.Future[None]],
) -> None:
    """Let the chat's next update go; if this one was cancelled before its predecessor ended,
    the next still waits for that predecessor."""

    def finish(_: object = None) -> None:
        if not done.done():
            done.set_result(None)
        if tails.get(key) is done:
            del tails[key]

    if previous is None or previous.done():
        finish()
    else:
        previous.add_done_callback(finish)


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if callable(close):
        close()
