"""A storm of faults during a fan-out and a digest run (issue 16): 429s from per-chat and
overall limits plus planned ones, 5xx, empty gateway answers, dropped connections, unreadable
answers, answers that come after the client gave up, and people who blocked the bot. Whatever
happens, every message of every reader who did not block the bot is shown, each of its parts
exactly once and in order, and nothing is left to send. The real transports (PTB's Bot,
slack_sdk's client) against the fake servers, on SQLite and PostgreSQL.

``UDX_STORM_READERS`` (default 8) sets the readers per platform and run; the README's figures
come from a run with more."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy import select

from storage import Store
from storage.outbox import NewMessage
from storage.tables import outbox
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import add_people, running_clock, slack_route, telegram_route
from tests.support import FakeClock
from udx_bot.context import Services
from udx_bot.delivery import Part
from udx_bot.digest_runner import tick
from udx_bot.outbox_worker import OutboxWorker, Route
from udx_bot.types import Reply, Section

TOKEN = "123456:TEST"
# one Telegram chat's limit, in the fake and in the worker's pacing: the Bot API's 1/s sped up
# (the same on both sides, as in production; the fake's burst of one makes it the stricter)
PER_CHAT_RATE = 4.0
READERS = int(os.environ.get("UDX_STORM_READERS", "8"))
# what may happen to one reader's message, at a part chosen at random
FAULTS = ("none", "429", "5xx", "empty_502", "drop", "garbage", "slow", "blocked")
PERHAPS_SHOWN = {"drop", "garbage", "slow"}  # the platform has it, the worker cannot know


def plan(rng: random.Random, chats: Sequence[str]) -> dict[str, tuple[str, int]]:
    """A fault and the number of the part it hits (0-based) for every chat."""
    return {chat: (rng.choice(FAULTS), rng.randrange(3)) for chat in chats}


def inject_telegram(fake: FakeTelegram, faults: Mapping[str, tuple[str, int]]) -> None:
    for chat, (fault, at) in faults.items():
        cid = int(chat)
        if fault == "429":
            fake.fail_next(cid, 429, times=3, after=at)
        elif fault == "5xx":
            fake.fail_next(cid, random.Random(cid).choice([500, 503]), times=2, after=at)
        elif fault == "blocked":
            fake.fail[cid] = 403
        elif fault != "none":
            fake.answer_badly_next(cid, fault, times=2 if fault == "empty_502" else 1, after=at)


def inject_slack(fake: FakeSlack, faults: Mapping[str, tuple[str, int]]) -> None:
    for chat, (fault, at) in faults.items():
        if fault == "429":
            fake.fail_next(chat, 429, times=2, after=at)
        elif fault == "5xx":
            fake.fail_next(chat, 503, times=2, after=at)
        elif fault == "blocked":
            fake.fail[chat] = "account_inactive"
        elif fault != "none":
            fake.answer_badly_next(chat, fault, times=2 if fault == "empty_502" else 1, after=at)


def long_reply(tag: str, platform: str) -> Reply:
    """Three Telegram messages (three 3,000-character sections) or two Slack messages (60
    sections: Slack takes 50 blocks per message)."""
    if platform == "telegram":
        sections = [Section(f"{tag}-{n} " + "x" * 3_000, heading=f"Part {n}") for n in (1, 2, 3)]
    else:
        sections = [Section(f"{tag}-{n}") for n in range(1, 61)]
    return Reply(sections=sections)


def routes(telegram: FakeTelegram, slack: FakeSlack) -> dict[str, Route]:
    # clients that give up before a "slow" answer (1.5 s) comes
    return {
        **telegram_route(TOKEN, telegram.base_url, per_chat_rate=PER_CHAT_RATE, read_timeout=0.5),
        **slack_route("xoxb-test", slack.api_url, per_chat_rate=20, timeout=1),
    }


async def deliver(store: Store, worker_routes: dict[str, Route], clock: FakeClock) -> None:
    worker = OutboxWorker(
        store, worker_routes, backoff_base=0.05, max_wait=1.0, clock=running_clock(clock.now)
    )
    await worker.run_until_idle(within=60)
    await worker.stop()


def shown(telegram: FakeTelegram, slack: FakeSlack, platform: str, chat: str) -> list[object]:
    """What the reader saw, message by message (Telegram: HTML text; Slack: blocks)."""
    if platform == "telegram":
        return list(telegram.sent_messages(int(chat)))
    return [json.loads(json.dumps(p.get("blocks"))) for p in slack.posted(chat)]


def expected(
    worker_routes: Mapping[str, Route], platform: str, payload: list[Reply]
) -> list[object]:
    parts: list[Part] = list(worker_routes[platform].transport.parts(payload))
    if platform == "telegram":
        return [p.text for p in parts]  # type: ignore[attr-defined]
    return [json.loads(json.dumps(p.blocks)) for p in parts]  # type: ignore[attr-defined]


async def check(
    store: Store,
    telegram: FakeTelegram,
    slack: FakeSlack,
    worker_routes: Mapping[str, Route],
    rows: Sequence[tuple[str, str, str, list[Reply]]],
    faults: Mapping[str, tuple[str, int]],
    *,
    min_parts: int = 1,
) -> Counter[str]:
    """Every reader who did not block the bot saw every part once, in order; returns the
    rows' final statuses."""
    statuses: Counter[str] = Counter()
    for key, platform, chat, payload in rows:
        row = await store.outbox.get(key)
        assert row is not None
        statuses[row.status] += 1
        fault, _ = faults[chat]
        if fault == "blocked":
            assert shown(telegram, slack, platform, chat) == [], chat
            assert row.status == "failed", (chat, row.status, row.last_error)
            continue
        want = expected(worker_routes, platform, payload)
        assert len(want) >= min_parts
        seen = shown(telegram, slack, platform, chat)
        assert seen == want, (chat, fault, row.status, row.last_error, [str(x)[:30] for x in seen])
        allowed = {"sent", "uncertain"} if fault in PERHAPS_SHOWN else {"sent"}
        assert row.status in allowed, (chat, fault, row.status, row.last_error)
    assert await store.outbox.next_due() is None  # nothing left to send
    return statuses


