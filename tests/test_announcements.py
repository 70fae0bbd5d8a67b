"""/announce through the real router: preview, Send / Cancel, audiences, both languages,
scheduling, status counts, bad input (and then nothing stored or sent)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage import Store
from storage.tables import announcements, outbox
from tests.fakes.telegram_api import FakeTelegram
from tests.outbox_support import add_people, running_clock, telegram_route
from tests.support import TEST_NOW, Chat, FakeClock
from udx_bot.announcements import parse_draft
from udx_bot.cli import build_parser
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.demo import PERSONA, seed_persona
from udx_bot.i18n import Translator
from udx_bot.outbox_worker import OutboxWorker
from udx_bot.scheduler import SchedulerService
from udx_bot.scheduler import announcements_job as release_due
from udx_bot.usecases.announcements import Audience


async def coordinator(
    chat: Callable[..., Chat],
    store: Store,
    uid: str,
    language: str = "en",
    role: str = "coordinator",
) -> Chat:
    person = chat(uid, language=language, name=f"Coord {uid}")
    await person.send("/help")
    p = await store.participants.by_identity("telegram", uid)
    assert p is not None
    city = {c.slug: c.id for c in await store.cities.all()}["krefeld"]
    await store.participants.update(
        p.id, city_id=city, department="international", role=role, language=language, now=TEST_NOW
    )
    return person


async def count(store: Store, table: object) -> int:
    async with store.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def payloads(store: Store) -> dict[str, str]:
    """chat id -> visible text of the queued announcement."""
    async with store.db.read() as conn:
        rows = await conn.execute(select(outbox.c.chat_id, outbox.c.payload))
        result = {}
        for chat_id, raw in rows:
            doc = json.loads(json.loads(raw)[0])
            result[chat_id] = "\n".join(
                f"{s['heading'] or ''}\n{s['text']}" for s in doc["sections"]
            )
        return result


async def test_preview_then_send_in_each_recipients_language(
    chat: Callable[..., Chat], store: Store, services: Services, clock: FakeClock
) -> None:
    english = await add_people(store, 4, language="en", now=clock.now)
    german = await add_people(store, 3, language="de", first_id=6000, now=clock.now)
    anna = await coordinator(chat, store, "900")
    preview = await anna.send("/announce all de: Hallo Netzwerk! en: Hello network!")
    assert "Preview" in preview and "8 recipients" in preview  # 7 people and Anna herself
    assert "all registered participants" in preview and "Hello network!" in preview
    # every version it has, as its readers will see it, the coordinator's own first
    headings = [s.heading or "" for s in preview.replies[0].sections[1:]]
    assert headings[0].startswith("📣 Announcement from Coord 900")
    assert headings[1].startswith("📣 Mitteilung von Coord 900")
    assert "Hallo Netzwerk!" in preview
    assert await count(store, outbox) == 0  # nothing goes out before Send

    sent = await anna.press(preview.button("Send"))
    assert "Sending to 8 recipients" in sent
    texts = await payloads(store)
    assert len(texts) == 8
    for _, chat_id in english:
        assert (
            "Hello network!" in texts[chat_id] and "Announcement from Coord 900" in texts[chat_id]
        )
        assert "Urban Diplomacy Exchange" in texts[chat_id]
    for _, chat_id in german:
        assert "Hallo Netzwerk!" in texts[chat_id] and "Mitteilung von Coord 900" in texts[chat_id]

    again = await anna.press(preview.button("Send"))  # a double click sends nothing more
    assert "already sent or cancelled" in again and await count(store, outbox) == 8
    assert again.replies[0].notice  # the message saying it was sent stays as it is

    status = await anna.send("/announce status")
    assert "0 sent · 8 pending · 0 failed" in status

    async with FakeTelegram(fail={int(english[0][1]): 403}) as fake:
        worker = OutboxWorker(
            store,
            telegram_route("1:T", fake.base_url),
            clock=running_clock(clock.now),
        )
        await worker.run_until_idle(within=20)
        await worker.stop()
        assert "Hallo Netzwerk!" in fake.visible_texts(int(german[0][1]))[0]
    status = await anna.send("/announce status")
    assert "7 sent · 0 pending · 1 failed" in status and "blocked the bot" in status


async def test_audience_filters_in_german(
    chat: Callable[..., Chat], store: Store, clock: FakeClock
) -> None:
    match = await add_people(
        store, 2, language="de", sdgs=[13], department="mobility", now=clock.now
    )
    await add_people(store, 2, language="de", first_id=6000, sdgs=[4], now=clock.now)
    await add_people(store, 2, language="en", first_id=7000, sdgs=[13], now=clock.now)
    await add_people(
        store, 2, language="de", first_id=8000, sdgs=[13], city="tuebingen", now=clock.now
    )
    berta = await coordinator(chat, store, "901", language="de")
    preview = await berta.send("/ankuendigen sdg13 #Krefeld lang:de Verkehr Treffen am Freitag")
    assert "Vorschau" in preview and "2 Empfänger" in preview
    assert "SDG 13" in preview and "Krefeld" in preview and "Deutschsprachige" in preview
    assert "Verkehrsplanung und Mobilität" in preview and "Treffen am Freitag" in preview
    answer = await berta.press(preview.button("Senden"))
    assert "Wird an 2 Empfänger gesendet" in answer
    assert sorted(await payloads(store)) == sorted(c for _, c in match)


async def test_a_german_coordinator_sees_the_time_with_its_zone(
    chat: Callable[..., Chat], store: Store
) -> None:
    greta = await coordinator(chat, store, "901", language="de")
    preview = await greta.send("/ankündigen Bürgerversammlung at 2026-12-03 09:00")
    assert "Do., 3. Dez. 2026, 09:00 MEZ" in preview and ":00:00" not in preview.text


async def test_cancel_sends_nothing(chat: Callable[..., Chat], store: Store) -> None:
    anna = await coordinator(chat, store, "900")
    preview = await anna.send("/announce Hello")
    assert "1 recipient" in preview
    assert "Cancelled" in await anna.press(preview.button("Cancel"))
    again = await anna.press(preview.button("Send"))
    assert "already sent or cancelled" in again and again.replies[0].notice
    assert await count(store, outbox) == 0


async def test_scheduled_in_the_coordinators_timezone(
    chat: Callable[..., Chat], store: Store, services: Services, clock: FakeClock
) -> None:
    await add_people(store, 3, now=clock.now)
    anna = await coordinator(chat, store, "900")
    preview = await anna.send("/announce Town hall tomorrow at 2026-12-01 09:00")
    # Krefeld's time, with its zone and without seconds (en_US has no short name for CET)
    assert "Goes out on Tue, Dec 1, 2026, 9:00\u202fAM (Berlin)." in preview
    assert "Town hall tomorrow" in preview
    assert "at 2026" not in preview.replies[-1].plain_text
    answer = await anna.press(preview.button("Schedule"))
    assert "Scheduled for Tue, Dec 1, 2026, 9:00\u202fAM (Berlin)" in answer
    assert "scheduled for" in await anna.send("/announce status")
    assert await release_due(services) == 0 and await count(store, outbox) == 0
    clock.set(datetime(2026, 12, 1, 7, 59, tzinfo=UTC))  # 08:59 in Krefeld
    assert await release_due(services) == 0
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # 09:00 in Krefeld
    assert await release_due(services) == 1 and await count(store, outbox) == 4
    assert await release_due(services) == 0  # released once
    assert "sent on" in await anna.send("/announce status")


async def test_the_running_scheduler_releases_a_due_announcement_and_wakes_the_worker(
    chat: Callable[..., Chat], store: Store, services: Services, clock: FakeClock
) -> None:
    await add_people(store, 2, now=clock.now)
    anna = await coordinator(chat, store, "900")
    preview = await anna.send("/announce Town hall at 2026-12-01 09:00")
    assert "as #1." in await anna.press(preview.button("Schedule"))
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # 09:00 in Krefeld
    woken = asyncio.Event()
    services.outbox.listeners.append(woken.set)  # as the outbox worker of `udx-bot run` does
    scheduler = SchedulerService(services)  # the jobs `udx-bot run` schedules
    await scheduler.start()
    try:
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        await scheduler.stop()
    scheduled = await store.announcements.by_number(1)
    assert scheduled is not None and scheduled.status == "sent"
    assert (await store.outbox.counts("announcement", [scheduled.id]))[scheduled.id].pending == 3


async def test_participants_cannot_announce(chat: Callable[..., Chat], store: Store) -> None:
    await add_people(store, 3, now=TEST_NOW)
    carl = await coordinator(chat, store, "902", role="participant")
    assert "only coordinators and admins" in await carl.send("/announce all Hello")
    dora = await coordinator(chat, store, "903", language="de", role="participant")
    assert "nur Koordinatorinnen" in await dora.send("/announce all Hallo")
    assert await count(store, announcements) == 0 and await count(store, outbox) == 0


async def test_bad_input_in_english_and_german(chat: Callable[..., Chat], store: Store) -> None:
    anna = await coordinator(chat, store, "900")
    berta = await coordinator(chat, store, "901", language="de")
    cases = [
        ("/announce", "Usage:", "Verwendung:"),
        ("/announce sdg13 #Krefeld", "Please add the text", "Bitte fügen Sie den Text"),
        # the audience's errors are the filter grammar's, the same as /find's and /notes'
        ("/announce sdg42 Hello", "There is no SDG 42:", "Ein SDG 42 gibt es nicht"),
        (
            "/announce #Atlantis Hello",
            "#Atlantis is not a city in the network.",
            "#Atlantis ist keine Stadt im Netzwerk.",
        ),
        ("/announce #Krfeld Hello", "Did you mean #Krefeld", "Meinten Sie #Krefeld"),
        ("/announce lang:fr Hello", "lang:de or lang:en", "lang:de oder lang:en"),
        (
            "/announce dept:astronautics Hello",
            'I don\'t know a department "astronautics".',
            "Einen Fachbereich „astronautics“ kenne ich nicht.",
        ),
        ("/announce Hello at 2026-11-01 09:00", "is in the past", "liegt in der Vergangenheit"),
        ("/announce Hello at 2026-13-45 09:00", "not a valid time", "keine gültige Zeit"),
        ("/announce #Tuebingen Hello", "Nobody matches", "Niemand passt"),
    ]
    for command, english, german in cases:
        en = await anna.send(command)
        assert english in en, (command, en.text)
        assert not en.buttons
        de = await berta.send(command)
        assert german in de, (command, de.text)
    assert await count(store, announcements) == 0 and await count(store, outbox) == 0


async def test_status_without_announcements(chat: Callable[..., Chat], store: Store) -> None:
    anna = await coordinator(chat, store, "900")
    assert "No announcements yet" in await anna.send("/announce status")
    berta = await coordinator(chat, store, "901", language="de")
    assert "Noch keine Mitteilungen" in await berta.send("/announce status")


async def reader(
    chat: Callable[..., Chat], store: Store, uid: str, language: str, sdgs: list[int]
) -> Chat:
    person = await coordinator(chat, store, uid, language=language, role="participant")
    p = await store.participants.by_identity("telegram", uid)
    assert p is not None
    await store.participants.set_sdgs(p.id, sdgs)
    return person


async def test_a_digest_lists_only_announcements_whose_audience_included_the_reader(
    chat: Callable[..., Chat], store: Store, clock: FakeClock
) -> None:
    emma = await reader(chat, store, "910", "en", [11])  # English, SDG 11: only the second
    greta = await reader(chat, store, "911", "de", [13])  # German, SDG 13: both
    hans = await reader(chat, store, "912", "de", [4])  # German, SDG 4: only the second
    berta = await coordinator(chat, store, "901", language="de")
    preview = await berta.send("/ankuendigen sdg13 lang:de Klimaschutz-Treffen am Freitag")
    await berta.press(preview.button("Senden"))
    preview = await berta.send("/ankuendigen alle de: Neujahrsempfang en: New Year reception")
    await berta.press(preview.button("Senden"))
    clock.advance(hours=1)
    digest = await emma.send("/digest")
    assert "Announcements this week\n• New Year reception" in digest
    assert "Klimaschutz" not in digest
    digest = await greta.send("/digest")
    assert "Ankündigungen dieser Woche\n• Klimaschutz-Treffen am Freitag" in digest
    assert "• Neujahrsempfang" in digest
    digest = await hans.send("/digest")
    assert "• Neujahrsempfang" in digest and "Klimaschutz" not in digest


async def test_cancel_a_scheduled_announcement_in_english_and_german(
    chat: Callable[..., Chat], store: Store, services: Services, clock: FakeClock
) -> None:
    await add_people(store, 2, now=clock.now)
    anna = await coordinator(chat, store, "900")
    berta = await coordinator(chat, store, "901", language="de")
    dropped = await anna.send("/announce A preview nobody sends")
    await anna.press(dropped.button("Cancel"))  # a dropped preview takes no number
    preview = await anna.send("/announce Town hall at 2026-12-01 09:00")
    scheduled = await anna.press(preview.button("Schedule"))
    assert "as #1." in scheduled and "/announce cancel 1 cancels it" in scheduled
    status = await anna.send("/announce status")
    assert "#1 · Coord 900 · scheduled for" in status and "preview nobody sends" not in status
    assert "Cancelled announcement #1: it will not be sent." in await anna.send(
        "/announce cancel 1"
    )
    assert "#1 · Coord 900 · cancelled" in await anna.send("/announce status")
    assert "already cancelled" in await anna.send("/announce cancel #1")
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert await release_due(services) == 0 and await count(store, outbox) == 0

    preview = await berta.send("/ankuendigen Sommerfest am 2026-12-02 10:00")
    assert "als #2." in await berta.press(preview.button("Planen"))
    assert "Mitteilung #2 storniert" in await berta.send("/ankuendigen stornieren 2")
    preview = await berta.send("/ankuendigen alle Jetzt gleich")
    await berta.press(preview.button("Senden"))
    assert "#3 wurde bereits gesendet" in await berta.send("/ankuendigen stornieren 3")
    assert "Eine Mitteilung #9 gibt es nicht" in await berta.send("/ankuendigen stornieren 9")
    assert "#3 was already sent" in await anna.send("/announce cancel 3")
    assert "There is no announcement #9" in await anna.send("/announce cancel 9")


async def test_subcommand_words_never_become_the_text(
    chat: Callable[..., Chat], store: Store
) -> None:
    anna = await coordinator(chat, store, "900")
    berta = await coordinator(chat, store, "901", language="de")
    for command in ("/announce cancel 2 weeks", "/announce cancel", "/announce Cancel abc"):
        answer = await anna.send(command)
        assert "is a subcommand" in answer and not answer.buttons, command
    assert "status is a subcommand" in await anna.send("/announce status please")
    for command in ("/ankuendigen stornieren", "/ankuendigen Abbrechen den Termin"):
        answer = await berta.send(command)
        assert "ist ein Unterbefehl" in answer and not answer.buttons, command
    assert await count(store, announcements) == 0 and await count(store, outbox) == 0
    preview = await anna.send("/announce all cancel the meeting")  # the audience first
    assert "cancel the meeting" in preview and preview.button("Send")


async def test_the_audience_is_read_with_the_filter_grammar(store: Store) -> None:
    """The words /find and /notes know: "SDG 13" is one word, and on the command line
    (every word an audience word) a department's name may have several words."""
    cities = await store.cities.all()
    krefeld = next(c.id for c in cities if c.name == "Krefeld")
    t = Translator("de")
    draft = parse_draft("SDG 13 #Krefeld Hallo zusammen", t, cities, now=TEST_NOW, tz=UTC)
    assert draft.audience == Audience(sdgs=(13,), city_ids=(krefeld,))
    assert draft.texts == {"de": "Hallo zusammen"}
    assert parse_draft("13 Hallo", t, cities, now=TEST_NOW, tz=UTC).audience.sdgs == (13,)
    numbered = parse_draft("alle 3 neue Termine", t, cities, now=TEST_NOW, tz=UTC)
    assert numbered.audience.everyone and numbered.texts == {"de": "3 neue Termine"}
    strict = parse_draft("Hallo", t, cities, now=TEST_NOW, tz=UTC, audience_words="public works")
    assert strict.audience.departments == ("public_works",)


