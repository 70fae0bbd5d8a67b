"""Sending to a platform: the one contract every platform's transport implements, and the errors
every send through it is classified into.

A transport (``udx_bot/platforms/telegram_transport.py``, ``slack_transport.py``) is used both by
its platform's interactive adapter, for the answers to what a person just did, and by the
outbox worker, for messages to people who did not just ask (digests, announcements,
introductions). Whatever the caller, a call that fails raises one of the three
:class:`DeliveryError` kinds below, so "was it delivered?" is decided in one place per platform.
In the spirit of Errbot's backend, the contract is small: send replies to a chat, edit a shown
message, answer a button press with a notice, send a document.

Replies may take several platform messages (a long text split into parts, a document after the
text): :meth:`Transport.parts` says which, in order, and :meth:`Transport.send_part` sends one,
so the outbox worker can record each part as delivered and pace every part on its own; ``send``
is exactly ``send_part`` over ``parts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from udx_bot.types import Document, Reply


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


@dataclass(frozen=True)
class Target:
    """Where a message goes, in the platform's own ids.

    ``user_id`` alone means the person's direct chat with the bot (opened when needed). The
    other fields say more when the message answers something the person just did: the chat it
    happened in, the message whose button was pressed (what :meth:`Transport.edit` replaces),
    an answer address the platform handed over with the event (Slack's ``response_url``) and
    the button press to answer (Telegram's callback query id).
    """

    user_id: str
    chat_id: str | None = None
    message_id: str | None = None
    reply_url: str | None = None
    press_id: str | None = None


Part = Any  # one platform message, as a transport's parts() made it: opaque to the caller


class Transport(Protocol):
    """One platform's way of sending; every method raises :class:`TransientError` (certainly
    not delivered: try again), :class:`UncertainDelivery` (perhaps delivered: do not try again)
    or :class:`PermanentError`, and returns only once the platform accepted the call."""

    platform: str

    def parts(self, replies: Sequence[Reply]) -> list[Part]:
        """The platform messages ``replies`` are sent as, in order, rendered natively (text,
        buttons, document); rendering everything first means a rendering bug sends nothing."""
        ...

    async def send_part(self, to: Target, part: Part) -> None:
        """Send one of the messages :meth:`parts` made."""
        ...

    async def send(self, to: Target, replies: Sequence[Reply]) -> None:
        """Send ``replies`` as new messages: every one of :meth:`parts`, in order."""
        ...

    async def edit(self, to: Target, reply: Reply) -> bool:
        """Replace the message ``to`` points at with ``reply`` (parts that do not fit follow as
        new messages); False when there is no such message or it cannot be edited, so the
        caller sends ``reply`` instead."""
        ...

    async def notify(self, to: Target, notice: Reply | None) -> None:
        """Answer the button press ``to.press_id`` and/or show ``notice`` (a short text) to the
        person only, leaving every message as it is. Platforms that need every press answered
        get exactly one call per press; ``None`` only answers it."""
        ...

    async def send_document(self, to: Target, document: Document) -> None:
        """Send ``document`` as a file."""
        ...

    async def close(self) -> None:
        """Release the HTTP connections the transport opened itself."""
        ...
