"""``/healthz`` follows the database (200 / 503, and 200 again when it is back: the real
PostgreSQL behind a TCP proxy the test cuts), ``/metrics`` parses with the Prometheus text
parser and moves when an update is handled and a message is sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from storage import open_store
from storage.outbox import NewMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import telegram_route
from tests.support import Chat, person
from udx_bot.context import Services
from udx_bot.outbox_worker import OutboxWorker
from udx_bot.types import Reply
from udx_bot.web import build_app, start_server

TOKEN = "123456:TEST"


@contextlib.asynccontextmanager
async def serving(services: Services) -> AsyncIterator[str]:
    runner, port = await start_server(build_app([], services), 0, host="127.0.0.1")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_move_when_an_update_is_handled_and_a_message_is_sent(
    services: Services,
) -> None:
    sent_key = ("udx_outbox_sent_total", (("kind", "test"), ("platform", "telegram")))
    help_key = ("udx_updates_total", (("command", "help"), ("platform", "telegram")))
    depth_key = ("udx_outbox_depth", (("platform", "telegram"),))
    async with serving(services) as base, FakeTelegram(token=TOKEN) as fake:
        before = await scrape(base)
        await Chat(services, person("42")).send("/help")
        payload = json.dumps([Reply.text("Hello").to_json()])
        row = NewMessage("metrics:1", "test", "telegram", "42", "42", payload)
        assert await services.store.outbox.enqueue_many([row], now=services.clock()) == 1
        queued = await scrape(base)
        assert queued[depth_key] >= 1
        worker = OutboxWorker(
            services.store, telegram_route(TOKEN, fake.base_url), clock=services.clock
        )
        assert (await worker.run_until_idle(within=5)).sent == 1
        await worker.stop()
        after = await scrape(base)
    assert after[help_key] == before.get(help_key, 0) + 1
    assert after[sent_key] == before.get(sent_key, 0) + 1
    assert after[depth_key] == queued[depth_key] - 1
    assert sum(v for (name, _), v in after.items() if name == "udx_reply_seconds_count") >= 1


class Proxy:
    """A TCP proxy in front of PostgreSQL that the test can cut (``down``) and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.up = True
        self.open: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.open |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.open -= {writer, up_writer}

    def cut(self) -> None:
        self.up = False
        for writer in list(self.open):
            writer.close()

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def _health(session: aiohttp.ClientSession, base: str) -> int:
    async with session.get(f"{base}/healthz") as response:
        return response.status


async def test_healthz_turns_503_when_the_database_stops_and_200_when_back(
    pg_schema: tuple[str, str], services: Services
) -> None:
    url, schema = pg_schema
    parts = urlsplit(url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    port = await proxy.start()
    netloc = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    proxied = urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{port}"))
    store = await open_store(proxied, schema=schema)
    services.store = store
    try:
        async with serving(services) as base, aiohttp.ClientSession() as session:
            assert await _health(session, base) == 200
            proxy.cut()
            assert await _health(session, base) == 503
            proxy.up = True
            statuses = [await _health(session, base) for _ in range(3)]
            assert statuses == [200, 200, 200], statuses  # stale pooled connections are re-made
    finally:
        await store.close()
        await proxy.close()