def summary(telegram: FakeTelegram, slack: FakeSlack, faults: Mapping[str, tuple[str, int]]) -> str:
    """What the storm threw (printed; ``pytest -s`` shows it)."""
    refused = sum(1 for c in telegram.calls + slack.calls if c.status and c.status >= 500)
    planned = Counter(fault for fault, _ in faults.values())
    return (
        f"storm: {len(faults)} readers, {telegram.count_429 + slack.count_429} x 429, "
        f"{refused} x 5xx, {sum(planned[f] for f in PERHAPS_SHOWN)} answers lost or unreadable, "
        f"{planned['blocked']} blocked; 0 lost, 0 parts twice"
    )


async def test_a_fan_out_through_a_storm_loses_nothing_and_sends_no_part_twice(
    any_store: Store, clock: FakeClock
) -> None:
    store = any_store
    rng = random.Random(16)
    tg_people = await add_people(store, READERS, now=clock.now)
    sl_people = await add_people(store, READERS, platform="slack", first_id=9000, now=clock.now)
    rows: list[tuple[str, str, str, list[Reply]]] = []
    new: list[NewMessage] = []
    for platform, people in (("telegram", tg_people), ("slack", sl_people)):
        for pid, chat in people:
            payload = [long_reply(chat, platform)]
            key = f"storm:{pid}"
            rows.append((key, platform, chat, payload))
            new.append(
                NewMessage(
                    key=key,
                    kind="test",
                    platform=platform,
                    user_id=chat if platform == "telegram" else chat[1:],
                    chat_id=chat,
                    payload=json.dumps([r.to_json() for r in payload]),
                    participant_id=pid,
                    ref_id=1,
                )
            )
    assert await store.outbox.enqueue_many(new, now=clock.now) == 2 * READERS
    faults = plan(rng, [chat for _, _, chat, _ in rows])
    # the Bot API's limits are stricter than the worker's pacing: 429 storms on top
    async with (
        FakeTelegram(per_chat_rate=PER_CHAT_RATE, per_chat_burst=1, global_rate=20) as telegram,
        FakeSlack(per_channel_rate=5, per_channel_burst=1) as slack,
    ):
        inject_telegram(telegram, {c: f for c, f in faults.items() if not c.startswith("D")})
        inject_slack(slack, {c: f for c, f in faults.items() if c.startswith("D")})
        worker_routes = routes(telegram, slack)
        await deliver(store, worker_routes, clock)
        statuses = await check(store, telegram, slack, worker_routes, rows, faults, min_parts=2)
        assert telegram.count_429 + slack.count_429 > 0
        print(summary(telegram, slack, faults))
    assert statuses["sent"] > 0 and statuses["failed"] == sum(
        1 for fault, _ in faults.values() if fault == "blocked"
    )


async def test_a_digest_run_through_a_storm_loses_nothing_and_sends_no_part_twice(
    any_services: Services, clock: FakeClock
) -> None:
    services = any_services
    services.settings = replace(services.settings, digest_empty="send")
    store = services.store
    readers = await add_people(store, READERS, sdgs=[11], now=clock.now)
    [(author, _)] = await add_people(store, 1, city="charlotte", first_id=100, now=clock.now)
    city = {c.slug: c.id for c in await store.cities.all()}["charlotte"]
    for n in range(8):  # the digest shows the best five and counts the rest
        await store.notes.add(
            author,
            f"Lesson {n}: what the mobility department learned with its partner city.",
            city_id=city,
            department="mobility",
            sdgs=[11],
            now=clock.now,
        )
    clock.advance(days=1)
    report = await tick(services, force=True)
    assert {pid for pid, _ in readers} <= set(report.enqueued)  # and the author's own
    async with store.db.read() as conn:
        query = select(outbox.c.participant_id, outbox.c.key).where(outbox.c.kind == "digest")
        keys = {row.participant_id: row.key for row in await conn.execute(query)}
    rows = []
    for pid, chat in readers:
        row = await store.outbox.get(keys[pid])
        assert row is not None
        rows.append((row.key, "telegram", chat, [Reply.from_json(d) for d in row.payload]))
    faults = plan(random.Random(17), [chat for _, chat in readers])
    async with (
        FakeTelegram(per_chat_rate=PER_CHAT_RATE, per_chat_burst=1, global_rate=20) as telegram,
        FakeSlack() as slack,
    ):
        inject_telegram(telegram, faults)
        worker_routes = routes(telegram, slack)
        await deliver(store, worker_routes, clock)
        await check(store, telegram, slack, worker_routes, rows, faults)
        print(summary(telegram, slack, faults))
