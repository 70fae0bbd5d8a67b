"""Slack: the bot on Bolt (``AsyncApp``), over HTTP or Socket Mode.

What a Slack user gets: the slash command ``/udx <command> [args]`` (``/udx`` alone shows help;
answers only they see, through ``response_url``), the same commands typed into a direct message
to the app (answered there), Block Kit buttons and multi-selects, a modal when the bot waits for
free text (``Reply.prompt``), and the App Home tab (the hidden command ``home``).

Modes (see :func:`service`): with ``SLACK_APP_TOKEN`` (``xapp-``) Socket Mode; otherwise, with
``SLACK_SIGNING_SECRET``, HTTP: ``POST /slack/events`` on the shared aiohttp server serves the
Events API, the slash command and interactivity. The signature is checked before Bolt reads the
body (missing, wrong or older than five minutes: 401, nothing done), and a signed body that is
not a request Slack sends gets 400 (see :mod:`~udx_bot.platforms.slack_requests`).

Every request is acknowledged first and handled afterwards in a task the service tracks (Bolt's
``process_before_response=True`` keeps Bolt from spawning untracked tasks of its own; our
listeners only ``ack()`` and hand over), so Slack's 3-second limit holds however slow the work,
and :meth:`SlackService.stop` lets work in flight finish. A person's requests are worked on one
after the other, in the order they came; at most ``UDX_CONCURRENT_UPDATES`` requests (of different
people) are worked on at once, as on Telegram, so a burst never waits on more database
connections than the pool has. The bound is taken after the acknowledgement: acks never wait.
Slack's retries of an event carry the same ``event_id``, which goes to the router as
``Incoming.update_id`` and is processed once.

Three modules make the adapter: this one runs the Bolt app (listeners, tasks, start and stop);
:mod:`~udx_bot.platforms.slack_events` turns what arrives into the router's
:class:`~udx_bot.types.Incoming` and sends the replies where they belong through
:mod:`~udx_bot.platforms.slack_transport`, which also sends the outbox's messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from udx_bot.context import Services
from udx_bot.platforms import slack_render, slack_requests
from udx_bot.platforms.slack_events import (
    PROMPT_CALLBACK_ID,
    SlackEvents,
    body_user_id,
    is_person_in_dm,
)
from udx_bot.platforms.slack_transport import retry_handlers

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
SLASH_COMMAND = slack_render.SLASH_COMMAND
RATE_LIMIT_RETRIES = 2  # answers wait out a 429 up to twice
STOP_TIMEOUT_S = 8.0


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
            token=token,
            base_url=api_url or services.settings.slack_api_url,
            retry_handlers=retry_handlers(rate_limit_retries=RATE_LIMIT_RETRIES),
        )
        self.events = SlackEvents(services, self.client)
        self.app_token = app_token
        self.signing_secret = signing_secret or ""
        self.app = AsyncApp(
            name="udx-bot",
            client=self.client,
            signing_secret=signing_secret or "",
            request_verification_enabled=False,  # handle_http verifies, before Bolt parses
            process_before_response=True,
            logger=logging.getLogger("udx_bot.platforms.slack.bolt"),
        )
        self._tasks: set[asyncio.Task[None]] = set()
        # requests worked on at once (taken after the ack, by a person's first waiting request)
        self._slots = asyncio.Semaphore(services.settings.concurrent_updates)
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
        await self.events.transport.close()

    async def drain(self) -> None:
        """Wait for the work in flight (answers still being sent)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def handle_http(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: verified and read here (401, 400), then Bolt acknowledges and
        hands the work to a task. The server's body limit answers a larger body with 413."""
        body = await request.read()
        try:
            slack_requests.verify(self.signing_secret, body, request.headers)
            bolt_request = slack_requests.bolt_request(body, request.query_string, request.headers)
        except slack_requests.Refused as error:
            log.warning("Slack request refused (401): %s", error)
            return web.json_response({"error": "invalid request"}, status=401)
        except slack_requests.Unreadable as error:
            log.warning("Slack request refused (400): %s", error)
            return web.json_response({"error": "bad request"}, status=400)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    # --- Bolt listeners --------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app

        @app.command(SLASH_COMMAND)
        async def on_command(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            self._spawn(str(body.get("user_id")), self.events.on_command(body))

        @app.event("message")
        async def on_message(ack: Any, body: dict[str, Any], event: dict[str, Any]) -> None:
            await ack()
            if is_person_in_dm(event):
                self._spawn(str(event["user"]), self.events.on_message(body, event))

        @app.event("app_mention")
        async def on_mention(ack: Any, body: dict[str, Any], event: dict[str, Any]) -> None:
            await ack()
            if isinstance(event.get("user"), str) and isinstance(event.get("channel"), str):
                self._spawn(str(event["user"]), self.events.on_mention(body, event))

        @app.event("app_home_opened")
        async def on_home(ack: Any, body: dict[str, Any], event: dict[str, Any]) -> None:
            await ack()
            if event.get("tab", "home") == "home" and isinstance(event.get("user"), str):
                self._spawn(str(event.get("user")), self.events.on_home(body, event))

        @app.action(re.compile(".*"))
        async def on_action(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            self._spawn(body_user_id(body), self.events.on_action(body, action))

        @app.view(PROMPT_CALLBACK_ID)
        async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            await ack()  # closes the modal
            self._spawn(body_user_id(body), self.events.on_submit(body, view))

        @app.view_closed(PROMPT_CALLBACK_ID)
        async def on_close(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
            await ack()
            self._spawn(body_user_id(body), self.events.on_close(body, view))

    def _spawn(self, user_id: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._one_at_a_time(user_id, work))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _one_at_a_time(self, user_id: str, work: Coroutine[Any, Any, None]) -> None:
        """A person's updates are handled one after the other, in the order they came, and at
        most ``concurrent_updates`` of all people's at once. The person's lock is taken first:
        their later requests wait in line without holding a slot."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock, self._slots:
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
