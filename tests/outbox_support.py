"""Helpers for the outbox and announcement tests: registered people with platform identities,
written straight into the database (fast enough for hundreds), a clock that runs, and the
worker's routes to the fake platform servers (the real transports, the default limits of
``udx-bot run`` unless a test says otherwise)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from storage import Store
from storage.tables import cities, identities, participant_sdgs, participants
from udx_bot.config import Settings
from udx_bot.outbox_wiring import TELEGRAM_PER_CHAT_RATE
from udx_bot.outbox_worker import Route
from udx_bot.platforms.slack_transport import SlackTransport
from udx_bot.platforms.telegram_transport import TelegramTransport


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
    made = []
    async with store.db.write() as conn:
        query = select(cities.c.id).where(cities.c.slug == city)
        city_id = (await conn.execute(query)).scalar_one()
        for n in range(first_id, first_id + count):
            user_id = str(n) if platform == "telegram" else f"U{n}"
            chat_id = user_id if platform == "telegram" else f"D{user_id}"
            result = await conn.execute(
                insert(participants).values(
                    name=f"Person {n}",
                    city_id=city_id,
                    department=department,
                    language=language,
                    created_at=now,
                    registered_at=now,
                    member_since=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            pid = int(pk[0])
            await conn.execute(
                insert(identities).values(
                    participant_id=pid,
                    platform=platform,
                    user_id=user_id,
                    chat_id=chat_id,
                    language_code=language,
                    created_at=now,
                )
            )
            for sdg in sdgs:
                await conn.execute(insert(participant_sdgs).values(participant_id=pid, sdg=sdg))
            made.append((pid, chat_id))
    return made


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