@pytest.mark.parametrize(
    ("language", "heading", "unsigned"),
    [("en", "Announcements this week", "Coordinators"),
     ("de", "Ankündigungen dieser Woche", "Koordination")],
)  # fmt: skip
async def test_a_console_person_sees_the_announcements_a_telegram_person_sees(
    chat: Callable[..., Chat],
    store: Store,
    services: Services,
    settings: Settings,
    clock: FakeClock,
    language: str,
    heading: str,
    unsigned: str,
) -> None:
    """The demo's Sam has only a console account: their /digest lists the week's announcements
    like the digest of someone on Telegram with the same profile, including one sent from the
    command line (without an author: listed as from the coordinators)."""
    sam = await seed_persona(store, now=clock(), persona=replace(PERSONA, language=language))
    sam_chat = chat("Sam", platform="console", language=language)
    tom = await reader(chat, store, "910", language, list(PERSONA.sdgs))
    tom_p = await store.participants.by_identity("telegram", "910")
    assert tom_p is not None
    await store.participants.update(
        tom_p.id, city_id=sam.city_id, department=sam.department, now=clock()
    )
    berta = await coordinator(chat, store, "901", language="de")
    preview = await berta.send("/ankuendigen sdg13 de: Klimaforum en: Climate forum")
    await berta.press(preview.button("Senden"))
    preview = await berta.send("/ankuendigen #Krefeld de: Nur Krefeld en: Krefeld only")
    await berta.press(preview.button("Senden"))
    args = build_parser().parse_args(
        ["announce", "--yes", "--to", "#Sheboygan", "de: Stadtfest en: City fair"]
    )
    assert await args.run(args, settings, clock) == 0
    clock.advance(hours=1)
    digests = [(await p.send("/digest")).text for p in (sam_chat, tom)]
    sections = [d.split(heading + "\n", 1)[1].split("\n\n")[0] for d in digests]
    assert sections[0] == sections[1], sections
    forum, fair = (
        ("Climate forum", "City fair") if language == "en" else ("Klimaforum", "Stadtfest")
    )
    assert f"• {forum} (Coord 901, " in sections[0]
    assert f"• {fair} ({unsigned}, " in sections[0] and "Krefeld" not in sections[0]
    status = await berta.send("/ankuendigen status")
    assert "#3 · Koordination · gesendet" in status, status.text
