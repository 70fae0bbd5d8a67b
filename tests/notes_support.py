"""Helpers for the notes tests: registered people talking to the bot."""

from __future__ import annotations

from storage import Store
from tests.support import TEST_NOW, Chat, person
from udx_bot.context import Services


async def city_id(store: Store, name: str) -> int:
    return next(c.id for c in await store.cities.all() if c.name == name)


async def member(
    services: Services,
    user_id: str,
    *,
    city: str = "Esslingen am Neckar",
    department: str = "mobility",
    language: str = "en",
    platform: str = "telegram",
    sdgs: tuple[int, ...] = (),
    role: str = "participant",
    name: str = "",
) -> Chat:
    """A registered participant (profile set as onboarding would) with a chat to the bot."""
    actor = person(user_id, platform=platform, language=language, name=name)
    store = services.store
    participant, _ = await store.participants.touch(
        platform, user_id, display_name=actor.display_name, language_code=language, now=TEST_NOW
    )
    await store.participants.update(
        participant.id,
        name=actor.display_name,
        city_id=await city_id(store, city),
        department=department,
        language=language,
        role=role,
        now=TEST_NOW,
    )
    if sdgs:
        await store.participants.set_sdgs(participant.id, sdgs)
    await store.membership.admit(participant.id, now=TEST_NOW)
    return Chat(services, actor)
