"""Helpers for the counterparts tests: registered people made directly through the repositories
(onboarding is built elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage import Store
from storage.participants import Participant
from tests.support import TEST_NOW
from udx_bot.reference import slug


async def city_id(store: Store, name: str) -> int:
    return next(c.id for c in await store.cities.all() if c.slug == slug(name))


async def register(
    store: Store,
    user_id: str,
    *,
    city: str,
    department: str,
    sdgs: Sequence[int] = (),
    platform: str = "telegram",
    name: str = "",
    language: str = "en",
    username: str | None = None,
    now: datetime = TEST_NOW,
    member: bool = True,
) -> Participant:
    """A registered person with one identity (username ``user<user_id>`` on Telegram), a member
    of the network unless ``member=False``."""
    participant, _ = await store.participants.touch(
        platform,
        user_id,
        display_name=name or f"User {user_id}",
        username=username if username is not None else f"user{user_id}",
        language_code=language,
        chat_id=user_id,
        now=now,
    )
    await store.participants.update(
        participant.id,
        name=name or f"User {user_id}",
        city_id=await city_id(store, city),
        department=department,
        language=language,
        now=now,
    )
    if member:
        await store.membership.admit(participant.id, now=now)
    return await store.participants.set_sdgs(participant.id, sdgs)
