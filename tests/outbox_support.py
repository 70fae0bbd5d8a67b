"""Helpers for the outbox and announcement tests: registered people with platform identities,
written straight into the database (a statement per table, fast enough for thousands), a clock
that runs, and the worker's routes to the fake platform servers (the real transports, the
default limits of ``udx-bot run`` unless a test says otherwise)."""

from __future__ import annotations

import time
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from storage import Store
from storage.tables import cities, identities, participant_sdgs, participants
from udx_bot.config import Settings
from udx_bot.outbox_wiring import TELEGRAM_PER_CHAT_RATE
from udx_bot.outbox_worker import Route
from udx_bot.platforms.slack_transport import SlackTransport
from udx_bot.platforms.telegram_transport import TelegramTransport

if TYPE_CHECKING:  # not imported by the worker processes the tests start
    from tests.fakes.telegram_api import FakeTelegram

# The last line of a worker script run with ``python -c``: the process starts (imports take a
# second or two of CPU) while the test prepares the rows, and runs once told (:func:`go`).
WAIT_FOR_GO = "sys.stdin.readline()  # started early: wait for go()"


async def go(proc: Process) -> None:
    """Let a worker process started with stdin=PIPE and :data:`WAIT_FOR_GO` run."""
    assert proc.stdin is not None
    proc.stdin.write(b"go\n")
    await proc.stdin.drain()


class Deliveries:
    """The messages a fake Bot API delivered (sendMessage answered ok), per chat, counted as
    they come: recounting thousands of calls at every look would take the CPU the fake and the
    workers need."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self._seen = 0
        self._copies: Counter[object] = Counter()
        self._total = 0

    def copies(self) -> Counter[object]:
        calls = self.fake.calls
        for call in calls[self._seen :]:
            if call.ok and call.method == "sendMessage":
                self._copies[call.chat_id] += 1
                self._total += 1
        self._seen = len(calls)
        return self._copies

    def total(self) -> int:
        self.copies()
        return self._total


async def add_people(
    store: Store,
    count: int,
    *,
    platform: str = "telegram",
    first_id: int = 5000,
    city: str = "krefeld",
    department: str = "mobility",
    language: str | None = "en",
    sdgs: Sequence[int] = (),
    now: datetime,
) -> list[tuple[int, str]]:
    """``count`` registered participants (members), each with one identity; returns (participant id,
    chat id). Telegram chat ids are the user ids; Slack DM channels are ``D`` + user id."""
    if not count:
        return []
    numbers = range(first_id, first_id + count)
    user_ids = [str(n) if platform == "telegram" else f"U{n}" for n in numbers]
    async with store.db.write() as conn:
        query = select(cities.c.id).where(cities.c.slug == city)
        city_id = (await conn.execute(query)).scalar_one()
        # one statement per table (executemany), not two round trips per person
        people = [
            {
                "name": f"Person {n}",
                "city_id": city_id,
                "department": department,
                "language": language,
                "created_at": now,
                "registered_at": now,
                "member_since": now,
            }
            for n in numbers
        ]
        returning = insert(participants).returning(participants.c.id, sort_by_parameter_order=True)
        pids = [int(pid) for pid in (await conn.execute(returning, people)).scalars()]
        assert len(pids) == count
        chats = [u if platform == "telegram" else f"D{u}" for u in user_ids]
        await conn.execute(
            insert(identities),
            [
                {
                    "participant_id": pid,
                    "platform": platform,
                    "user_id": user_id,
                    "chat_id": chat_id,
                    "language_code": language,
                    "created_at": now,
                }
                for pid, user_id, chat_id in zip(pids, user_ids, chats, strict=True)
            ],
        )
        if sdgs:
            await conn.execute(
                insert(participant_sdgs),
                [{"participant_id": pid, "sdg": sdg} for pid in pids for sdg in sdgs],
            )
    return list(zip(pids, chats, strict=True))


def running_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and runs in real time (retries fall due)."""
    t0 = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def telegram_route(
    token: str,
    base_url: str,
    *,
    rate: float = Settings.telegram_rate,
    per_chat_rate: float = TELEGRAM_PER_CHAT_RATE,
    read_timeout: float = 15.0,
) -> dict[str, Route]:
    """``{"telegram": Route}`` to the Bot API at ``base_url`` (a FakeTelegram)."""
    settings = Settings(telegram_bot_token=token, telegram_api_base_url=base_url)
    transport = TelegramTransport.from_settings(settings, read_timeout=read_timeout)
    assert transport is not None
    return {"telegram": Route(transport, rate=rate, per_chat_rate=per_chat_rate)}


def slack_route(
    token: str, api_url: str, *, per_chat_rate: float = Settings.slack_rate, timeout: int = 30
) -> dict[str, Route]:
    """``{"slack": Route}`` to the Web API at ``api_url`` (a FakeSlack)."""
    settings = Settings(slack_bot_token=token, slack_api_url=api_url)
    transport = SlackTransport.from_settings(settings, timeout=timeout)
    assert transport is not None
    return {"slack": Route(transport, per_chat_rate=per_chat_rate)}
