"""End to end on Telegram: the real PTB Application long-polling a fake Bot API server on
127.0.0.1, the real outbox worker and Telegram sender delivering what handlers queue.

A German user in Stuttgart and an English user in St. Louis (partner cities in the demo network)
set up their profiles by pressing the wizard's buttons, log and find notes, find each other and
get introduced, a coordinator announces in both languages, and the weekly digests arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from storage import Store
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import telegram_route
from tests.support import TEST_NOW, FakeClock
from tests.telegram_support import TOKEN, TelegramHarness, polling_bot
from udx_bot import digest_runner
from udx_bot.context import Services
from udx_bot.outbox_worker import OutboxWorker

GERTRUD, EMMA = 601, 602  # German (Stuttgart) and English (St. Louis)
Keyboard = list[list[tuple[str, str]]]


def answered(fake: FakeTelegram, update: dict[str, Any]) -> bool:
    query_id = update["callback_query"]["id"]
    return any(
        c.params.get("callback_query_id") == query_id for c in fake.calls_to("answerCallbackQuery")
    )


def labels(keyboard: Keyboard | None) -> list[str]:
    return [label for row in keyboard or [] for label, _ in row]


class Person:
    """One Telegram user pressing buttons and typing, and what they saw."""

    def __init__(
        self,
        tg: TelegramHarness,
        user_id: int,
        language: str,
        name: str,
        username: str | None = None,
    ) -> None:
        self.tg, self.user_id, self.language = tg, user_id, language
        self.name, self.username = name, username

    async def send(self, text: str) -> str:
        seen = await self.tg.send(
            self.user_id, text, self.language, first_name=self.name, username=self.username
        )
        assert seen, f"no answer to {text!r}"
        return "\n\n".join(seen)

    async def press(self, label: str | Callable[[str], bool]) -> str:
        """Press the button of the last keyboard whose label contains ``label`` (or matches the
        predicate); returns what the user saw, and checks the press was answered."""
        keyboard = self.tg.fake.last_keyboard(self.user_id) or []
        found = [
            (text, data)
            for row in keyboard
            for text, data in row
            if (label(text) if callable(label) else label.casefold() in text.casefold())
        ]
        assert len(found) == 1, f"{label!r} in {labels(keyboard)}"
        before = len(self.tg.fake.visible_texts(self.user_id))
        update = self.tg.fake.push_callback(self.user_id, found[0][1], language_code=self.language)
        await self.tg.processed(update)
        assert answered(self.tg.fake, update), f"press on {found[0][0]!r} not answered"
        return "\n\n".join(self.tg.fake.visible_texts(self.user_id)[before:])

    @property
    def keyboard(self) -> list[str]:
        return labels(self.tg.fake.last_keyboard(self.user_id))

    @property
    def last(self) -> str:
        return self.tg.fake.visible_texts(self.user_id)[-1]


def sdg_button(number: int) -> Callable[[str], bool]:
    return lambda label: label.split(" ", 2)[1:2] == [str(number)]


@pytest.fixture
async def tg(services: Services) -> AsyncIterator[TelegramHarness]:
    async with polling_bot(services) as harness:
        yield harness


class Delivery:
    """The real outbox worker with the real Telegram sender, pointed at the same fake."""

    def __init__(self, store: Store, fake: FakeTelegram, clock: FakeClock) -> None:
        self.worker = OutboxWorker(
            store,
            telegram_route(TOKEN, fake.base_url, rate=100.0, per_chat_rate=100.0),
            backoff_base=0.05,
            clock=clock,
        )

    async def drain(self, expected: int) -> None:
        result = await self.worker.run_until_idle(within=5)
        assert (result.sent, result.failed, result.retried) == (expected, 0, 0), result


@pytest.fixture
async def delivery(
    tg: TelegramHarness, services: Services, clock: FakeClock
) -> AsyncIterator[Delivery]:
    made = Delivery(services.store, tg.fake, clock)
    try:
        yield made
    finally:
        await made.worker.stop()


async def onboard(
    person: Person, *, language: str, country: str, city: str, department: str, sdgs: list[int]
) -> str:
    """/start, then only buttons: language, country, city, department, SDG toggles, done."""
    fake = person.tg.fake
    first = await person.send("/start")
    wizard_id = fake.last_message_id(person.user_id)
    sent_before = len(fake.calls_to("sendMessage"))
    assert ("Step 1 of 4" in first or "Schritt 1 von 4" in first) and "Which language" in first
    assert person.keyboard == ["Deutsch", "English"]
    await person.press(language)
    await person.press(country)
    await person.press(city)
    await person.press(department)
    for n in sdgs:
        await person.press(sdg_button(n))
    done = await person.press("✓")
    edits = [c for c in fake.calls_to("editMessageText") if c.chat_id == person.user_id]
    assert len(edits) == 5 + len(sdgs) and all(c.ok for c in edits)
    assert {c.params["message_id"] for c in edits} == {wizard_id}  # one message, edited
    assert len(fake.calls_to("sendMessage")) == sent_before  # nothing else sent
    return done


async def test_two_partner_cities_meet_on_telegram(
    tg: TelegramHarness, delivery: Delivery, services: Services, clock: FakeClock
) -> None:
    store = services.store
    fake = tg.fake
    gertrud = Person(tg, GERTRUD, "de", "Gertrud", username="gertrud_stgt")
    emma = Person(tg, EMMA, "en", "Emma")  # no Telegram username

    # --- onboarding, only by pressing buttons -----------------------------------------------
    done = await onboard(
        gertrud,
        language="Deutsch",
        country="Deutschland",
        city="Stuttgart",
        department="Umweltamt",
        sdgs=[13, 11],
    )
    assert "Ihr Profil ist gespeichert" in done and "Stadt: Stuttgart (DE)" in done
    assert "SDG 11 Nachhaltige Städte" in done and "SDG 13 Maßnahmen zum Klimaschutz" in done
    assert "Montags um 08:00" in done
    done = await onboard(
        emma,
        language="English",
        country="United States",
        city="St. Louis",
        department="Environmental Department",
        sdgs=[13],
    )
    assert "Your profile is saved" in done and "City: St. Louis, MO (US)" in done
    assert "Department: Environmental Department" in done and "America/Chicago" in done
    g = await store.participants.by_identity("telegram", str(GERTRUD))
    e = await store.participants.by_identity("telegram", str(EMMA))
    assert g is not None and g.registered and g.language == "de" and g.sdgs == (11, 13)
    assert e is not None and e.registered and e.language == "en" and e.sdgs == (13,)

    # --- notes: logged in German, found in English, shown exactly as typed -----------------
    typed = "Hitzeaktionsplan <b>& Trinkbrunnen</b> mit St. Louis abgestimmt #StLouis #sdg13"
    saved = await gertrud.send(f"/note {typed}")
    assert saved.startswith("Als Notiz #") and "verschlagwortet mit SDG 13 · St. Louis" in saved
    (note,) = await store.notes.search("Trinkbrunnen")
    assert note.text == typed and note.author_id == g.id

    listing = await emma.send("/notes")
    assert f"#{note.id} · Gertrud · Stuttgart · Environmental Department · Nov 25, 2026" in listing
    assert f"SDG 13 Climate Action\n{typed}" in listing
    assert "&lt;b&gt;&amp; Trinkbrunnen&lt;/b&gt;" in fake.sent_messages(EMMA)[-1]  # escaped
    found = await emma.send("/search Trinkbrunnen")
    assert found.startswith("Search: trinkbrunnen — page 1") and typed in found

    # --- /find: the German user first (partner city), "Introduce me" ------------------------
    counterparts = await emma.send("/find")
    entries = counterparts.split("\n\n")
    assert entries[0].startswith("Your counterparts 1–10")
    assert entries[1].splitlines() == [
        f"#{g.id} Gertrud",
        "Stuttgart, Germany · Environmental Department",
        "In a partner city of yours",
        "Shared goals: SDG 13 Climate Action",
    ]
    assert emma.keyboard[0] == "Introduce me to Gertrud"
    confirm = await emma.press("Introduce me to Gertrud")
    assert "Ask Gertrud (Stuttgart, Germany · Environmental Department) whether" in confirm
    asked = await emma.press("Send request")
    assert "I've asked Gertrud whether they'd like to be introduced" in asked

    # the request reaches her through the outbox, in German, with German buttons
    assert gertrud.last.startswith("Als Notiz #")  # nothing reaches her before the worker runs
    await delivery.drain(1)
    request = gertrud.last
    assert request.startswith("Anfrage zum Kennenlernen\nEmma möchte Ihnen gern vorgestellt")
    assert "St. Louis, MO, Vereinigte Staaten · Umweltamt" in request
    assert "läuft am 09.12.2026 ab" in request and "tg://" not in request  # no contact yet
    assert gertrud.keyboard == ["Annehmen", "Ablehnen"]
    request_id = fake.last_message_id(GERTRUD)

    accepted = await gertrud.press("Annehmen")
    assert accepted.startswith("Sie wurden einander vorgestellt\nWunderbar! So erreichen Sie")
    assert '<a href="tg://user?id=602">Emma</a>' in fake.sent_messages(GERTRUD)[-1]
    assert "Guten Tag Emma" in accepted
    edit = fake.calls_to("editMessageText")[-1]
    assert edit.ok and edit.chat_id == GERTRUD and edit.params["message_id"] == request_id
    await delivery.drain(1)
    contact = emma.last
    assert contact.startswith("You've been introduced\nGertrud accepted your introduction")
    assert "Gertrud: @gertrud_stgt" in contact and "Hello Gertrud" in contact
    assert 'href="https://t.me/gertrud_stgt"' in fake.sent_messages(EMMA)[-1]

    # --- a coordinator announces in both languages ------------------------------------------
    await store.roster.set_role("telegram", str(EMMA), "coordinator", now=TEST_NOW)
    preview = await emma.send(
        "/announce all de: Hallo Partnerstädte, <Treffen> & Austausch am 3.12.! "
        "en: Hello partner cities, <meeting> & exchange on 3 Dec!"
    )
    assert preview.startswith("Preview\nTo: all registered participants\n2 recipients")
    assert "Hello partner cities, <meeting> & exchange on 3 Dec!" in preview
    assert emma.keyboard == ["Send", "Cancel"]
    assert await emma.press("Send") == (
        "Sending to 2 recipients. /announce status shows the delivery."
    )
    await delivery.drain(2)
    assert gertrud.last == (
        "📣 Mitteilung von Emma (Urban Diplomacy Exchange)\n"
        "Hallo Partnerstädte, <Treffen> & Austausch am 3.12.!"
    )
    assert emma.last == (
        "📣 Announcement from Emma (Urban Diplomacy Exchange)\n"
        "Hello partner cities, <meeting> & exchange on 3 Dec!"
    )

    # --- the weekly digests ------------------------------------------------------------------
    await emma.send("/note Cooling centres in every library this summer #sdg13")
    await gertrud.send("/note Zweite Notiz: Verschattung auf Schulhöfen #sdg11")
    clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))  # Monday 08:00 in Stuttgart
    assert (await digest_runner.tick(services)).enqueued == [g.id]
    await delivery.drain(1)
    digest = gertrud.last
    assert digest.startswith("Ihr Wochenüberblick, 23.11.2026 – 30.11.2026")
    assert "\n\n1 neue Notiz aus Ihren Partnerstädten\n#" in digest
    assert "· Emma · St. Louis" in digest and "Cooling centres in every library" in digest
    assert "Zweite Notiz" not in digest  # her own notes are not news to her
    assert "Ankündigungen dieser Woche\n• Hallo Partnerstädte, <Treffen> & Austausch" in digest

    clock.set(datetime(2026, 11, 30, 14, 0, tzinfo=UTC))  # Monday 08:00 in St. Louis
    assert (await digest_runner.tick(services)).enqueued == [e.id]
    await delivery.drain(1)
    digest = emma.last
    assert digest.startswith("Your weekly digest, Nov 23, 2026 – Nov 30, 2026")
    assert "\n\n2 new notes from your partner cities\n#" in digest
    assert typed in digest and "Zweite Notiz: Verschattung" in digest
    assert "Announcements this week\n• Hello partner cities, <meeting> & exchange" in digest
    assert await digest_runner.tick(services) == digest_runner.TickReport()  # once a week
