"""A message that takes several platform messages (a long text split into parts): each part is
delivered exactly once and in order, whatever fails in between (issue 16, defect 1)."""

from __future__ import annotations

import json

from storage import Store
from storage.outbox import NewMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import add_people, running_clock, telegram_route
from tests.support import FakeClock
from udx_bot.outbox_worker import OutboxWorker
from udx_bot.types import Reply, Section

TOKEN = "123456:TEST"
SECTION = 3_000  # characters: three of them do not fit in one Telegram message (4,096)
# one chat's limit in the fake and in the worker's pacing: the Bot API's 1/s, sped up so a
# test waits a fraction of a second per part (the same limit on both sides, as in production)
PER_CHAT_RATE = 4.0


def long_reply(tag: str) -> Reply:
    return Reply(
        sections=[Section(f"{tag}-{n} " + "x" * SECTION, heading=f"Part {n}") for n in (1, 2, 3)]
    )


async def test_a_429_on_part_two_never_sends_part_one_again(
    any_store: Store, clock: FakeClock
) -> None:
    store = any_store
    people = await add_people(store, 3, now=clock.now)
    async with FakeTelegram(per_chat_rate=PER_CHAT_RATE, per_chat_burst=1) as fake:
        for _, chat in people:
            fake.fail_next(int(chat), 429, after=1)  # part 1 goes through, part 2 gets a 429
        rows = [
            NewMessage(
                key=f"long:{pid}",
                kind="test",
                platform="telegram",
                user_id=chat,
                chat_id=chat,
                payload=json.dumps([long_reply(chat).to_json()]),
                participant_id=pid,
                ref_id=1,
            )
            for pid, chat in people
        ]
        assert await store.outbox.enqueue_many(rows, now=clock.now) == 3
        route = telegram_route(TOKEN, fake.base_url, per_chat_rate=PER_CHAT_RATE)
        worker = OutboxWorker(store, route, clock=running_clock(clock.now))
        result = await worker.run_until_idle(within=30)
        await worker.stop()

        assert fake.count_429 >= 3  # each reader's part 2 was refused once
        for _, chat in people:
            texts = fake.visible_texts(int(chat))
            assert [t.split()[2] for t in texts] == [f"{chat}-1", f"{chat}-2", f"{chat}-3"]
    assert result.sent == 3
    counts = (await store.outbox.counts("test", [1]))[1]
    assert (counts.sent, counts.pending, counts.failed) == (3, 0, 0)
    for pid, _ in people:
        row = await store.outbox.get(f"long:{pid}")
        assert row is not None and row.status == "sent"


async def test_every_part_takes_a_slot_of_the_chat(store: Store, clock: FakeClock) -> None:
    """Pacing counts parts, not rows: a message queued after a long one to the same chat
    comes after all of its parts, none of them refused for going too fast."""
    [(pid, chat)] = await add_people(store, 1, now=clock.now)
    async with FakeTelegram(per_chat_rate=PER_CHAT_RATE) as fake:
        for key, reply in (("long", long_reply(chat)), ("short", Reply.text("short after"))):
            await store.outbox.enqueue(
                key=key,
                kind="test",
                platform="telegram",
                user_id=chat,
                chat_id=chat,
                payload=[reply.to_json()],
                participant_id=pid,
                now=clock.now,
            )
        route = telegram_route(TOKEN, fake.base_url, per_chat_rate=PER_CHAT_RATE)
        worker = OutboxWorker(store, route, clock=running_clock(clock.now))
        result = await worker.run_until_idle(within=30)
        await worker.stop()
        texts = fake.visible_texts(int(chat))
    assert [t.split()[2] for t in texts[:3]] == [f"{chat}-1", f"{chat}-2", f"{chat}-3"]
    assert texts[3:] == ["short after"]
    assert fake.count_429 == 0 and result.sent == 2
