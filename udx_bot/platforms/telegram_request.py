"""python-telegram-bot's request layer on aiohttp: one ``ClientSession``, a bounded pool of
kept-alive connections.

PTB's default (httpx/httpcore) degrades as its pool grows: 200 concurrent posts took seconds
where aiohttp's client, its connections kept alive, takes a fraction of one (see the README's
performance section). PTB lets a bot bring its own :class:`~telegram.request.BaseRequest`; this
is one, for the adapter's ``Application`` and the outbox worker's ``Bot`` alike.

Its contract is PTB's: ``do_request`` answers ``(status, body)`` for whatever came back (PTB maps
a status to its errors), and a request that got no answer raises
:class:`~telegram.error.TimedOut` (a timeout; a full pool is one too, and was *not* sent) or
:class:`~telegram.error.NetworkError` (no connection, a connection dropped), the aiohttp error as
its cause. Timeouts: ``connect_timeout`` is the time to open a connection, ``pool_timeout`` the
time to wait for a free one, ``read_timeout`` the time between reads of the answer;
``write_timeout`` has no aiohttp counterpart (an upload is bounded by the read timeout of the
answer that follows it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

Timeout = float | timedelta | None

# Certainly not sent: no connection was had to send it on (refused, or none within the time).
NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


def _seconds(value: Timeout) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else value


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` on one aiohttp ``ClientSession`` (see the
    module). The session is made on :meth:`initialize` (or the first request) and closed on
    :meth:`shutdown`; a shut down request can be initialized again."""

    __slots__ = ("_connect", "_pool", "_pool_size", "_read", "_session")

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: Timeout = 5.0,
        connect_timeout: Timeout = 5.0,
        pool_timeout: Timeout = 1.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read = _seconds(read_timeout)
        self._connect = _seconds(connect_timeout)
        self._pool = _seconds(pool_timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    @property
    def connection_pool_size(self) -> int:
        return self._pool_size

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, limit_per_host=self._pool_size, keepalive_timeout=30
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        await self.initialize()
        assert self._session is not None
        read = self._read if isinstance(read_timeout, DefaultValue) else _seconds(read_timeout)
        connect = (
            self._connect
            if isinstance(connect_timeout, DefaultValue)
            else _seconds(connect_timeout)
        )
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else _seconds(pool_timeout)
        # aiohttp's ``connect`` covers waiting for a pooled connection and opening a new one
        waiting = None if connect is None or pool is None else connect + pool
        timeout = aiohttp.ClientTimeout(
            total=None, connect=waiting, sock_connect=connect, sock_read=read
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise TimedOut(
                "Pool or connect timeout: no connection within the time; the request was *not* "
                "sent to Telegram"
            ) from error
        except TimeoutError as error:  # aiohttp's read timeout (asyncio.TimeoutError) included
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _body(request_data: RequestData | None) -> Any:
    """Form fields, multipart when there are files (as PTB's own request sends them)."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields or None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
