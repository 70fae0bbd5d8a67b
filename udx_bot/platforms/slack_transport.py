"""Sending on Slack: the :class:`~udx_bot.delivery.Transport` on slack_sdk's ``AsyncWebClient``
(``base_url`` from ``SLACK_API_URL``), used by the adapter (``slack.py``) for its answers and by
the outbox worker.

Where a message goes (:class:`~udx_bot.delivery.Target`): through the event's ``response_url``
(``reply_url``; ephemeral unless the reply says otherwise) when there is one; else into the
chat when it is a direct message (``D…``, or a user id, which Slack posts into the app's DM);
else into the person's DM channel (``conversations.open``, cached), so a direct message never
lands in a shared channel. One ``chat.postMessage`` per rendered part, Block Kit blocks from
:func:`udx_bot.platforms.slack_render.render` and always a plain ``text`` fallback (the first
part's; "…" for the others). An edit is ``chat.update`` of the pressed message (or the
``response_url`` with ``replace_original``); a notice is ephemeral (``response_url``, else
``chat.postEphemeral``); a document is uploaded with ``files_upload_v2`` into the DM (scope
``files:write``); modals (``views.open``) and the App Home (``views.publish``) go through here
too.

All calls, ``response_url`` posts included, share one aiohttp session (see
:meth:`SlackTransport.api`): connections are kept alive and bounded.

slack_sdk retries within a call only what was certainly not delivered: a 429 after
``Retry-After`` (``rate_limit_retries`` times) and a connection that could not be made (its
default handler would also send again after the server dropped the connection or reset it,
which can post a message twice, so the transport replaces it). What is left maps to the
delivery contract:

* ``channel_not_found``, ``account_inactive``, ``user_not_found`` (and similar) ->
  ``PermanentError``; a refused message (``invalid_blocks``, ``msg_too_long``, …) ->
  ``PermanentError(block_recipient=False)``;
* certainly not delivered -> ``TransientError``: 429, a 5xx without a readable ``ok`` (a
  gateway's error page), Slack's own ``ok: false`` errors, no connection made;
* perhaps delivered -> ``UncertainDelivery`` (never sent again): the connection dropped or
  timed out after the request went out, or a 2xx answer that is not Slack's JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from udx_bot.config import Settings
from udx_bot.delivery import PermanentError, Target, TransientError, UncertainDelivery
from udx_bot.platforms import slack_render
from udx_bot.types import Document, Reply

T = TypeVar("T")
PLATFORM = "slack"
Blocks = list[dict[str, Any]]
RECIPIENT_GONE = frozenset(
    {
        "channel_not_found",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "is_archived",
        "cannot_dm_bot",
        "not_in_channel",
        "users_not_found",
    }
)
MESSAGE_REFUSED = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments"}
)
CONNECTIONS_SPARE = 8  # connections to Slack beyond one per update in flight
DEFAULT_CONNECTIONS = Settings.concurrent_updates + CONNECTIONS_SPARE
_DIRECT = ("D", "U", "W")  # a DM channel, or a user id (posted into the app's DM)

# The request never went out: no connection was made.
NOT_SENT: tuple[type[Exception], ...] = (
    aiohttp.ClientConnectorError,
    getattr(aiohttp, "ConnectionTimeoutError", aiohttp.ClientConnectorError),
)


def retry_handlers(rate_limit_retries: int = 1) -> list[Any]:
    """slack_sdk's retries, limited to what was certainly not delivered."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1, error_types=list(NOT_SENT)),
        AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
    ]


