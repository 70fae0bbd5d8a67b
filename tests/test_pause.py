"""/profile pause: no introduction requests and no follow-ups meanwhile, /find lists the person
last and marked; bad input stores nothing; in English and German."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from storage import Store
from tests.counterparts_support import register
from tests.support import Chat, FakeClock
from tests.test_meetings import _introduced, services_of
from udx_bot.usecases.meetings import ask_follow_ups


async def test_pause_blocks_requests_and_follow_ups_and_find_lists_last(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, bob, intro, _ = await _introduced(store, chat, clock)
    carol = await register(store, "3", city="Sheboygan", department="mobility", name="Carol")
    dora = await register(store, "4", city="Sheboygan", department="mobility", name="Dora")
    bob_chat = chat("U2", platform="slack", language="de")
    start = clock()

    for bad in ("/profil pause immer", "/profil pause 60w", "/profil pause 0w"):
        refused = await bob_chat.send(bad)
        assert "Verwendung: /profil pause <Wochen>w" in refused, refused.text
    assert "Usage: /profile pause <weeks>w" in await chat("1").send("/profile pause soon")
    for who in (alice.id, bob.id):
        kept = await store.participants.get(who)
        assert kept is not None and kept.paused_until is None

    paused = await bob_chat.send("/profil pause 4 Wochen")
    assert "Gespeichert: pausiert bis 23.12.2026." in paused, paused.text
    assert "Pausiert bis 23.12.2026" in await bob_chat.send("/profil")
    await chat("1").send("/profile hours 08:00-16:00")
    assert "Working hours: 8:00\u202fAM–4:00\u202fPM" in await chat("1").send("/profile")
    stored = await store.participants.get(bob.id)
    assert stored is not None and stored.paused_until == start + timedelta(days=28)

    asked = await chat("3").send(f"/intro {bob.id}")
    assert "Bob Berg has paused introductions until Dec 23, 2026" in asked
    assert await store.introductions.between(carol.id, bob.id, clock()) == []
    listing = await chat("4").send("/find #Esslingen")
    headings = [s.heading or "" for s in listing.replies[0].sections if s.heading]
    assert headings and "Bob Berg" in headings[-1], headings
    assert "Paused until Dec 23, 2026: not taking introductions" in listing

    clock.set(start + timedelta(days=7))
    assert await ask_follow_ups(services_of(chat)) == 1  # Alice only: Bob is paused
    assert await store.outbox.get(f"intro:{intro}:did:{bob.id}:1") is None
    clock.set(start + timedelta(days=28, hours=1))
    assert await ask_follow_ups(services_of(chat)) == 1  # after the pause: Bob too
    assert await store.outbox.get(f"intro:{intro}:did:{bob.id}:1") is not None

    bob_chat_again = chat("U2", platform="slack", language="de")
    await bob_chat_again.send("/profil pause 2w")
    ended = await bob_chat_again.send("/profil pause aus")
    assert "Ihre Pause ist beendet" in ended
    unpaused = await store.participants.get(bob.id)
    assert unpaused is not None and unpaused.paused_until is None
    again = await chat("4").send("/find #Esslingen")  # not paused: ranked as anyone else
    headings = [s.heading or "" for s in again.replies[0].sections if s.heading]
    assert "Bob Berg" not in headings[-1] and any("Bob Berg" in h for h in headings)
    assert "Paused until" not in again
    assert "I've asked Bob Berg" in await chat("3").send(f"/intro {bob.id}")
    assert dora.id != carol.id
