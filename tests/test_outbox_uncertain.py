"""Ambiguous send failures never turn into duplicates: what the platform certainly did not get is
sent again, what it probably got (its answer was garbage, the connection dropped after the
request went out) is recorded as ``uncertain`` and never sent again. The real PTB Bot and
slack_sdk client against fake servers that answer badly."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from storage import Store
from storage.outbox import NewMessage, StatusCounts
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import add_people, running_clock, slack_route, telegram_route
from tests.support import TEST_NOW, Chat, FakeClock
from tests.test_announcements import coordinator
from udx_bot.outbox_worker import OutboxWorker
from udx_bot.types import Reply

TOKEN = "123456:TEST"


async def queue(store: Store, people: list[tuple[int, str]], platform: str) -> None:
    payload = json.dumps([Reply.text("Hello", heading="News").to_json()])
    await store.outbox.enqueue_many(
        [
            NewMessage(
                key=f"t:{pid}",
                kind="test",
                platform=platform,
                user_id=chat[1:] if platform == "slack" else chat,
                chat_id=chat,
                payload=payload,
                participant_id=pid,
                ref_id=1,
            )
            for pid, chat in people
        ],
        now=TEST_NOW,
    )


async def statuses(store: Store, people: list[tuple[int, str]]) -> list[str]:
    found = []
    for pid, _ in people:
        message = await store.outbox.get(f"t:{pid}")
        assert message is not None
        found.append(message.status)
    return found


async def test_telegram_retries_only_what_certainly_was_not_delivered(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    people = await add_people(store, 4, now=clock.now)
    garbage, dropped, gateway, fine = (int(chat) for _, chat in people)
    async with FakeTelegram() as fake:
        fake.answer_badly_next(garbage, "garbage")  # accepted, then an unreadable answer
        fake.answer_badly_next(dropped, "drop")  # accepted, then the connection closes
        fake.answer_badly_next(gateway, "empty_502", times=2)  # refused: nothing shown
        await queue(store, people, "telegram")
        worker = OutboxWorker(
            store,
            telegram_route(TOKEN, fake.base_url),
            backoff_base=0.05,
            clock=running_clock(clock.now),
        )
        result = await worker.run_until_idle(within=20)
        await worker.stop()
        for chat in (garbage, dropped, gateway, fine):
            assert len(fake.visible_texts(chat)) == 1, chat  # exactly once, each
        assert len(fake.calls_to("sendMessage")) == 6  # the 502s were sent again, nothing else
    assert await statuses(store, people) == ["uncertain", "uncertain", "sent", "sent"]
    assert (result.sent, result.uncertain, result.retried, result.failed) == (2, 2, 2, 0)
    assert await store.outbox.counts("test", [1]) == {1: StatusCounts(sent=2, uncertain=2)}
    assert await store.outbox.next_due() is None  # nothing left to send, ever
    logged = [r.getMessage() for r in caplog.records if "recorded as uncertain" in r.getMessage()]
    assert len(logged) == 2 and "not sent again" in logged[0]


async def test_slack_retries_only_what_certainly_was_not_delivered(
    store: Store, clock: FakeClock
) -> None:
    people = await add_people(store, 4, platform="slack", now=clock.now)
    garbage, dropped, gateway, fine = (chat for _, chat in people)
    async with FakeSlack() as fake:
        fake.answer_badly_next(garbage, "garbage")
        fake.answer_badly_next(dropped, "drop")  # slack_sdk's default handler sends it again
        fake.answer_badly_next(gateway, "empty_502")
        await queue(store, people, "slack")
        worker = OutboxWorker(
            store,
            slack_route("xoxb-test", fake.api_url),
            backoff_base=0.05,
            clock=running_clock(clock.now),
        )
        result = await worker.run_until_idle(within=20)
        await worker.stop()
        for chat in (garbage, dropped, gateway, fine):
            assert len(fake.posted(chat)) == 1, chat
            calls = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == chat]
            assert len(calls) == (2 if chat == gateway else 1), chat
    assert await statuses(store, people) == ["uncertain", "uncertain", "sent", "sent"]
    assert (result.sent, result.uncertain, result.failed) == (2, 2, 0)


async def test_uncertain_is_stored_and_counted_on_both_databases(any_store: Store) -> None:
    people = await add_people(any_store, 2, now=TEST_NOW)
    await queue(any_store, people, "telegram")
    rows = await any_store.outbox.claim(now=TEST_NOW, limit=10, lease=timedelta(minutes=5))
    assert await any_store.outbox.mark_uncertain(
        rows[0].id, error="answer unreadable", now=TEST_NOW
    )
    assert not await any_store.outbox.mark_uncertain(rows[0].id, error="again", now=TEST_NOW)
    await any_store.outbox.mark_sent([rows[1].id], now=TEST_NOW)
    assert await any_store.outbox.counts("test", [1]) == {1: StatusCounts(sent=1, uncertain=1)}
    later = TEST_NOW + timedelta(days=1)
    assert await any_store.outbox.claim(now=later, limit=10, lease=timedelta(minutes=5)) == []


async def test_announce_status_shows_unconfirmed(
    chat: Callable[..., Chat], store: Store, clock: FakeClock
) -> None:
    people = await add_people(store, 2, now=clock.now)
    anna = await coordinator(chat, store, "900")
    berta = await coordinator(chat, store, "901", language="de")
    preview = await anna.send("/announce all Hello network")
    await anna.press(preview.button("Send"))
    async with FakeTelegram() as fake:
        fake.answer_badly_next(int(people[0][1]), "garbage")
        worker = OutboxWorker(
            store,
            telegram_route(TOKEN, fake.base_url),
            clock=running_clock(clock.now),
        )
        await worker.run_until_idle(within=20)
        await worker.stop()
    status = await anna.send("/announce status")
    assert "3 sent · 0 pending · 0 failed · 1 unconfirmed" in status
    assert "most likely delivered it" in status
    status = await berta.send("/announce status")
    assert "3 zugestellt · 0 ausstehend · 0 fehlgeschlagen · 1 unbestätigt" in status
    assert "sehr wahrscheinlich zugestellt" in status
