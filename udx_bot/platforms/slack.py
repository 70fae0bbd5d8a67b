"""Slack: the bot on Bolt (``AsyncApp``), over HTTP or Socket Mode.

What a Slack user gets: the slash command ``/udx <command> [args]`` (``/udx`` alone shows help;
answers only they see, through ``response_url``), the same commands typed into a direct message
to the app (answered there), Block Kit buttons and multi-selects, a modal when the bot waits for
free text (``Reply.prompt``), and the App Home tab (the hidden command ``home``).

Modes (see :func:`service`): with ``SLACK_APP_TOKEN`` (``xapp-``) Socket Mode; otherwise, with
``SLACK_SIGNING_SECRET``, HTTP: ``POST /slack/events`` on the shared aiohttp server serves the
Events API, the slash command and interactivity. Bolt verifies the signature (missing, wrong or
older than five minutes: 401, nothing done).

Every request is acknowledged first and handled afterwards in a task the service tracks (Bolt's
``process_before_response=True`` keeps Bolt from spawning untracked tasks of its own; our
listeners only ``ack()`` and hand over), so Slack's 3-second limit holds however slow the work,
and :meth:`SlackService.stop` lets work in flight finish. Slack's retries of an event carry the
same ``event_id``, which goes to the router as ``Incoming.update_id`` and is processed once.

Where answers go (:class:`Origin`): a slash command and a button on an ephemeral message answer
through ``response_url`` (ephemeral); a direct message and a button on a message in it answer with
``chat.postMessage`` into the DM; ``Reply.edit`` replaces the pressed message (``response_url``
with ``replace_original`` for ephemeral messages, ``chat.update`` otherwise); a button on the App
Home answers in the DM. A ``Reply.notify`` notice is ephemeral (``response_url``, else
``chat.postEphemeral``) and leaves the pressed message as it is. ``Reply.prompt`` opens a modal
when Slack gave a ``trigger_id`` (slash command, button); its submission reaches the router as an
ordinary text message, and closing it runs ``/cancel`` so the bot stops waiting. A
``Reply.document`` is posted as a preformatted snippet (files are not uploaded).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from udx_bot.context import Services
from udx_bot.i18n import N_
from udx_bot.platforms import slack_render
from udx_bot.types import SHOW_HOME, Actor, Document, Incoming, Prompt, Reply

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
SLASH_COMMAND = "/udx"
PROMPT_CALLBACK_ID = "udx:prompt"
CANCEL_COMMAND = "cancel"  # run when a prompt's modal is closed without sending
PROMPT_BLOCK_ID = "udx_input"
PROMPT_ACTION_ID = "value"
MAX_VIEW_BLOCKS = 100  # App Home and modals
MAX_MODAL_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_PLAIN_INPUT = 3000
USER_CACHE_SECONDS = 3600.0
RATE_LIMIT_RETRIES = 2
SNIPPET_CHARS = 2900  # text per preformatted block of a document
STOP_TIMEOUT_S = 8.0

_SEND = N_("Send")
_CANCEL = N_("Cancel")


@dataclass(frozen=True)
class Origin:
    """Where an update came from, and so where its answers go."""

    user_id: str
    channel: str | None = None  # chat.postMessage target (a DM channel) when not answering via URL
    response_url: str | None = None  # answer ephemerally through it (slash command, ephemeral)
    trigger_id: str | None = None  # lets us open a modal (valid for 3 seconds)
    message_ts: str | None = None  # the message whose button was pressed (for chat.update)
    message_channel: str | None = None  # its channel


@dataclass
class _UserInfo:
    display_name: str
    username: str | None
    locale: str | None
    fetched: float


class SlackService:
    """The Slack platform service (see the module notes)."""

    name = "slack"

    def __init__(
        self,
        services: Services,
        *,
        token: str,
        signing_secret: str | None = None,
        app_token: str | None = None,
        api_url: str | None = None,
    ) -> None:
        self.services = services
        self.client = AsyncWebClient(
            token=token, base_url=api_url or services.settings.slack_api_url
        )
        self.client.retry_handlers.append(
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
        )
        self.app_token = app_token
        self.app = AsyncApp(
            name="udx-bot",
            client=self.client,
            signing_secret=signing_secret or "",
            request_verification_enabled=app_token is None,
            process_before_response=True,
            logger=logging.getLogger("udx_bot.platforms.slack.bolt"),
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._users: dict[str, _UserInfo] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self.socket_handler: Any = None
        if app_token is not None:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self.socket_handler = AsyncSocketModeHandler(
                self.app, app_token, web_client=self.client
            )
        self._register()

    @property
    def mode(self) -> str:
        return "socket" if self.socket_handler is not None else "http"

    # --- Service protocol ----------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [] if self.socket_handler is not None else [web.post(EVENTS_PATH, self.handle_http)]

    async def start(self) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.connect_async()
            log.info("Slack connected in Socket Mode")
        else:
            log.info("Slack serves HTTP requests at %s", EVENTS_PATH)

    async def stop(self) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.drain()
        except TimeoutError:
            log.warning("%d Slack tasks did not finish in time", len(self._tasks))

    async def drain(self) -> None:
        """Wait for the work in flight (answers still being sent)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def handle_http(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: Bolt verifies, acknowledges and hands the work to a task."""
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    # --- Bolt listeners --------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app

        @app.command(SLASH_COMMAND)
        async def on_command(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            self._spawn(str(body.get("user_id")), self._on_command(body))

        @app.event("message")
        async def on_message(ack: Any, body: dict[str, Any], event: dict[str, Any]) -> None:
            await ack()
            if _is_person_in_dm(event):
                self._spawn(str(event["user"]), self._on_message(body, event))

        @app.event("app_home_opened")
        async def on_home(ack: Any, body: dict[str, Any], event: dict[str, Any]) -> None:
            await ack()
            if event.get("tab", "home") == "home":
                self._spawn(str(event.get("user")), self._on_home(body, event))

        @app.action(re.compile(".*"))
        async def on_action(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            self._spawn(_user_id(body), self._on_action(body, action))

        @app.view(PROMPT_CALLBACK_ID)
        async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            await ack()  # closes the modal
            self._spawn(_user_id(body), self._on_submit(body, view))

        @app.view_closed(PROMPT_CALLBACK_ID)
        async def on_close(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            await ack()
            self._spawn(_user_id(body), self._on_close(body, view))

    def _spawn(self, user_id: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._one_at_a_time(user_id, work))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _one_at_a_time(self, user_id: str, work: Coroutine[Any, Any, None]) -> None:
        """A person's updates are handled one after the other, in the order they came."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:
                await work
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id]
                del self._locks[user_id]

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack update failed", exc_info=task.exception())

    # --- updates -> router -----------------------------------------------------------------------

    async def _on_command(self, body: dict[str, Any]) -> None:
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
        await self._handle(Incoming(actor, text=line), origin)

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        user_id = str(event["user"])
        channel = str(event["channel"])
        actor = await self.actor(user_id, chat_id=channel)
        incoming = Incoming(actor, text=str(event.get("text") or ""), update_id=_event_id(body))
        await self._handle(incoming, Origin(user_id, channel=channel))

    async def _on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        user_id = str(event["user"])
        actor = await self.actor(user_id, chat_id=event.get("channel"))
        incoming = Incoming(actor, callback=SHOW_HOME, update_id=_event_id(body))

        async def publish(replies: list[Reply]) -> None:
            if replies:
                await self.publish_home(user_id, replies)

        await self.services.router.dispatch(self.services, incoming, publish)

    async def _on_action(self, body: dict[str, Any], action: dict[str, Any]) -> None:
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
        in_dm = isinstance(channel, str) and channel.startswith("D") and not ephemeral
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
        await self._handle(Incoming(actor, callback=callback, values=values), origin)

    async def _on_submit(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = _user_id(body)
        values = (view.get("state") or {}).get("values") or {}
        text = str(((values.get(PROMPT_BLOCK_ID) or {}).get(PROMPT_ACTION_ID) or {}).get("value"))
        actor = await self.actor(user_id)
        origin = _modal_origin(user_id, view, body.get("trigger_id"))
        await self._handle(Incoming(actor, text=text), origin)

    async def _on_close(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Closing the modal cancels what the bot was waiting for (as /cancel would)."""
        if self.services.router.resolve(CANCEL_COMMAND) is None:
            return
        user_id = _user_id(body)
        actor = await self.actor(user_id)
        origin = _modal_origin(user_id, view, None)
        await self._handle(Incoming(actor, text=f"/{CANCEL_COMMAND}"), origin)

    async def _handle(self, incoming: Incoming, origin: Origin) -> None:
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
            response = await self.client.users_info(user=user_id, include_locale=True)
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
        edited = False
        for reply in replies:
            try:
                if reply.notice:
                    await self._notify(origin, reply)
                    continue
                if reply.prompt is not None and trigger_id is not None:
                    opened = await self.open_prompt(reply, reply.prompt, trigger_id, origin, actor)
                    trigger_id = None  # a trigger opens one modal
                    if opened:
                        continue
                for number, blocks in enumerate(slack_render.render(reply)):
                    text = slack_render.fallback_text(reply) if number == 0 else "…"
                    if reply.edit and not edited and number == 0:
                        edited = await self._replace(origin, blocks, text)
                        if edited:
                            continue
                    await self._post(origin, blocks, text, ephemeral=reply.ephemeral)
                if reply.document is not None:
                    await self._post_document(origin, reply.document)
            except SlackClientError as error:
                log.warning("could not answer on Slack: %s", error)

    async def _post(
        self, origin: Origin, blocks: list[dict[str, Any]], text: str, *, ephemeral: bool = True
    ) -> None:
        if origin.response_url:
            response = await AsyncWebhookClient(origin.response_url).send(
                text=text,
                blocks=blocks,
                response_type="ephemeral" if ephemeral else "in_channel",
                replace_original=False,
            )
            if response.status_code != 200:
                log.warning("response_url answered %s", response.status_code)
            return
        await self.client.chat_postMessage(
            channel=origin.channel or origin.user_id, blocks=blocks, text=text
        )

    async def _notify(self, origin: Origin, reply: Reply) -> None:
        """A notice only the person sees; nothing is replaced."""
        text = slack_render.fallback_text(reply)
        blocks = (slack_render.render(reply) or [[]])[0]
        if origin.response_url:
            await self._post(origin, blocks, text, ephemeral=True)
            return
        await self.client.chat_postEphemeral(
            channel=origin.message_channel or origin.channel or origin.user_id,
            user=origin.user_id,
            blocks=blocks,
            text=text,
        )

    async def _replace(self, origin: Origin, blocks: list[dict[str, Any]], text: str) -> bool:
        """Replace the pressed message; False when there is none to replace."""
        if origin.response_url:
            response = await AsyncWebhookClient(origin.response_url).send(
                text=text, blocks=blocks, replace_original=True
            )
            return response.status_code == 200
        if origin.message_ts and origin.message_channel:
            await self.client.chat_update(
                channel=origin.message_channel, ts=origin.message_ts, blocks=blocks, text=text
            )
            return True
        return False

    async def _post_document(self, origin: Origin, document: Document) -> None:
        """The file's text as a preformatted snippet (no file upload; see the module notes)."""
        content = document.content.decode("utf-8", "replace")
        chunks = [content[i : i + SNIPPET_CHARS] for i in range(0, len(content), SNIPPET_CHARS)]
        blocks: list[dict[str, Any]] = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{_escape(document.filename)}*"},
            }
        ]
        for chunk in chunks or [""]:
            blocks.append(
                {
                    "type": "rich_text",
                    "elements": [
                        {
                            "type": "rich_text_preformatted",
                            "elements": [{"type": "text", "text": chunk or " "}],
                        }
                    ],
                }
            )
        for start in range(0, len(blocks), slack_render.MAX_BLOCKS):
            await self._post(
                replace(origin, response_url=None, channel=origin.channel or origin.user_id)
                if start
                else origin,
                blocks[start : start + slack_render.MAX_BLOCKS],
                _escape(document.filename),
            )

    async def open_prompt(
        self, reply: Reply, prompt: Prompt, trigger_id: str, origin: Origin, actor: Actor
    ) -> bool:
        """Open a modal asking for the text; False when Slack refused (the trigger expired)."""
        t = await self.services.translator_for_actor(actor)
        blocks = slack_render.section_blocks(reply)[: MAX_VIEW_BLOCKS - 1]
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
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
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
            await self.client.views_publish(
                user_id=user_id, view={"type": "home", "blocks": blocks}
            )
        except SlackClientError as error:
            log.warning("could not publish the Slack App Home: %s", error)


def _escape(text: str) -> str:
    return slack_render.escape(text)


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


def _user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id"))


def _event_id(body: dict[str, Any]) -> str | None:
    event_id = body.get("event_id")
    return str(event_id) if event_id else None


def _is_person_in_dm(event: dict[str, Any]) -> bool:
    """A person's own new message in a DM with the app (no edits, joins, bots or files only)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(str(event.get("text") or "").strip())
    )


def service(services: Services) -> SlackService | None:
    """The runner's factory: None unless ``SLACK_BOT_TOKEN`` and either ``SLACK_APP_TOKEN``
    (Socket Mode) or ``SLACK_SIGNING_SECRET`` (HTTP) are set."""
    settings = services.settings
    if not settings.slack_bot_token:
        return None
    if not settings.slack_app_token and not settings.slack_signing_secret:
        log.warning(
            "SLACK_BOT_TOKEN is set but Slack is not started: set SLACK_APP_TOKEN (Socket Mode) "
            "or SLACK_SIGNING_SECRET (HTTP)"
        )
        return None
    return SlackService(
        services,
        token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        app_token=settings.slack_app_token,
        api_url=settings.slack_api_url,
    )
