"""The outbox end to end: the real worker, the real PTB Bot and slack_sdk client against fake
platform servers that enforce the limits, fail chosen recipients and record every call."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from storage import Store
from storage.outbox import NewMessage
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import add_people, running_clock, slack_route, telegram_route
from tests.support import TEST_NOW, FakeClock
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.outbox_wiring import outbox_service
from udx_bot.outbox_worker import OutboxWorker
from udx_bot.types import Reply

TOKEN = "123456:TEST"


def payload(text: str) -> str:
    return json.dumps([Reply.text(text, heading="News").to_json()])


async def queue(store: Store, people: list[tuple[int, str]], platform: str, ref_id: int) -> None:
    rows = [
        NewMessage(
            key=f"test:{ref_id}:{pid}",
            kind="test",
            platform=platform,
            user_id=chat[1:] if platform == "slack" else chat,
            chat_id=chat,
            payload=payload(f"Hello <{pid}> & welcome"),
            participant_id=pid,
            ref_id=ref_id,
        )
        for pid, chat in people
    ]
    assert await store.outbox.enqueue_many(rows, now=TEST_NOW) == len(rows)
    assert (
        await store.outbox.enqueue_many(rows, now=TEST_NOW) == 0
    )  # enqueuing twice queues nothing


def telegram_worker(
    store: Store, fake: FakeTelegram, clock: FakeClock, *, rate: float = 50.0, **kw: object
) -> OutboxWorker:
    options: dict[str, object] = {"backoff_base": 0.05, "clock": running_clock(clock.now)}
    options.update(kw)
    routes = telegram_route(TOKEN, fake.base_url, rate=rate)
    return OutboxWorker(store, routes, **options)  # type: ignore[arg-type]


async def test_every_recipient_gets_one_copy_blocked_are_reported_and_failures_retried(
    store: Store, clock: FakeClock
) -> None:
    people = await add_people(store, 60, now=clock.now)
    blocked_chat, gone_chat, flaky_chat, limited_chat = (int(c) for _, c in people[:4])
    async with FakeTelegram(
        global_rate=50, per_chat_rate=1, fail={blocked_chat: 403, gone_chat: 400}
    ) as fake:
        fake.fail_next(flaky_chat, 500, times=2)
        fake.fail_next(limited_chat, 429)
        await queue(store, people, "telegram", ref_id=1)
        worker = telegram_worker(store, fake, clock)
        result = await worker.run_until_idle(within=30)
        await worker.stop()

        for _, chat in people[2:]:
            texts = fake.visible_texts(int(chat))
            assert len(texts) == 1, chat
            assert "News" in texts[0] and "& welcome" in texts[0]
        assert fake.sent_messages(blocked_chat) == [] and fake.sent_messages(gone_chat) == []
        assert fake.count_429 >= 1  # the 429 happened, and was retried
    counts = (await store.outbox.counts("test", [1]))[1]
    assert (counts.sent, counts.pending, counts.failed) == (58, 0, 2)
    assert result.failed == 2 and result.retried >= 3
    for pid, chat in people[:2]:
        ident = await store.participants.identity("telegram", chat)
        assert ident is not None and ident.blocked_at is not None
        row = await store.outbox.get(f"test:1:{pid}")
        assert row is not None and row.status == "failed" and row.last_error
    ident = await store.participants.identity("telegram", people[2][1])
    assert ident is not None and ident.blocked_at is None


async def test_writing_again_clears_the_block(store: Store, clock: FakeClock) -> None:
    people = await add_people(store, 1, now=clock.now)
    chat = people[0][1]
    async with FakeTelegram(fail={int(chat): 403}) as fake:
        await queue(store, people, "telegram", ref_id=2)
        worker = telegram_worker(store, fake, clock)
        await worker.run_until_idle(within=10)
        await worker.stop()
    ident = await store.participants.identity("telegram", chat)
    assert ident is not None and ident.blocked_at is not None
    await store.participants.touch("telegram", chat, now=clock.now)
    ident = await store.participants.identity("telegram", chat)
    assert ident is not None and ident.blocked_at is None


async def test_nothing_is_lost_when_the_worker_stops_in_the_middle(
    any_store: Store, clock: FakeClock
) -> None:
    store = any_store
    people = await add_people(store, 60, now=clock.now)
    async with FakeTelegram(global_rate=50, per_chat_rate=1) as fake:
        await queue(store, people, "telegram", ref_id=3)
        first = telegram_worker(store, fake, clock, batch=20)
        await first.start()
        await fake.wait_until(lambda: len(fake.sent_messages()) >= 15, within=10)
        await first.stop()  # mid fan-out: claimed rows not yet sent go back to the queue
        sent_by_first = len(fake.sent_messages())
        counts = (await store.outbox.counts("test", [3]))[3]
        assert 0 < counts.sent and counts.pending > 0

        second = telegram_worker(store, fake, clock)  # "after the restart", same database
        await second.run_until_idle(within=30)
        await second.stop()
        assert sent_by_first < 60
        for _, chat in people:
            assert len(fake.sent_messages(int(chat))) == 1, chat
    counts = (await store.outbox.counts("test", [3]))[3]
    assert (counts.sent, counts.pending, counts.failed) == (60, 0, 0)


async def test_rows_claimed_by_a_dead_worker_are_sent_after_the_lease(
    store: Store, clock: FakeClock
) -> None:
    people = await add_people(store, 10, now=clock.now)
    await queue(store, people, "telegram", ref_id=4)
    # A worker claimed everything and died before sending anything.
    claimed = await store.outbox.claim(now=clock.now, limit=100, lease=timedelta(seconds=30))
    assert len(claimed) == 10
    async with FakeTelegram() as fake:
        worker = telegram_worker(store, fake, clock)
        assert (await worker.drain_once()).claimed == 0  # still leased: not sent twice
        worker.clock = running_clock(clock.now + timedelta(seconds=31))
        await worker.run_until_idle(within=10)
        await worker.stop()
        assert all(len(fake.sent_messages(int(chat))) == 1 for _, chat in people)


async def test_two_workers_on_one_database_never_double_send(
    any_store: Store, clock: FakeClock
) -> None:
    store = any_store
    people = await add_people(store, 40, now=clock.now)
    await queue(store, people, "telegram", ref_id=5)
    async with FakeTelegram() as fake:
        a = telegram_worker(store, fake, clock, batch=5, rate=200.0)
        b = telegram_worker(store, fake, clock, batch=5, rate=200.0)
        await asyncio.gather(a.run_until_idle(within=20), b.run_until_idle(within=20))
        await a.stop()
        await b.stop()
        assert sorted(len(fake.sent_messages(int(c))) for _, c in people) == [1] * 40


async def test_slack_delivery_with_failures_and_rate_limit(store: Store, clock: FakeClock) -> None:
    people = await add_people(store, 12, platform="slack", now=clock.now)
    inactive, missing, flaky = people[0][1], people[1][1], people[2][1]
    async with FakeSlack(
        per_channel_rate=1, fail={inactive: "account_inactive", missing: "channel_not_found"}
    ) as fake:
        await queue(store, people, "slack", ref_id=6)
        # the same person twice more: the per-channel limit (1/s) paces them
        await store.outbox.enqueue_many(
            [
                NewMessage(f"extra:{n}", "test", "slack", flaky[1:], flaky, payload(f"extra {n}"))
                for n in range(2)
            ],
            now=TEST_NOW,
        )
        fake.fail[people[3][1]] = 500
        worker = OutboxWorker(
            store,
            slack_route("xoxb-test", fake.api_url, per_chat_rate=1.0),
            backoff_base=0.05,
            clock=running_clock(clock.now),
        )
        first = await worker.drain_once()
        assert first.retried >= 1
        del fake.fail[people[3][1]]  # the server recovers
        await worker.run_until_idle(within=30)
        await worker.stop()
        for _, channel in people[2:]:
            posted = [p for p in fake.posted(channel) if p["method"] == "chat.postMessage"]
            expected = 3 if channel == flaky else 1
            assert len(posted) == expected, channel
            assert posted[0]["text"] and posted[0]["blocks"]
        assert fake.posted(inactive) == [] and fake.posted(missing) == []
    counts = (await store.outbox.counts("test", [6]))[6]
    assert (counts.sent, counts.failed) == (10, 2)
    for _, channel in people[:2]:
        ident = await store.participants.identity("slack", channel[1:])
        assert ident is not None and ident.blocked_at is not None


async def test_the_run_service_delivers_what_handlers_queue(
    store: Store, services: Services, clock: FakeClock
) -> None:
    assert outbox_service(services) is None  # no platform token: no worker
    people = await add_people(store, 1, now=clock.now)
    participant = await store.participants.get(people[0][0])
    assert participant is not None
    async with FakeTelegram() as fake:
        services.settings = Settings(
            database_url=services.settings.database_url,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=fake.base_url,
        )
        worker = outbox_service(services)
        assert worker is not None
        await worker.start()
        try:
            queued = await services.outbox.send(
                participant, [Reply.text("Your counterpart accepted")], key="intro:1", kind="intro"
            )
            assert queued
            await fake.wait_until(lambda: bool(fake.sent_messages(int(people[0][1]))), within=10)
        finally:
            await worker.stop()
        assert fake.visible_texts(int(people[0][1])) == ["Your counterpart accepted"]
    row = await store.outbox.get("intro:1")
    assert row is not None and row.status == "sent"


async def test_queued_messages_go_out_as_the_adapters_send_them(
    store: Store, clock: FakeClock
) -> None:
    """The outbox sends through the adapters' transports: on Telegram link previews are off
    with ``link_preview_options`` (not the deprecated ``disable_web_page_preview``), on Slack
    the message goes into the DM opened for the person (no chat id known)."""
    news = Reply.text("Read more: https://udx.example/news", heading="News")
    (tg_person,) = await add_people(store, 1, now=clock.now)
    (slack_person,) = await add_people(store, 1, platform="slack", first_id=7000, now=clock.now)
    for (pid, chat), platform in ((tg_person, "telegram"), (slack_person, "slack")):
        user_id = chat[1:] if platform == "slack" else chat
        payload = json.dumps([news.to_json()])
        message = NewMessage(f"news:{pid}", "test", platform, user_id, None, payload)
        assert await store.outbox.enqueue_many([message], now=TEST_NOW) == 1
    async with FakeTelegram() as tg, FakeSlack() as slack:
        routes = {**telegram_route(TOKEN, tg.base_url), **slack_route("xoxb-test", slack.api_url)}
        worker = OutboxWorker(store, routes, clock=running_clock(clock.now))
        result = await worker.run_until_idle(within=10)
        await worker.stop()
        assert result.sent == 2
        (sent,) = tg.calls_to("sendMessage", ok_only=True)
        assert sent.params["link_preview_options"] == {"is_disabled": True}
        assert "disable_web_page_preview" not in sent.params
        assert tg.visible_texts(int(tg_person[1])) == ["News\nRead more: https://udx.example/news"]
        assert len(slack.calls_to("conversations.open", ok_only=True)) == 1
        assert "Read more" in slack.texts(slack_person[1])[0]
