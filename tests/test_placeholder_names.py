"""Someone granted a role (or listed in UDX_ADMINS) before they ever wrote is stored under their
platform id; their first message brings their name from the platform, so announcements say
"from Anna Berg", not "from 7001". A name they chose is never overwritten."""

from __future__ import annotations

import pytest

from storage import Store
from tests.counterparts_support import city_id
from tests.support import TEST_NOW, Chat, person
from udx_bot.context import Services


async def _granted(store: Store, user_id: str, platform: str = "telegram") -> None:
    participant, _ = await store.roster.set_role(platform, user_id, "coordinator", now=TEST_NOW)
    assert participant.name == user_id  # the placeholder: nothing else is known yet


@pytest.mark.parametrize(("language", "expected"), [("en", "from Anna Berg"), ("de", "von Anna")])
async def test_the_first_message_brings_the_name(
    any_services: Services, language: str, expected: str
) -> None:
    store = any_services.store
    await _granted(store, "7001")
    anna = Chat(any_services, person("7001", name="Anna Berg", language=language))
    await anna.send("/help")
    stored = await store.participants.by_identity("telegram", "7001")
    assert stored is not None and stored.name == "Anna Berg"
    await store.participants.update(
        stored.id,
        city_id=await city_id(store, "Krefeld"),
        department="international",
        language=language,
        now=TEST_NOW,
    )
    preview = await anna.send("/announce all Hello network")
    assert "7001" not in preview.text
    assert "Anna Berg" in preview.text and expected in preview.text


async def test_a_chosen_name_is_kept_and_slack_too(any_services: Services) -> None:
    store = any_services.store
    await _granted(store, "U0ANNA", platform="slack")
    await Chat(any_services, person("U0ANNA", platform="slack", name="Anna B.")).send("/help")
    stored = await store.participants.by_identity("slack", "U0ANNA")
    assert stored is not None and stored.name == "Anna B."
    await store.participants.update(stored.id, name="Dr. Anna Berg", now=TEST_NOW)
    await Chat(any_services, person("U0ANNA", platform="slack", name="anna")).send("/help")
    again = await store.participants.by_identity("slack", "U0ANNA")
    assert again is not None and again.name == "Dr. Anna Berg"


async def test_without_a_platform_name_the_placeholder_stays(any_services: Services) -> None:
    store = any_services.store
    await _granted(store, "7002")
    nameless = Chat(any_services, person("7002", name=" "))
    await nameless.send("/help")
    stored = await store.participants.by_identity("telegram", "7002")
    assert stored is not None and stored.name == "7002"