def map_error(error: SlackApiError) -> TransientError | PermanentError | UncertainDelivery:
    response = error.response
    status = int(getattr(response, "status_code", None) or getattr(response, "status", 200) or 200)
    data = getattr(response, "data", None)
    if not isinstance(data, dict) or "ok" not in data:  # not Slack's JSON answer
        if 200 <= status < 300:
            return UncertainDelivery(f"slack {status}, answer unreadable: {error}")
        return TransientError(f"slack {status}: no answer from Slack")
    code = str(data.get("error", ""))
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        raw = headers.get("Retry-After") or headers.get("retry-after")
        return TransientError(f"slack 429: {code}", float(raw) if raw else None)
    if status >= 500:
        return TransientError(f"slack {status}: {code}")
    if code in RECIPIENT_GONE:
        return PermanentError(f"slack: {code}")
    if code in MESSAGE_REFUSED:
        return PermanentError(f"slack: {code}", block_recipient=False)
    return TransientError(f"slack: {code or status}")


async def _mapped(make: Callable[[], Awaitable[T]], *, sends: bool = True) -> T:
    """One Web API call, its failure mapped to the delivery contract. ``sends=False``: the
    call posts nothing, so a lost answer is worth trying again."""
    try:
        return await make()
    except SlackApiError as error:
        mapped = map_error(error)
        if isinstance(mapped, UncertainDelivery) and not sends:
            mapped = TransientError(str(mapped))
        raise mapped from error
    except NOT_SENT as error:
        raise TransientError(f"slack: not sent: {type(error).__name__}: {error}") from error
    except (TimeoutError, aiohttp.ClientError, OSError) as error:
        reason = f"slack: {type(error).__name__}: {error}"
        if not sends:
            raise TransientError(reason) from error
        # the request went out; whether Slack has the message is unknown
        raise UncertainDelivery(f"slack: sent, no answer: {reason}") from error
    except SlackClientError as error:
        raise TransientError(f"slack: {type(error).__name__}: {error}") from error


@dataclass(frozen=True)
class SlackPart:
    """One Web API call of a send: a message's blocks and fallback text, or a document."""

    blocks: Blocks = field(default_factory=list)
    text: str = ""
    ephemeral: bool = False
    document: Document | None = None


