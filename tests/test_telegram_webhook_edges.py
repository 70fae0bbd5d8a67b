"""Webhook requests Telegram would not send: a body over the limit gets 413 before it is read
whole, and an update without the parts the adapter needs (a callback without ``from``, a message
without ``chat``) is acknowledged with 200 and a warning, never a 500 or a traceback."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram_support import feature_router, with_telegram
from udx_bot.context import Services
from udx_bot.platforms.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramService
from udx_bot.web import MAX_BODY_BYTES, build_app, start_server

SECRET = "s3cret-Token_2"
ALICE = 501


class Hook:
    def __init__(self, fake: FakeTelegram, service: TelegramService, url: str) -> None:
        self.fake, self.service, self.url = fake, service, url

    async def post(self, update: dict[str, Any]) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, json=update, headers={SECRET_HEADER: SECRET}) as response,
        ):
            return response.status


@pytest.fixture
async def hook(services: Services) -> AsyncIterator[Hook]:
    services.router.include(feature_router())
    async with FakeTelegram() as fake:
        with_telegram(
            services,
            fake,
            telegram_webhook_url="https://bot.example/telegram/webhook",
            telegram_webhook_secret=SECRET,
        )
        service = TelegramService(services)
        # aiohttp keeps reading (lingering) what a refused streamed upload still sends, and a
        # stop waits for that up to its shutdown timeout: a short one, the tests' uploads are over
        web_runner, port = await start_server(
            build_app(service.routes()), 0, host="127.0.0.1", shutdown_timeout=0.2
        )
        await service.start()
        try:
            yield Hook(fake, service, f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
        finally:
            await service.stop()
            await web_runner.cleanup()


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_huge_body_with_the_right_secret_gets_413(hook: Hook) -> None:
    body = io.BytesIO(b'{"update_id": 1, "x": "' + b"a" * (20 * 1024 * 1024) + b'"}')
    async with (
        aiohttp.ClientSession() as session,
        session.post(hook.url, data=body, headers={SECRET_HEADER: SECRET}) as response,
    ):
        assert response.status == 413
    assert hook.fake.calls_to("sendMessage") == []


async def test_a_streamed_body_over_the_limit_gets_413_before_it_is_read_whole(
    hook: Hook,
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        nonlocal sent
        for _ in range(20):
            sent += 1024 * 1024
            yield b"a" * (1024 * 1024)
            await asyncio.sleep(0)

    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(
                hook.url, data=chunks(), headers={SECRET_HEADER: SECRET}
            ) as response:
                assert response.status == 413
        except aiohttp.ClientError:
            pass  # the server may close the connection while the client still writes
    assert MAX_BODY_BYTES < 20 * 1024 * 1024


async def test_a_body_just_under_the_limit_is_read(hook: Hook) -> None:
    update = hook.fake.make_update_dict(ALICE, "/echo hi")
    update["padding"] = "a" * (MAX_BODY_BYTES - 4096)
    assert await hook.post(update) == 200
    assert hook.fake.visible_texts(ALICE) == ["You wrote\nhi"]


async def test_a_callback_without_from_is_acknowledged_and_ignored(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    update = hook.fake.make_update_dict(ALICE, data="tt:pick:red")
    del update["callback_query"]["from"]
    assert await hook.post(update) == 200
    assert _errors(caplog) == []
    assert hook.fake.calls_to("sendMessage") == []
    assert any("without" in r.getMessage() for r in caplog.records)  # a warning says so


async def test_a_message_without_chat_is_acknowledged_and_ignored(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    update = hook.fake.make_update_dict(ALICE, "/help")
    del update["message"]["chat"]
    assert await hook.post(update) == 200
    assert _errors(caplog) == []
    assert hook.fake.calls_to("sendMessage") == []
    store = hook.service.services.store
    assert await store.participants.by_identity("telegram", str(ALICE)) is None


async def test_a_message_without_from_is_acknowledged_and_ignored(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    update = hook.fake.make_update_dict(ALICE, "/help")
    del update["message"]["from"]
    assert await hook.post(update) == 200
    assert _errors(caplog) == []
    assert hook.fake.calls_to("sendMessage") == []
