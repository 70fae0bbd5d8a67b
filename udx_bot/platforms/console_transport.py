"""Sending to the console: the :class:`~udx_bot.delivery.Transport` the outbox worker uses for
messages queued for a console identity (an introduction request, its answer, an announcement).

A console person is reached only while they have the console open, so the console's route
reaches only the person at the keyboard (``Route.only_to``): ``udx-bot console --as NAME`` or
``udx-bot demo --as NAME`` drains NAME's queued messages when it opens and after every line
(:func:`udx_bot.outbox_wiring.console_worker`); each is printed like an answer, its buttons
becoming the numbered choices, and marked sent. Messages for other console people stay queued
until they open the console.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from udx_bot.delivery import PermanentError, Target
from udx_bot.types import Document, Reply

PLATFORM = "console"

Show = Callable[[list[Reply]], Awaitable[None]]


class ConsoleTransport:
    platform = PLATFORM

    def __init__(self, user_id: str, show: Show) -> None:
        """``show`` prints replies in the open console of ``user_id`` (``ConsoleChat.show``)."""
        self.user_id = user_id
        self.show = show

    def parts(self, replies: Sequence[Reply]) -> list[Reply]:
        return list(replies)  # one printed message each, its document under its text

    async def send_part(self, to: Target, part: Reply) -> None:
        if to.user_id != self.user_id:  # the worker's route claims no one else's rows
            raise PermanentError(f"console {to.user_id!r} is not open here", block_recipient=False)
        await self.show([part])

    async def send(self, to: Target, replies: Sequence[Reply]) -> None:
        for part in self.parts(replies):
            await self.send_part(to, part)

    async def edit(self, to: Target, reply: Reply) -> bool:
        return False  # printed lines cannot be replaced: the caller sends it anew

    async def notify(self, to: Target, notice: Reply | None) -> None:
        if notice is not None:
            await self.send_part(to, notice)

    async def send_document(self, to: Target, document: Document) -> None:
        await self.send_part(to, Reply(document=document))

    async def close(self) -> None:
        return None