class SlackTransport:
    """Sends with ``client`` (see the module notes)."""

    platform = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        owns_client: bool = True,
        connections: int = DEFAULT_CONNECTIONS,
    ) -> None:
        self.client = client
        self._owns_client = owns_client  # else Bolt's app shares it and the adapter owns it
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None  # the one this transport opened
        self._closed = False  # work still running after close() opens no session to leave open
        self._channels: dict[str, str] = {}

    def api(self) -> AsyncWebClient:
        """The Web API client, on one shared session from the first call on (made in the
        running loop): slack_sdk, given none, opens a new session, and so a new connection,
        for every call, which under load costs more than the work."""
        if not self._closed and (self.client.session is None or self.client.session.closed):
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=self.client.timeout),
            )
            self.client.session = self._session
        return self.client

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: int = 30) -> SlackTransport | None:
        """A transport with a client of its own (the outbox worker's); None without a token."""
        if not settings.slack_bot_token:
            return None
        client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            retry_handlers=retry_handlers(),
            timeout=timeout,
        )
        return cls(client, connections=settings.concurrent_updates + CONNECTIONS_SPARE)

    async def _dm(self, user_id: str) -> str:
        """The person's DM channel with the app (``conversations.open``, cached)."""
        cached = self._channels.get(user_id)
        if cached:
            return cached
        response = await _mapped(lambda: self.api().conversations_open(users=user_id), sends=False)
        channel = response.get("channel") or {}
        channel_id = str(channel.get("id", "")) if isinstance(channel, dict) else ""
        if not channel_id:
            raise PermanentError(f"slack: no DM channel for {user_id}")
        self._channels[user_id] = channel_id
        return channel_id

    async def _channel(self, to: Target, *, dm_only: bool = False) -> str:
        chat = to.chat_id
        if chat and chat.startswith("D" if dm_only else _DIRECT):
            return chat
        return await self._dm(to.user_id)

    async def _respond(self, url: str, blocks: Blocks, text: str, **options: Any) -> bool:
        """Post to a ``response_url``; False when Slack refused the answer address."""
        hook = AsyncWebhookClient(url, session=self.api().session, retry_handlers=retry_handlers())
        response = await _mapped(lambda: hook.send(text=text, blocks=blocks, **options))
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"slack response_url {response.status_code}")
        return bool(response.status_code == 200)

    async def _post(self, to: Target, blocks: Blocks, text: str, *, ephemeral: bool) -> None:
        if to.reply_url:
            kind = "ephemeral" if ephemeral else "in_channel"
            if not await self._respond(
                to.reply_url, blocks, text, response_type=kind, replace_original=False
            ):
                raise PermanentError("slack: response_url refused", block_recipient=False)
            return
        channel = await self._channel(to)
        await _mapped(
            lambda: self.api().chat_postMessage(channel=channel, blocks=blocks, text=text)
        )

    async def _post_parts(
        self, to: Target, reply: Reply, parts: Sequence[Blocks], *, start: int = 0
    ) -> None:
        for number, blocks in enumerate(parts, start=start):
            text = slack_render.fallback_text(reply) if number == 0 else "…"
            await self._post(to, blocks, text, ephemeral=reply.ephemeral)

    # Transport ---------------------------------------------------------------------------------
    def parts(self, replies: Sequence[Reply]) -> list[SlackPart]:
        found: list[SlackPart] = []
        for reply in replies:
            for number, blocks in enumerate(slack_render.render(reply)):
                text = slack_render.fallback_text(reply) if number == 0 else "…"
                found.append(SlackPart(blocks, text, ephemeral=reply.ephemeral))
            if reply.document is not None:
                found.append(SlackPart(document=reply.document))
        return found

    async def send_part(self, to: Target, part: SlackPart) -> None:
        if part.document is not None:
            await self.send_document(to, part.document)
        else:
            await self._post(to, part.blocks, part.text, ephemeral=part.ephemeral)

    async def send(self, to: Target, replies: Sequence[Reply]) -> None:
        for part in self.parts(replies):
            await self.send_part(to, part)

    async def edit(self, to: Target, reply: Reply) -> bool:
        parts = slack_render.render(reply)
        if not parts:
            return False
        first, text = parts[0], slack_render.fallback_text(reply)
        if to.reply_url:
            if not await self._respond(to.reply_url, first, text, replace_original=True):
                return False
        elif to.message_id and to.chat_id:
            channel, ts = to.chat_id, to.message_id
            await _mapped(
                lambda: self.api().chat_update(channel=channel, ts=ts, blocks=first, text=text)
            )
        else:
            return False
        await self._post_parts(to, reply, parts[1:], start=1)
        if reply.document is not None:
            await self.send_document(to, reply.document)
        return True

    async def notify(self, to: Target, notice: Reply | None) -> None:
        """Ephemeral: only the person sees it; nothing is replaced. (Bolt has acknowledged
        the press already, so there is nothing else to answer.)"""
        if notice is None:
            return
        text = slack_render.fallback_text(notice)
        blocks = (slack_render.render(notice) or [[]])[0]
        if to.reply_url:
            await self._post(to, blocks, text, ephemeral=True)
            return
        channel = to.chat_id or to.user_id
        await _mapped(
            lambda: self.api().chat_postEphemeral(
                channel=channel, user=to.user_id, blocks=blocks, text=text
            )
        )

    async def send_document(self, to: Target, document: Document) -> None:
        """Uploaded into the person's DM (a ``response_url`` takes no files)."""
        channel = await self._channel(to, dm_only=True)
        await _mapped(
            lambda: self.api().files_upload_v2(
                channel=channel,
                content=document.content,
                filename=document.filename,
                title=document.filename,
            )
        )

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        await _mapped(lambda: self.api().views_open(trigger_id=trigger_id, view=view))

    async def publish_home(self, user_id: str, blocks: Blocks) -> None:
        view = {"type": "home", "blocks": blocks}
        await _mapped(lambda: self.api().views_publish(user_id=user_id, view=view))

    async def close(self) -> None:
        """Close the session this transport opened (or, owning the client, its session)."""
        self._closed = True
        session = self.client.session if self._owns_client else self._session
        if session is not None and not session.closed:
            await session.close()
