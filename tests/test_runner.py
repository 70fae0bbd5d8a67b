"""udx-bot run, web and worker: which services each starts, /healthz and /metrics, and refusing
to run with no platform."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.telegram_api import FakeTelegram, visible_text
from tests.telegram_support import with_telegram
from udx_bot import runner
from udx_bot.config import Settings
from udx_bot.context import Services

ALICE = 501


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


# --- the processes: run, web, worker ----------------------------------------------------------


class _Stub:
    """A service as the runner sees it: a name and perhaps HTTP routes."""

    def __init__(self, name: str, *, http: bool) -> None:
        self.name = name
        self.http = http

    def routes(self) -> list[web.RouteDef]:
        return [web.get(f"/{self.name}", lambda _r: web.Response())] if self.http else []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def test_http_platforms_go_to_web_the_rest_to_the_worker() -> None:
    webhook, polling = _Stub("webhook", http=True), _Stub("polling", http=False)
    outbox = _Stub("outbox", http=False)
    platforms, workers = [webhook, polling], [outbox]
    assert runner.select(platforms, workers, runner.ALL) == ([webhook, polling], [outbox])
    assert runner.select(platforms, workers, runner.WEB) == ([webhook], [])
    assert runner.select(platforms, workers, runner.WORKER) == ([polling], [outbox])


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for _ in range(200):
        try:
            async with session.get(url) as response:
                return response.status, await response.text()
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered")


async def test_the_web_process_serves_health_and_metrics_and_does_not_poll(
    services: Services,
) -> None:
    port = free_port()
    async with FakeTelegram() as fake:
        with_telegram(services, fake)  # no webhook: polling belongs to the worker
        stop = asyncio.Event()
        task = asyncio.create_task(runner.serve(services, stop, port=port, roles=runner.WEB))
        try:
            async with aiohttp.ClientSession() as session:
                base = f"http://127.0.0.1:{port}"
                assert await _get(session, f"{base}/healthz") == (200, '{"status": "ok"}')
                status, text = await _get(session, f"{base}/metrics")
                assert status == 200
                names = {family.name for family in text_string_to_metric_families(text)}
                assert {"udx_updates", "udx_outbox_sent", "udx_outbox_depth"} <= names
        finally:
            stop.set()
            assert await asyncio.wait_for(task, runner.STOP_TIMEOUT_S) == 0
    assert fake.calls_to("getUpdates") == [] and fake.calls_to("getMe") == []


async def test_the_worker_polls_telegram_and_serves_no_http_without_port(
    services: Services,
) -> None:
    async with FakeTelegram() as fake:
        with_telegram(services, fake)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.serve(services, stop, port=0, roles=runner.WORKER))
        fake.push_message(ALICE, "/help")
        texts = await fake.wait_for_messages(ALICE, within=10)
        stop.set()
        assert await asyncio.wait_for(task, runner.STOP_TIMEOUT_S) == 0
    assert "Commands" in visible_text(texts[0])


async def test_the_worker_leaves_the_webhook_to_the_web_process(services: Services) -> None:
    async with FakeTelegram() as fake:
        with_telegram(
            services,
            fake,
            telegram_webhook_url="https://bot.example/telegram/webhook",
            telegram_webhook_secret="s3cret-token",
        )
        stop = asyncio.Event()
        task = asyncio.create_task(runner.serve(services, stop, port=0, roles=runner.WORKER))
        await asyncio.sleep(0.2)
        stop.set()
        assert await asyncio.wait_for(task, runner.STOP_TIMEOUT_S) == 0
    assert fake.calls_to("setWebhook") == [] and fake.calls_to("getMe") == []  # not started
