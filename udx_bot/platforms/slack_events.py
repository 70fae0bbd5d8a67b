"""Slack events -> the router, and the router's replies -> :mod:`slack_transport`.

:class:`SlackEvents` turns what Bolt received (a slash command, a direct message, a button press,
a modal submitted or closed, the App Home opened) into a neutral
:class:`~udx_bot.types.Incoming`, with the person as an :class:`~udx_bot.types.Actor` (name and
locale from ``users.info``, cached), and remembers in an :class:`Origin` where its answers go:

* a slash command and a button on an ephemeral message answer through ``response_url``
  (ephemeral); a direct message and a button on a message in it answer in the DM; a button on
  the App Home answers in the DM;
* ``Reply.edit`` replaces the pressed message; a ``Reply.notify`` notice is ephemeral and leaves
  the pressed message as it is;
* ``Reply.prompt`` opens a modal when Slack gave a ``trigger_id`` (slash command, button); its
  submission reaches the router as an ordinary text message, and closing it runs ``/cancel`` so
  the bot stops waiting. Without a trigger (or when the modal cannot open) the prompt is asked
  in the chat;
* ``Reply.document`` is uploaded as a file into the DM.

Sending is the transport's; a reply Slack refuses is logged and the next one is sent.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from udx_bot.context import Services
from udx_bot.delivery import DeliveryError, Target
from udx_bot.i18n import N_
from udx_bot.platforms import slack_render
from udx_bot.platforms.slack_transport import CONNECTIONS_SPARE, PLATFORM, SlackTransport
from udx_bot.types import SHOW_HOME, Actor, Incoming, Prompt, Reply, Section

log = logging.getLogger(__name__)

PROMPT_CALLBACK_ID = "udx:prompt"
CANCEL_COMMAND = "cancel"  # run when a prompt's modal is closed without sending
PROMPT_BLOCK_ID = "udx_input"
PROMPT_ACTION_ID = "value"
MAX_VIEW_BLOCKS = 100  # App Home and modals
MAX_MODAL_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_PLAIN_INPUT = 3000
USER_CACHE_SECONDS = 3600.0

_SEND = N_("Send")
_CANCEL = N_("Cancel")
_MENTIONED = N_(
    "Hello! I work one to one, so what you do stays between us: write to me in a direct "
    "message (the app's Messages tab), or send /help here."
)


@dataclass(frozen=True)
class Origin:
    """Where an update came from, and so where its answers go."""

    user_id: str
    channel: str | None = None  # chat.postMessage target (a DM channel) when not answering via URL
    response_url: str | None = None  # answer ephemerally through it (slash command, ephemeral)
    trigger_id: str | None = None  # lets us open a modal (valid for 3 seconds)
    message_ts: str | None = None  # the message whose button was pressed (for chat.update)
    message_channel: str | None = None  # its channel

    @property
    def target(self) -> Target:
        return Target(
            self.user_id,
            chat_id=self.message_channel or self.channel,
            message_id=self.message_ts,
            reply_url=self.response_url,
        )


@dataclass
class _UserInfo:
    display_name: str
    username: str | None
    locale: str | None
    fetched: float


class SlackEvents:
    """The translation both ways (see the module notes); ``SlackService`` runs it."""

    def __init__(self, services: Services, client: AsyncWebClient) -> None:
        self.services = services
        self.client = client
        self.transport = SlackTransport(
            client,
            owns_client=False,
            connections=services.settings.concurrent_updates + CONNECTIONS_SPARE,
        )
        self._users: dict[str, _UserInfo] = {}

    # --- updates -> router -----------------------------------------------------------------------

    async def on_command(self, body: dict[str, Any]) -> None:
        user_id = str(body["user_id"])
        actor = await self.actor(user_id, fallback_name=str(body.get("user_name") or ""))
        text = str(body.get("text") or "").strip()
        command, _, args = text.partition(" ")
        command = command.lstrip("/") or "help"
        line = f"/{command} {args.strip()}".strip()
        origin = Origin(
            user_id,
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
        )
        in_dm = str(body.get("channel_id") or "").startswith("D")
        await self.handle(Incoming(actor, text=line, can_type=in_dm), origin)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        user_id = str(event["user"])
        channel = str(event["channel"])
        actor = await self.actor(user_id, chat_id=channel)
        incoming = Incoming(actor, text=str(event.get("text") or ""), update_id=_event_id(body))
        await self.handle(incoming, Origin(user_id, channel=channel))

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """@udx-bot in a channel: a short hint, only for the person, pointing to the direct
        message (the features are personal); nothing about them is stored."""
        user_id = str(event["user"])
        actor = await self.actor(user_id)
        to = Target(user_id, str(event["channel"]))

        async def point_to_dm() -> list[Reply]:
            t = await self.services.translator_for_actor(actor)
            await self.transport.notify(to, Reply.text(t._(_MENTIONED)))
            return []

        incoming = Incoming(actor, update_id=_event_id(body))
        await self.services.router.dispatch(self.services, incoming, answer=point_to_dm)

    async def on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        user_id = str(event["user"])
        actor = await self.actor(user_id, chat_id=event.get("channel"))
        incoming = Incoming(actor, callback=SHOW_HOME, update_id=_event_id(body))

        async def publish(replies: list[Reply]) -> None:
            if replies:
                await self.publish_home(user_id, replies)

        await self.services.router.dispatch(self.services, incoming, publish)

    async def on_action(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        try:
            callback, values = slack_render.parse_action(action)
        except ValueError:
            log.warning("unsupported Slack action %s", action.get("type"))
            return
        user = body.get("user") or {}
        user_id = str(user["id"])
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        ephemeral = bool(container.get("is_ephemeral"))
        dm_channel = isinstance(channel, str) and channel.startswith("D")
        in_dm = dm_channel and not ephemeral
        actor = await self.actor(
            user_id,
            fallback_name=str(user.get("name") or user.get("username") or ""),
            chat_id=channel if in_dm else None,
        )
        if container.get("type") == "view":  # the App Home: answers go to the DM
            origin = Origin(user_id, channel=user_id, trigger_id=body.get("trigger_id"))
        elif in_dm:
            origin = Origin(
                user_id,
                channel=channel,
                trigger_id=body.get("trigger_id"),
                message_ts=container.get("message_ts"),
                message_channel=channel,
            )
        else:
            origin = Origin(
                user_id,
                channel=None if body.get("response_url") else user_id,
                response_url=body.get("response_url"),
                trigger_id=body.get("trigger_id"),
            )
        # typed text reaches the bot in the DM (and from the Home tab, whose DM is a click away)
        typed_reaches = dm_channel or container.get("type") == "view"
        await self.handle(
            Incoming(actor, callback=callback, values=values, can_type=typed_reaches), origin
        )

    async def on_submit(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body_user_id(body)
        values = (view.get("state") or {}).get("values") or {}
        text = str(((values.get(PROMPT_BLOCK_ID) or {}).get(PROMPT_ACTION_ID) or {}).get("value"))
        actor = await self.actor(user_id)
        origin = _modal_origin(user_id, view, body.get("trigger_id"))
        await self.handle(Incoming(actor, text=text), origin)

    async def on_close(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Closing the modal cancels what the bot was waiting for (as /cancel would)."""
        if self.services.router.resolve(CANCEL_COMMAND) is None:
            return
        user_id = body_user_id(body)
        actor = await self.actor(user_id)
        origin = _modal_origin(user_id, view, None)
        await self.handle(Incoming(actor, text=f"/{CANCEL_COMMAND}"), origin)

    async def handle(self, incoming: Incoming, origin: Origin) -> None:
        await self.services.router.dispatch(
            self.services, incoming, lambda replies: self.deliver(replies, origin, incoming.actor)
        )

    # --- the person ------------------------------------------------------------------------------

    async def actor(
        self, user_id: str, *, fallback_name: str = "", chat_id: str | None = None
    ) -> Actor:
        """The Slack person as a neutral Actor, with their locale from ``users.info`` (cached)."""
        info = await self._user(user_id)
        return Actor(
            PLATFORM,
            user_id,
            display_name=(info.display_name if info else "") or fallback_name,
            username=(info.username if info else None) or fallback_name or None,
            language_code=info.locale if info else None,
            chat_id=chat_id,
        )

    async def _user(self, user_id: str) -> _UserInfo | None:
        cached = self._users.get(user_id)
        now = time.monotonic()
        if cached is not None and now - cached.fetched < USER_CACHE_SECONDS:
            return cached
        try:
            response = await self.transport.api().users_info(user=user_id, include_locale=True)
        except SlackClientError as error:
            log.warning("users.info failed for a Slack user: %s", error)
            return cached
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        info = _UserInfo(
            display_name=str(
                profile.get("real_name") or profile.get("display_name") or user.get("name") or ""
            ),
            username=user.get("name"),
            locale=user.get("locale"),
            fetched=now,
        )
        self._users[user_id] = info
        return info

    # --- replies -> Slack -------------------------------------------------------------------------

    async def deliver(self, replies: list[Reply], origin: Origin, actor: Actor) -> None:
        """Send the router's replies to where the update came from (see :class:`Origin`)."""
        trigger_id = origin.trigger_id
        to = origin.target
        edited = False
        for reply in replies:
            try:
                if reply.notice:
                    await self.transport.notify(to, reply)
                    continue
                if reply.prompt is not None and trigger_id is not None:
                    opened = await self.open_prompt(reply, reply.prompt, trigger_id, origin, actor)
                    trigger_id = None  # a trigger opens one modal
                    if opened:
                        continue
                if reply.edit and not edited:
                    edited = await self.transport.edit(to, reply)
                    if edited:
                        continue
                await self.transport.send(to, [reply])
            except DeliveryError as error:
                log.warning("could not answer on Slack: %s", error)

    async def open_prompt(
        self, reply: Reply, prompt: Prompt, trigger_id: str, origin: Origin, actor: Actor
    ) -> bool:
        """Open a modal asking for the text; False when Slack refused (the trigger expired)."""
        t = await self.services.translator_for_actor(actor)
        shown = Reply(sections=[Section(prompt.hint)]) if prompt.hint else reply
        blocks = slack_render.section_blocks(shown)[: MAX_VIEW_BLOCKS - 1]
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": PROMPT_ACTION_ID,
            "multiline": prompt.multiline,
            "max_length": max(1, min(prompt.max_length, MAX_PLAIN_INPUT)),
        }
        blocks.append(
            {
                "type": "input",
                "block_id": PROMPT_BLOCK_ID,
                "label": slack_render.plain_text(prompt.label, 2000),
                "element": element,
            }
        )
        where = {"r": origin.response_url, "c": origin.channel}
        metadata = json.dumps({k: v for k, v in where.items() if v})
        if len(metadata) > MAX_PRIVATE_METADATA:
            metadata = "{}"
        view = {
            "type": "modal",
            "callback_id": PROMPT_CALLBACK_ID,
            "title": slack_render.plain_text(prompt.title, MAX_MODAL_TITLE),
            "submit": slack_render.plain_text(t._(_SEND), MAX_MODAL_TITLE),
            "close": slack_render.plain_text(t._(_CANCEL), MAX_MODAL_TITLE),
            "private_metadata": metadata,
            "notify_on_close": True,
            "blocks": blocks,
        }
        try:
            await self.transport.open_modal(trigger_id, view)
        except DeliveryError as error:
            log.info("could not open a Slack modal (%s); asking in the chat", error)
            return False
        return True

    async def publish_home(self, user_id: str, replies: list[Reply]) -> None:
        """Publish the App Home tab: the replies' blocks, up to 100."""
        blocks: list[dict[str, Any]] = []
        for reply in replies:
            blocks.extend(slack_render.render_blocks(reply))
        if len(blocks) > MAX_VIEW_BLOCKS:
            actions = [b for b in blocks if b["type"] == "actions"]
            text = [b for b in blocks if b["type"] != "actions"]
            blocks = text[: MAX_VIEW_BLOCKS - len(actions)] + actions[:MAX_VIEW_BLOCKS]
        try:
            await self.transport.publish_home(user_id, blocks)
        except DeliveryError as error:
            log.warning("could not publish the Slack App Home: %s", error)


def _modal_origin(user_id: str, view: dict[str, Any], trigger_id: str | None) -> Origin:
    """Where the modal was opened from (kept in its private_metadata), else the DM."""
    try:
        where = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        where = {}
    if not isinstance(where, dict):
        where = {}
    return Origin(
        user_id,
        channel=where.get("c") or (None if where.get("r") else user_id),
        response_url=where.get("r"),
        trigger_id=trigger_id,
    )


def body_user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id"))


def _event_id(body: dict[str, Any]) -> str | None:
    event_id = body.get("event_id")
    return str(event_id) if event_id else None


def is_person_in_dm(event: dict[str, Any]) -> bool:
    """A person's own new message in a DM with the app (no edits, joins, bots or files only)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and isinstance(event.get("user"), str)
        and bool(event["user"])
        and isinstance(event.get("channel"), str)
        and isinstance(event.get("text"), str)
        and bool(event["text"].strip())
    )
