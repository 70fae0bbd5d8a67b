"""Telegram updates -> the router, and the router's replies -> :mod:`telegram_transport`.

The PTB handlers :class:`UpdateHandlers` registers only translate: a private text message or a
button press becomes a neutral :class:`~udx_bot.types.Incoming` (with its ``update_id``, so the
router's chain handles a repeated update once), and its replies go back through the transport:

* ``Reply.edit`` after a button press edits the pressed message (a message that cannot be
  edited gets a new message instead);
* every callback query is answered, even when handling it failed, so the client's spinner stops;
  a ``Reply.notify`` notice becomes the text of that answer (a toast) and no message changes;
* group chats: the bot answers a command with a localized request to talk privately (a button
  opens the private chat) and ignores everything else there; nothing is stored. Those, and
  non-text messages, the adapter answers in its own words via ``dispatch(answer=...)``;
* an update without the parts the adapter reads (a message without ``chat`` or ``from``, a
  button press without ``from`` or with a message without ``chat``) is dropped with a warning
  before any handler sees it (a webhook request gets 200: Telegram need not send it again);
* a person who blocked the bot is logged and skipped, and so is an answer Telegram perhaps
  showed (its reply was lost or unreadable): handling the update again on Telegram's retry
  could show it, and do what it did, twice. Other delivery errors propagate (the update counts
  as failed: logged, and a webhook request answers 500, so Telegram sends it again).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Message, Update, User
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from udx_bot.context import Services
from udx_bot.delivery import DeliveryError, PermanentError, Target, UncertainDelivery
from udx_bot.i18n import N_
from udx_bot.platforms.telegram_transport import PLATFORM, TelegramTransport
from udx_bot.types import Actor, Incoming, Reply

log = logging.getLogger(__name__)

_TALK_PRIVATELY = N_(
    "I only work in a private chat, so your profile and notes stay between us. "
    "Please write to me directly: tap the button below and send /start."
)
_OPEN_PRIVATE_CHAT = N_("Open a private chat")
_TEXT_ONLY = N_("I can only read text messages. Send /help to see what I can do.")


def actor_of(user: User, chat_id: int | None) -> Actor:
    return Actor(
        PLATFORM,
        str(user.id),
        display_name=user.full_name,
        username=user.username,
        language_code=user.language_code,
        chat_id=str(chat_id if chat_id is not None else user.id),
    )


def incomplete(update: Update) -> str | None:
    """What a message or button press lacks of what Telegram always sends, if anything."""
    message, query = update.message, update.callback_query
    if message is not None:
        if message.chat is None:
            return "a chat"
        if message.from_user is None:
            return "a sender"
    if query is not None:
        if query.from_user is None:
            return "a sender"
        if query.message is not None and query.message.chat is None:
            return "a chat"
    return None


def _private_chat(user: User, chat_id: int) -> Target:
    return Target(str(user.id), str(chat_id))


class UpdateHandlers:
    """The adapter's PTB handlers (see the module notes)."""

    def __init__(self, services: Services, transport: TelegramTransport) -> None:
        self.services = services
        self.transport = transport

    def register(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        app.add_handler(TypeHandler(Update, self.drop_incomplete), group=-1)  # runs first
        private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
        app.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(private & ~filters.TEXT, self.on_other))
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.ChatType.GROUPS & filters.COMMAND,
                self.on_group_command,
            )
        )
        app.add_handler(CallbackQueryHandler(self.on_callback))

    async def drop_incomplete(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop an update the other handlers cannot read (see the module notes)."""
        missing = incomplete(update)
        if missing is not None:
            log.warning("telegram: update %s without %s, ignored", update.update_id, missing)
            raise ApplicationHandlerStop

    async def on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        to = _private_chat(user, message.chat_id)
        incoming = Incoming(
            actor_of(user, message.chat_id), text=message.text, update_id=str(update.update_id)
        )
        await self.services.router.dispatch(
            self.services, incoming, lambda replies: self.deliver(to, replies)
        )

    async def on_callback(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        notices: list[Reply] = []
        try:
            pressed = query.message if isinstance(query.message, Message) else None
            if pressed is not None and pressed.chat.type != ChatType.PRIVATE:
                return  # the bot never sends buttons to groups
            chat_id = pressed.chat_id if pressed is not None else query.from_user.id
            to = _private_chat(query.from_user, chat_id)
            shown = None
            if pressed is not None and pressed.text is not None:  # only text can be edited
                shown = Target(to.user_id, to.chat_id, message_id=str(pressed.message_id))
            incoming = Incoming(
                actor_of(query.from_user, chat_id),
                callback=query.data or "",
                update_id=str(update.update_id),
            )
            await self.services.router.dispatch(
                self.services,
                incoming,
                lambda replies: self.deliver(to, replies, pressed=shown, notices=notices),
            )
        finally:
            notice = Reply.notify("\n".join(n.plain_text for n in notices)) if notices else None
            try:  # a repeated press too: its spinner stops
                await self.transport.notify(
                    Target(str(query.from_user.id), press_id=query.id), notice
                )
            except DeliveryError as error:  # too old, or answered before (a repeated update)
                log.debug("telegram: could not answer a callback query: %s", error)

    async def on_other(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker, voice message… in a private chat: say what the bot understands."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        actor = actor_of(user, message.chat_id)
        to = _private_chat(user, message.chat_id)

        async def text_only() -> list[Reply]:
            t = await self.services.translator_for_actor(actor)
            return [Reply.text(t._(_TEXT_ONLY))]

        await self.services.router.dispatch(
            self.services,
            Incoming(actor, update_id=str(update.update_id)),
            lambda replies: self.deliver(to, replies),
            answer=text_only,
        )

    async def on_group_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a group: ask to talk privately (the features are personal)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        actor = actor_of(user, None)
        to = Target(str(user.id), str(message.chat_id), message_id=str(message.message_id))

        async def talk_privately() -> list[Reply]:
            t = await self.services.translator_for_actor(actor)
            url = f"https://t.me/{self.transport.bot.username}"
            await self.transport.send_link(to, t._(_TALK_PRIVATELY), t._(_OPEN_PRIVATE_CHAT), url)
            return []

        incoming = Incoming(actor, update_id=str(update.update_id))
        await self.services.router.dispatch(self.services, incoming, answer=talk_privately)

    async def deliver(
        self,
        to: Target,
        replies: Sequence[Reply],
        *,
        pressed: Target | None = None,
        notices: list[Reply] | None = None,
    ) -> None:
        """Send ``replies`` to ``to``; the first ``edit`` reply replaces ``pressed``; a notice
        goes to ``notices`` (the callback answer) when given, else it is sent."""
        try:
            for reply in replies:
                if reply.notice and notices is not None:
                    notices.append(reply)
                    continue
                if reply.edit and pressed is not None:
                    target, pressed = pressed, None
                    if await self.transport.edit(target, reply):
                        continue
                await self.transport.send(to, [reply])
        except PermanentError as error:
            if not error.block_recipient:
                raise
            log.info("telegram: chat %s refuses messages: %s", to.chat_id, error)
        except UncertainDelivery as error:
            log.warning("telegram: an answer to chat %s is unconfirmed: %s", to.chat_id, error)
