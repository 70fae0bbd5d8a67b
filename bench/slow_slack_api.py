"""A slow fake Slack in a process of its own: ``tests.fakes``' FakeSlack answering every Web API
call and every ``response_url`` post after a fixed delay (a round trip to a far server), on
127.0.0.1.

    python -m bench.slow_slack_api --rtt-ms 80   # prints its base URL, serves until stdin closes

Besides the fake's own routes (``/api/<method>``, ``/response_url/<key>``) it notes when each
``response_url`` post arrived, on the machine's monotonic clock (``CLOCK_MONOTONIC``, the same in
every process), and ``GET /bench/arrivals?prefix=P&count=N`` answers ``{key: [seconds, ...]}``
once posts to N keys starting with P have arrived (then every arrival noted so far is
forgotten). Its own process, so the bot being measured does not pay for the fake's work.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bench.child_server import child_server, serve_until_stdin_closes
from bench.child_server import main as child_main


def _slow_slack(rtt_ms: float) -> Any:
    from tests.fakes.slack_api import FakeSlack

    class SlowSlack(FakeSlack):
        def __init__(self) -> None:
            super().__init__(delay=rtt_ms / 1000)
            self.arrivals: dict[str, list[float]] = {}

        def build_app(self) -> web.Application:
            app = super().build_app()
            app.router.add_get("/bench/arrivals", self._handle_arrivals)
            return app

        def changed(self) -> None:  # a long run keeps no record of its calls
            self.calls.clear()
            self._posted.clear()
            self._responses.clear()
            super().changed()

        async def _handle_response_url(self, request: web.Request) -> web.Response:
            now = time.monotonic()
            self.arrivals.setdefault(request.match_info["key"], []).append(now)
            return await super()._handle_response_url(request)

        async def _handle_arrivals(self, request: web.Request) -> web.Response:
            prefix = request.query.get("prefix", "")
            count = int(request.query.get("count", "0"))
            within = float(request.query.get("within", "120"))

            def wanted() -> dict[str, list[float]]:
                return {k: v for k, v in self.arrivals.items() if k.startswith(prefix)}

            try:
                await self.wait_until(lambda: len(wanted()) >= count, within)
            except TimeoutError:
                pass
            found = wanted()
            self.arrivals = {}
            return web.json_response(found)

    return SlowSlack()


async def serve(rtt_ms: float) -> None:
    async with _slow_slack(rtt_ms) as fake:
        print(fake.url, flush=True)
        await serve_until_stdin_closes()


@asynccontextmanager
async def slow_slack_api(rtt_ms: float) -> AsyncIterator[str]:
    """Start the fake in a child process; yields its base URL (the Web API is ``/api/``)."""
    async with child_server("bench.slow_slack_api", rtt_ms, "the slow Slack API") as url:
        yield url


if __name__ == "__main__":
    child_main("bench.slow_slack_api", serve)
