"""Delivering outbox messages on Slack: a :class:`~udx_bot.delivery.Sender` on slack_sdk's
``AsyncWebClient`` (``base_url`` from ``SLACK_API_URL``).

A message goes to the person's DM channel (the identity's ``chat_id`` when it is a DM channel
``D…``, else ``conversations.open``, cached), one ``chat.postMessage`` per rendered part with
Block Kit blocks from :func:`udx_bot.platforms.slack_render.render` and always a plain ``text``
fallback.
slack_sdk retries within a call only what was certainly not delivered: a 429 once after
``Retry-After`` and a connection that could not be made (its default handler would also send
again after the server dropped the connection or reset it, which can post a message twice, so
the sender replaces it). What is left maps to the delivery contract:

* ``channel_not_found``, ``account_inactive``, ``user_not_found`` (and similar) ->
  ``PermanentError``; a refused message (``invalid_blocks``, ``msg_too_long``, …) ->
  ``PermanentError(block_recipient=False)``;
* certainly not delivered -> ``TransientError``: 429, a 5xx without a readable ``ok`` (a
  gateway's error page), Slack's own ``ok: false`` errors, no connection made;
* perhaps delivered -> ``UncertainDelivery`` (never sent again): the connection dropped or
  timed out after the request went out, or a 2xx answer that is not Slack's JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from udx_bot.config import Settings
from udx_bot.delivery import PermanentError, TransientError, UncertainDelivery
from udx_bot.platforms.slack_render import fallback_text, render
from udx_bot.types import Reply

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


# The request never went out: no connection was made.
NOT_SENT: tuple[type[Exception], ...] = (
    aiohttp.ClientConnectorError,
    getattr(aiohttp, "ConnectionTimeoutError", aiohttp.ClientConnectorError),
)


def retry_handlers() -> list[Any]:
    """slack_sdk's retries, limited to what was certainly not delivered."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1, error_types=list(NOT_SENT)),
        AsyncRateLimitErrorRetryHandler(max_retry_count=1),
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
        raw = (getattr(response, "headers", None) or {}).get("Retry-After") or (
            getattr(response, "headers", None) or {}
        ).get("retry-after")
        retry_after = float(raw) if raw else None
        return TransientError(f"slack 429: {code}", retry_after)
    if status >= 500:
        return TransientError(f"slack {status}: {code}")
    if code in RECIPIENT_GONE:
        return PermanentError(f"slack: {code}")
    if code in MESSAGE_REFUSED:
        return PermanentError(f"slack: {code}", block_recipient=False)
    return TransientError(f"slack: {code or status}")


class SlackSender:
    platform = "slack"

    def __init__(self, token: str, api_url: str) -> None:
        self.client = AsyncWebClient(token=token, base_url=api_url, retry_handlers=retry_handlers())
        self._channels: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackSender | None:
        if not settings.slack_bot_token:
            return None
        return cls(settings.slack_bot_token, settings.slack_api_url)

    async def _channel(self, user_id: str, chat_id: str | None) -> str:
        if chat_id and chat_id.startswith("D"):
            return chat_id  # the DM channel is known
        cached = self._channels.get(user_id)
        if cached:
            return cached
        response = await self.client.conversations_open(users=user_id)
        channel = response.get("channel") or {}
        channel_id = str(channel.get("id", "")) if isinstance(channel, dict) else ""
        if not channel_id:
            raise PermanentError(f"slack: no DM channel for {user_id}")
        self._channels[user_id] = channel_id
        return channel_id

    async def deliver(self, user_id: str, chat_id: str | None, replies: Sequence[Reply]) -> None:
        try:
            channel = await self._channel(user_id, chat_id)
        except SlackApiError as error:  # conversations.open sends nothing: always try again
            mapped = map_error(error)
            if isinstance(mapped, UncertainDelivery):
                mapped = TransientError(str(mapped))
            raise mapped from error
        except (TimeoutError, aiohttp.ClientError, OSError, SlackClientError) as error:
            raise TransientError(f"slack: {type(error).__name__}: {error}") from error
        try:
            for reply in replies:
                text = fallback_text(reply)
                for blocks in render(reply):
                    await self.client.chat_postMessage(channel=channel, blocks=blocks, text=text)
                if reply.document is not None:
                    doc = reply.document
                    await self.client.files_upload_v2(
                        channel=channel, content=doc.content, filename=doc.filename
                    )
        except SlackApiError as error:
            raise map_error(error) from error
        except NOT_SENT as error:
            raise TransientError(f"slack: not sent: {type(error).__name__}: {error}") from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            # the request went out; whether Slack has the message is unknown
            raise UncertainDelivery(
                f"slack: sent, no answer: {type(error).__name__}: {error}"
            ) from error
        except SlackClientError as error:
            raise TransientError(f"slack: {type(error).__name__}: {error}") from error

    async def close(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()
