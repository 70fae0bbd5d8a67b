"""Fake platform HTTP servers for tests, driven by the real PTB and slack_sdk/Bolt clients.

* :mod:`tests.fakes.telegram_api` - ``FakeTelegram``, a Telegram Bot API server;
* :mod:`tests.fakes.slack_api` - ``FakeSlack``, a Slack Web API server, and
  ``sign_slack_request``.

Both bind 127.0.0.1 on a free port (never a fixed one), record every call, and are used as
``async with FakeTelegram() as fake: ...``. This module holds what they share.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web

__all__ = [
    "BAD_ANSWERS",
    "SLOW_ANSWER_S",
    "FakeServer",
    "SlidingWindow",
    "TokenBucket",
    "UploadedFile",
    "answer_badly",
    "read_request",
]

# How a fake answers badly (``fake.answer_badly_next(target, how)``):
#   "garbage"   accepts the call (the message is shown), then answers 200 with a non-JSON body;
#   "drop"      accepts the call, then closes the connection without answering;
#   "empty_502" refuses the call (nothing shown) with 502 and an empty body, as a gateway does;
#   "slow"      accepts the call, then waits ``SLOW_ANSWER_S`` before answering (longer than a
#               client with a short read timeout waits: its answer is lost to a timeout).
BAD_ANSWERS = ("garbage", "drop", "empty_502", "slow")
SLOW_ANSWER_S = 1.5
GARBAGE = "<html><body>upstream answered something odd</body></html>"


def answer_badly(request: web.Request, how: str) -> web.Response:
    """The bad answer ``how`` for ``request`` (after the call was handled, except empty_502)."""
    if how == "drop":
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=200)  # never reaches the client
    if how == "garbage":
        return web.Response(status=200, text=GARBAGE, content_type="text/html")
    if how == "empty_502":
        return web.Response(status=502)
    raise ValueError(f"unknown bad answer {how!r}")


class UploadedFile(dict[str, Any]):
    """A file part of a multipart request: ``{"filename", "content_type", "content"}``."""

    @property
    def filename(self) -> str:
        return str(self["filename"])

    @property
    def content(self) -> bytes:
        return bytes(self["content"])


async def read_request(request: web.Request) -> dict[str, Any]:
    """Query string, form fields (urlencoded or multipart) and a JSON body, merged.

    Values are kept as sent (strings for forms); file parts become :class:`UploadedFile`.
    """
    params: dict[str, Any] = dict(request.query)
    if request.method not in ("POST", "PUT"):
        return params
    ctype = request.content_type
    if ctype == "application/json":
        raw = await request.read()
        if raw:
            body = json.loads(raw)
            if isinstance(body, dict):
                params.update(body)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(
                    filename=value.filename,
                    content_type=value.content_type,
                    content=value.file.read(),
                )
            else:
                params[key] = value
    return params


class TokenBucket:
    """``rate`` requests per second with bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, burst)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> float:
        """Take one token: 0.0 if allowed, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class SlidingWindow:
    """At most ``rate * window`` requests in any ``window`` seconds."""

    def __init__(self, rate: float, window: float = 1.0) -> None:
        self.limit = max(1, math.floor(rate * window))
        self.window = window
        self.stamps: deque[float] = deque()

    def take(self) -> float:
        now = time.monotonic()
        while self.stamps and self.stamps[0] <= now - self.window:
            self.stamps.popleft()
        if len(self.stamps) >= self.limit:
            return self.stamps[0] + self.window - now
        self.stamps.append(now)
        return 0.0


class FakeServer:
    """An aiohttp server on 127.0.0.1, port 0, with a change signal for ``wait_until``."""

    def __init__(self) -> None:
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self.closing = False

    def build_app(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> None:
        if self._runner is not None:
            return
        self.closing = False
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self._runner = runner
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.closing = True
        self.changed()  # release long polls
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def changed(self) -> None:
        """Wake everything waiting in :meth:`wait_until` (called after every recorded change)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` is true, re-checking after every call the server handles.

        Raises ``TimeoutError`` after ``within`` seconds.
        """
        async with asyncio.timeout(within):
            while True:
                event = self._changed
                if predicate():
                    return
                await event.wait()
