"""Delivering outbox messages to a platform: the contract between the outbox worker and the
platform senders (Telegram, Slack)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from udx_bot.types import Reply


class DeliveryError(Exception):
    """The platform did not accept the message."""


class TransientError(DeliveryError):
    """Worth retrying later: 429 (with the platform's retry-after), 5xx, timeouts, network."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class UncertainDelivery(DeliveryError):
    """The platform may well have accepted the message, but its answer could not be read: the
    connection dropped or timed out after the request went out, or the answer was unreadable.
    Sending again could show it twice, so the outbox records it as ``uncertain`` (logged,
    counted, shown as unconfirmed) and never sends it again."""


class PermanentError(DeliveryError):
    """Will never succeed (the person blocked the bot, the account is gone): stop sending to
    this identity until the person writes again.

    ``block_recipient=False`` says only this message is at fault (the platform rejected its
    content); the message fails, the person stays reachable.
    """

    def __init__(self, reason: str, *, block_recipient: bool = True) -> None:
        super().__init__(reason)
        self.block_recipient = block_recipient


class Sender(Protocol):
    platform: str

    async def deliver(self, user_id: str, chat_id: str | None, replies: Sequence[Reply]) -> None:
        """Send ``replies`` as direct messages; return only once the platform accepted them.
        Raises TransientError (certainly not delivered: try again), UncertainDelivery (perhaps
        delivered: do not try again) or PermanentError."""
        ...
