"""udx-bot run: which services start, /healthz, and refusing to run with no platform."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import aiohttp
import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram_support import with_telegram
from udx_bot import runner
from udx_bot.config import Settings
from udx_bot.context import Services


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_no_platform_is_refused_naming_the_variables(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await runner.serve(services, asyncio.Event()) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in err and "SLACK_BOT_TOKEN" in err and "SLACK_APP_TOKEN" in err


async def test_with_port_set_healthz_answers_even_when_polling(services: Services) -> None:
    port = free_port()
    async with FakeTelegram() as fake:
        with_telegram(services, fake)
        services.settings = replace(services.settings, port=port, port_given=True)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.serve(services, stop))
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(100):
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                            assert response.status == 200
                            assert await response.json() == {"status": "ok"}
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)
                else:
                    raise AssertionError("/healthz never answered")
        finally:
            stop.set()
            assert await asyncio.wait_for(task, runner.STOP_TIMEOUT_S) == 0


def test_port_given_only_when_port_is_set() -> None:
    assert not Settings.from_env({}).port_given
    assert Settings.from_env({"PORT": "5000"}).port_given
