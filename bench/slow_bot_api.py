"""A slow fake Bot API in a process of its own: ``tests.fakes``' FakeTelegram answering every
call after a fixed delay (a round trip to a far server), on 127.0.0.1.

    python -m bench.slow_bot_api --rtt-ms 80     # prints its base URL, serves until stdin closes

Its own process, so the bot being measured does not pay for the fake's work (as with a real
Bot API server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bench.child_server import child_server, serve_until_stdin_closes
from bench.child_server import main as child_main


async def serve(rtt_ms: float) -> None:
    from tests.fakes.telegram_api import FakeTelegram

    async with FakeTelegram(delay=rtt_ms / 1000) as fake:
        fake.calls = _Forgetful()  # a long run keeps no record of its calls
        print(fake.base_url, flush=True)
        await serve_until_stdin_closes()


class _Forgetful(list):  # type: ignore[type-arg]
    def append(self, _item: object) -> None:
        pass


@asynccontextmanager
async def slow_bot_api(rtt_ms: float) -> AsyncIterator[str]:
    """Start the fake in a child process; yields its Bot API base URL."""
    async with child_server("bench.slow_bot_api", rtt_ms, "the slow Bot API") as url:
        yield url


if __name__ == "__main__":
    child_main("bench.slow_bot_api", serve)
