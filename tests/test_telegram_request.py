"""The aiohttp request layer (udx_bot/platforms/telegram_request.py) under PTB's own request
contract: the real ``Bot`` against FakeTelegram, and every way a call can get no answer mapped to
PTB's errors and, from there, to the delivery contract."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from tests.fakes.telegram_api import FakeTelegram
from udx_bot.delivery import TransientError, UncertainDelivery
from udx_bot.platforms.telegram_request import AiohttpRequest
from udx_bot.platforms.telegram_transport import map_error

TOKEN = "123456:TEST-token"


async def test_the_real_bot_calls_sends_uploads_and_reads_refusals() -> None:
    async with FakeTelegram() as fake:
        request = AiohttpRequest(4)
        bot = Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url, request=request)
        async with bot:
            assert bot.username == "udx_test_bot"  # getMe on initialize
            await bot.send_message(42, "<b>Hallo</b> & co", parse_mode="HTML")
            await bot.send_document(42, InputFile(b'{"a": 1}', filename="export.json"))
            fake.fail[43] = 403
            with pytest.raises(Forbidden):
                await bot.send_message(43, "hi")
            fake.fail[43] = 400
            with pytest.raises(BadRequest, match=r"(?i)chat not found"):
                await bot.send_message(43, "hi")
        assert fake.sent_messages(42) == ["<b>Hallo</b> & co"]
        (document,) = fake.documents(42)
        assert document.filename == "export.json" and document.content == b'{"a": 1}'
        # shut down, it can be started again
        async with bot:
            await bot.send_message(42, "again")
        assert fake.sent_messages(42)[-1] == "again"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_no_server_is_a_network_error_and_certainly_not_sent() -> None:
    async with AiohttpRequest(2) as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{free_port()}/bot{TOKEN}/sendMessage")
    assert "aiohttp.ClientConnectorError" in str(caught.value)
    assert isinstance(map_error(caught.value), TransientError)


class Hanging:
    """A server that accepts requests and answers none until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.arrived = 0

    async def handle(self, _request: web.Request) -> web.Response:
        self.arrived += 1
        await self.release.wait()
        return web.json_response({"ok": True, "result": True})


@pytest.fixture
async def hanging() -> AsyncIterator[tuple[Hanging, str]]:
    server = Hanging()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield server, f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage"
    finally:
        server.release.set()
        await runner.cleanup()


async def test_no_answer_in_time_is_timed_out_and_perhaps_delivered(
    hanging: tuple[Hanging, str],
) -> None:
    server, url = hanging
    async with AiohttpRequest(2, read_timeout=0.05) as request:
        with pytest.raises(TimedOut) as caught:
            await request.post(url)
    assert server.arrived == 1  # it went out
    assert isinstance(map_error(caught.value), UncertainDelivery)


async def test_a_full_pool_is_timed_out_and_certainly_not_sent(
    hanging: tuple[Hanging, str],
) -> None:
    server, url = hanging
    async with AiohttpRequest(
        1, read_timeout=None, connect_timeout=0.05, pool_timeout=0.05
    ) as request:
        first = asyncio.create_task(request.post(url))
        while server.arrived < 1:  # noqa: ASYNC110 - the server has no event for it
            await asyncio.sleep(0.01)
        with pytest.raises(TimedOut, match="not") as caught:
            await request.post(url)
        server.release.set()
        assert await first is True
    assert server.arrived == 1  # the second never reached the server
    assert isinstance(map_error(caught.value), TransientError)
