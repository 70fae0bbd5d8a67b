"""Many people at once: the real PTB Application (polling and webhook) against FakeTelegram runs
updates of different chats concurrently and those of one chat in arrival order, within
UDX_CONCURRENT_UPDATES; SQLite under concurrent writers shows no lock error."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from storage import Store
from storage.engine import NestedWriteError
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.telegram_support import TelegramHarness, Toggle, feature_router, with_telegram
from udx_bot.app import open_database
from udx_bot.config import ConfigError, Settings
from udx_bot.context import Context, Services
from udx_bot.platforms.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramService
from udx_bot.platforms.telegram_processor import ChatOrderedProcessor
from udx_bot.router import Router
from udx_bot.types import Reply
from udx_bot.web import build_app, start_server

CHATS = range(601, 611)  # ten people
PER_CHAT = 5


def later_first(call: Call) -> float:
    """Earlier echoes answer more slowly: without per-chat order their replies would swap."""
    found = re.search(r"(\d+)\s*$", str(call.params.get("text", "")))
    return 0.06 * (PER_CHAT - int(found.group(1))) if found else 0.0


@asynccontextmanager
async def bot(
    services: Services, router: Router, fake: FakeTelegram, **settings: Any
) -> AsyncIterator[TelegramHarness]:
    services.router.include(router)
    service = TelegramService(
        with_telegram(services, fake, **settings), poll_timeout=dtm.timedelta(seconds=2)
    )
    harness = TelegramHarness(fake, service)
    await service.start()
    try:
        yield harness
    finally:
        await service.stop()


async def all_processed(harness: TelegramHarness, updates: list[dict[str, Any]]) -> None:
    ids = {u["update_id"] for u in updates}
    await harness.fake.wait_until(lambda: ids <= harness.done, within=20)


async def test_each_chat_sees_its_replies_in_order_while_others_are_busy(
    services: Services,
) -> None:
    async with FakeTelegram(delay=later_first) as fake, bot(services, feature_router(), fake) as tg:
        assert isinstance(tg.service.application.update_processor, ChatOrderedProcessor)
        pushed = [fake.push_message(chat, f"/echo {n}") for n in range(PER_CHAT) for chat in CHATS]
        await all_processed(tg, pushed)
        for chat in CHATS:
            seen = [text.split()[-1] for text in fake.visible_texts(chat)]
            assert seen == [str(n) for n in range(PER_CHAT)], chat


async def test_other_chats_go_on_while_one_waits_and_that_chat_keeps_its_order(
    services: Services,
) -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    async with FakeTelegram() as fake, bot(services, feature_router(gate, started), fake) as tg:
        slow = fake.push_message(601, "/slow")
        await asyncio.wait_for(started.wait(), 5)
        after = fake.push_message(601, "/echo after")
        # another person is answered while the first one's update is still running
        assert [t.split()[-1] for t in await tg.send(602, "/echo meanwhile")] == ["meanwhile"]
        gate.set()
        await all_processed(tg, [slow, after])
        texts = fake.visible_texts(601)
        assert texts[0] == "Finally done." and texts[1].endswith("after")


async def test_no_more_updates_run_at_once_than_configured(services: Services) -> None:
    router, gate = Router(), asyncio.Event()
    running: list[int] = []
    most = 0

    async with FakeTelegram() as fake:

        @router.command("hold", registered=False, menu=False)
        async def hold(ctx: Context) -> Reply:
            nonlocal most
            running.append(1)
            most = max(most, len(running))
            fake.changed()
            await gate.wait()
            running.pop()
            return Reply.text("held")

        async with bot(services, router, fake, concurrent_updates=3) as tg:
            processor = tg.service.application.update_processor
            assert processor.max_concurrent_updates == 3
            pushed = [fake.push_message(chat, "/hold") for chat in range(601, 607)]
            await fake.wait_until(lambda: len(running) == 3)
            assert processor.current_concurrent_updates == 3
            gate.set()
            await all_processed(tg, pushed)
    assert most == 3  # three at once (they overlapped), never more
    assert all(fake.visible_texts(chat) == ["held"] for chat in range(601, 607))


def more_ticks_slower(call: Call) -> float:
    """An edit showing more chosen fields answers more slowly (press 3 of 4 shows the most)."""
    return 0.03 * json.dumps(call.params.get("reply_markup"), ensure_ascii=False).count("✅")


async def test_quick_presses_of_a_multi_select_end_in_the_right_state(
    services: Services,
) -> None:
    async with (
        FakeTelegram(delay=more_ticks_slower) as fake,
        bot(services, feature_router(), fake) as tg,
    ):
        await tg.send(601, "/choose")
        presses = [fake.push_callback(601, Toggle(v).pack()) for v in ("6", "7", "11", "6")]
        await all_processed(tg, presses)
        labels = [label for row in fake.last_keyboard(601) or [] for label, _ in row]
        chosen = [label for label in labels if label.startswith(("✅", "☑", "✔"))]
        assert len(chosen) == 2 and any("Energy" in c for c in chosen), labels
        assert any("Cities" in c for c in chosen) and not any("Water" in c for c in chosen)


# --- the webhook goes through the same processor ------------------------------------------------

SECRET = "s3cret-Token_1"


async def post(session: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> int:
    async with session.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
        return response.status


async def test_webhook_requests_keep_a_chats_order_and_let_others_pass(
    services: Services,
) -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    services.router.include(feature_router(gate, started))
    async with FakeTelegram() as fake:
        with_telegram(
            services,
            fake,
            telegram_webhook_url="https://bot.example/telegram/webhook",
            telegram_webhook_secret=SECRET,
        )
        service = TelegramService(services)
        web_runner, port = await start_server(build_app(service.routes()), 0, host="127.0.0.1")
        url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        await service.start()
        assert fake.webhook is not None and fake.webhook["max_connections"] == 64  # as processed
        try:
            async with aiohttp.ClientSession() as session:
                slow = asyncio.create_task(post(session, url, fake.make_update_dict(601, "/slow")))
                try:
                    await asyncio.wait_for(started.wait(), 5)
                    after = asyncio.create_task(
                        post(session, url, fake.make_update_dict(601, "/echo after"))
                    )
                    other = fake.make_update_dict(602, "/echo other")
                    assert await post(session, url, other) == 200
                    assert fake.visible_texts(602)[-1].endswith("other")
                finally:
                    gate.set()  # never leave the slow update hanging
                assert await slow == 200 and await after == 200
        finally:
            await service.stop()
            await web_runner.cleanup()
        texts = fake.visible_texts(601)
        assert texts[0] == "Finally done." and texts[1].endswith("after")


# --- the database under concurrent handlers -----------------------------------------------------


async def test_sqlite_takes_concurrent_writers_without_a_lock_error(
    store: Store, services: Services
) -> None:
    now = services.clock()

    async def person(n: int) -> None:
        participant, _ = await store.participants.touch("telegram", str(9000 + n), now=now)
        assert await store.updates.first_time("telegram", f"u{n}", now=now)
        await store.conversations.set(participant.id, "tt:answer", {"n": n}, now=now)
        await store.conversations.clear(participant.id)

    await asyncio.gather(*(person(n) for n in range(120)))
    assert not await store.updates.first_time("telegram", "u7", now=now)


async def test_a_write_inside_a_write_fails_at_once_instead_of_waiting_for_itself(
    store: Store,
) -> None:
    async with store.db.write():
        with pytest.raises(NestedWriteError, match="inside another"):
            async with store.db.write():
                pass
    async with store.db.write(), store.db.read():  # a read inside a write is fine
        pass


def test_the_concurrency_comes_from_the_environment() -> None:
    assert Settings.from_env({}).concurrent_updates == 64
    assert Settings.from_env({"UDX_CONCURRENT_UPDATES": "8"}).concurrent_updates == 8
    for bad in ("0", "-3", "many", "2.5", "100000"):
        with pytest.raises(ConfigError, match="UDX_CONCURRENT_UPDATES"):
            Settings.from_env({"UDX_CONCURRENT_UPDATES": bad})


async def test_the_pool_holds_a_connection_for_every_handler_of_both_platforms(
    tmp_path: Path,
) -> None:
    """Telegram and Slack each work on up to UDX_CONCURRENT_UPDATES at once."""
    env = {"UDX_CONCURRENT_UPDATES": "5", "DATABASE_URL": f"sqlite:///{tmp_path}/udx.sqlite3"}
    both = {**env, "TELEGRAM_BOT_TOKEN": "1:x", "SLACK_BOT_TOKEN": "xoxb-x"}
    assert Settings.from_env(env).handlers_at_once == 5
    assert Settings.from_env({**env, "SLACK_BOT_TOKEN": "xoxb-x"}).handlers_at_once == 5
    settings = Settings.from_env({**both, "SLACK_SIGNING_SECRET": "s"})
    assert settings.handlers_at_once == 10
    store = await open_database(settings)
    try:
        assert store.db.engine.pool.size() == 10  # type: ignore[attr-defined]
    finally:
        await store.close()
