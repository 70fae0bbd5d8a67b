"""From introduction to outcome through the real router, in English and German: "Find a time"
after Accept and /meet propose slots in each reader's time with the other's beside it; choosing
one sends both an .ics (parsed back with icalendar); "Did you meet?" once, "Not yet" again a
week later, "Not a fit" remembered; bad input stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from handlers.introductions.meet import MeetSlot
from storage import Store
from storage.participants import Participant
from tests.counterparts_support import register
from tests.support import Chat, FakeClock, person
from udx_bot.context import Services
from udx_bot.scheduler import housekeeping_job
from udx_bot.types import Reply
from udx_bot.usecases.introductions import suggestion
from udx_bot.usecases.meetings import ask_follow_ups

# Babel writes "9:00\u202fAM" (a narrow no-break space) in English
BERLIN, CHICAGO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Chicago")


async def _outbox(store: Store, key: str) -> Reply:
    message = await store.outbox.get(key)
    assert message is not None, key
    return Reply.from_json(message.payload[0])


async def _introduced(
    store: Store, chat: Callable[..., Chat], clock: FakeClock
) -> tuple[Participant, Participant, int, Reply]:
    """Alice (English, Sheboygan, Telegram) asked Bob (German, Esslingen, Slack), who accepted;
    returns both, the introduction's id and Bob's answer."""
    alice = await register(store, "1", city="Sheboygan", department="mobility", sdgs=[11])
    bob = await register(
        store, "U2", city="Esslingen am Neckar", department="mobility", sdgs=[11],
        platform="slack", language="de", name="Bob Berg",
    )  # fmt: skip
    await chat("1").send(f"/intro {bob.id}")
    intro = (await store.introductions.between(alice.id, bob.id, clock()))[0].id
    request = await _outbox(store, f"intro:{intro}:request")
    accepted = await chat("U2", platform="slack", language="de").press(request.all_buttons()[0])
    return alice, bob, intro, accepted.replies[0]


def _ics(reply: Reply) -> tuple[Calendar, object]:
    assert reply.document is not None and reply.document.filename.endswith(".ics")
    assert reply.document.mime_type == "text/calendar"
    calendar = Calendar.from_ical(reply.document.content)
    return calendar, calendar.walk("VEVENT")[0]


async def test_find_a_time_choose_and_both_get_the_invitation(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, bob, intro, accepted = await _introduced(store, chat, clock)
    bob_chat, alice_chat = chat("U2", platform="slack", language="de"), chat("1")
    assert [b.label for b in accepted.all_buttons()] == ["Termin finden"]
    alice_note = await _outbox(store, f"intro:{intro}:accepted")
    assert [b.label for b in alice_note.all_buttons()] == ["Find a time"]

    # 25 Nov 2026: Thanksgiving (26th) is skipped; 16:00 in Esslingen is 09:00 in Sheboygan
    slots = await bob_chat.press(accepted.all_buttons()[0])
    assert "Ein Termin mit User 1" in slots
    assert "Fr., 27. Nov., 16:00 bei Ihnen · 09:00 in Sheboygan" in slots
    assert "26. Nov." not in slots and len(slots.buttons) == 3
    theirs = await alice_chat.press(alice_note.all_buttons()[0])
    assert "Fri, Nov 27, 9:00\u202fAM your time · 4:00\u202fPM in Esslingen am Neckar" in theirs
    same = await alice_chat.send(f"/meet {intro}")
    assert [b.data for b in same.buttons] == [b.data for b in theirs.buttons]

    chosen = slots.buttons[0]
    start = MeetSlot.unpack(chosen.data).start
    assert start == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    done = await bob_chat.press(chosen)
    assert "Gespräch mit User 1: Fr., 27. Nov., 16:00 bei Ihnen · 09:00 in Sheboygan" in done
    assert "User 1 erhält die Einladung auch." in done
    _, event = _ics(done.replies[0])
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"  # type: ignore[index]
    assert event["DTSTART"].dt == datetime(2026, 11, 27, 16, 0, tzinfo=BERLIN)  # type: ignore[index]
    assert event["DTEND"].dt.astimezone(UTC) == start + timedelta(minutes=30)  # type: ignore[index]
    assert str(event["SUMMARY"]) == "Gespräch mit User 1 (Urban Diplomacy Exchange)"  # type: ignore[index]
    assert "User 1 (Telegram: @user1)" in str(event["DESCRIPTION"])  # type: ignore[index]

    minute = MeetSlot.unpack(chosen.data).minute
    now_minute = int((clock() - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() // 60)
    queued = await _outbox(store, f"intro:{intro}:meeting:{minute}:{now_minute}")
    assert (
        "Call with Bob Berg: Fri, Nov 27, 9:00\u202fAM your time · 4:00\u202fPM in Esslingen"
        in (queued.plain_text)
    )
    calendar, event = _ics(queued)  # the document survived the outbox
    assert event["DTSTART"].params["TZID"] == "America/Chicago"  # type: ignore[index]
    assert event["DTSTART"].dt == datetime(2026, 11, 27, 9, 0, tzinfo=CHICAGO)  # type: ignore[index]
    assert str(event["SUMMARY"]) == "Call with Bob Berg (Urban Diplomacy Exchange)"  # type: ignore[index]
    assert "Bob Berg (Slack: @userU2)" in str(event["DESCRIPTION"])  # type: ignore[index]
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "America/Chicago"
    meeting = await store.meetings.get(intro)
    assert meeting is not None and meeting.slot_start == start and meeting.chosen_by == bob.id

    # the follow-up comes the day after the chosen slot, not before
    clock.set(datetime(2026, 11, 28, 14, 0, tzinfo=UTC))
    assert await ask_follow_ups(services_of(chat)) == 0
    clock.set(datetime(2026, 11, 28, 15, 31, tzinfo=UTC))
    assert await ask_follow_ups(services_of(chat)) == 2
    asked = await _outbox(store, f"intro:{intro}:did:{bob.id}:1")
    assert "Ihr Gespräch mit User 1 war für Fr., 27. Nov. 2026, 16:00 MEZ geplant." in (
        asked.plain_text
    )
    assert alice.id != bob.id


def services_of(chat: Callable[..., Chat]) -> Services:
    return chat("0").services


async def test_own_working_hours_and_bad_hours(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, bob, intro, _ = await _introduced(store, chat, clock)
    bad = await chat("1").send("/profile hours 18:00-09:00")
    assert "must end at least an hour after they start" in bad
    assert "(you gave 18:00 to 09:00)" in bad
    german = await chat("U2", platform="slack", language="de").send(
        "/profil arbeitszeit 18:00-09:00"
    )
    assert "Ihre Arbeitszeit muss mindestens eine Stunde nach ihrem Beginn enden" in german
    assert "„9“ ist keine Uhrzeit" in await chat("U2", platform="slack", language="de").send(
        "/profil arbeitszeit 9-17"
    )
    assert "Usage: /profile hours <from>-<to>" in await chat("1").send("/profile hours 08:00")
    assert "“25:00” is not a time" in await chat("1").send("/profile hours 25:00-26:00")
    for who in (alice.id, bob.id):
        kept = await store.participants.get(who)
        assert kept is not None and kept.work_start is None and kept.work_end is None
    unchanged = await store.participants.get(alice.id)
    assert unchanged is not None and unchanged.work_start is None and unchanged.work_end is None

    saved = await chat("1").send("/profile hours 07:00-15:00")
    assert "between 7:00\u202fAM and 3:00\u202fPM your time" in saved
    changed = await store.participants.get(alice.id)
    assert changed is not None and (changed.work_start, changed.work_end) == (420, 900)
    slots = await chat("1").send(f"/meet {intro}")
    assert "your time · " in slots and len(slots.buttons) == 3
    for button in slots.buttons:  # inside 07:00–15:00 in Sheboygan and 09:00–17:00 in Esslingen
        start = MeetSlot.unpack(button.data).start
        assert 7 <= start.astimezone(CHICAGO).hour and start.astimezone(BERLIN).hour >= 14
        assert (start + timedelta(minutes=30)).astimezone(BERLIN).time() <= time(17)
    assert bob.id != alice.id


async def test_no_overlap_says_so(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    _, _, intro, _ = await _introduced(store, chat, clock)
    await chat("1").send("/profile hours 06:00-08:00")  # 13:00–15:00 in Esslingen
    await chat("U2", platform="slack", language="de").send("/profil arbeitszeit 16:00-18:00")
    slots = await chat("U2", platform="slack", language="de").send(f"/treffen {intro}")
    assert "überschneiden sich gar nicht" in slots and len(slots.buttons) == 3
    english = await chat("1").send(f"/meet {intro}")
    assert "do not overlap at all" in english


async def test_bad_meet_input_is_refused_and_stores_nothing(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, bob, intro, _ = await _introduced(store, chat, clock)
    carol = await register(store, "3", city="Sheboygan", department="mobility", name="Carol")
    assert "Please give the number of an accepted introduction" in await chat("1").send("/meet abc")
    german = await chat("U2", platform="slack", language="de").send("/treffen abc")
    assert "Bitte geben Sie die Nummer einer angenommenen Vorstellung an" in german
    refused = await chat("3").send(f"/meet {intro}")  # someone else's introduction
    assert f"You have no accepted introduction with the number {intro}" in refused
    assert "Sie haben keine angenommene Vorstellung mit der Nummer 999" in await chat(
        "U2", platform="slack", language="de"
    ).send("/treffen 999")
    await chat("3").send(f"/intro {bob.id}")  # open, not accepted yet
    pending = (await store.introductions.between(carol.id, bob.id, clock()))[0].id
    assert "You have no accepted introduction" in await chat("3").send(f"/meet {pending}")
    # a forged slot in the past, and a press by a stranger to the introduction
    past = MeetSlot(intro, 1).pack()
    assert "That time has passed" in await chat("1").press(past)
    slots = await chat("1").send(f"/meet {intro}")
    assert "You have no accepted introduction" in await chat("3").press(slots.buttons[0])
    assert await store.meetings.get(intro) is None
    assert alice.id != carol.id


async def test_follow_up_once_not_yet_again_not_a_fit_remembered(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, bob, intro, _ = await _introduced(store, chat, clock)
    carol = await register(
        store, "3", city="Sheboygan", department="mobility", sdgs=[11], name="Carol Chu"
    )
    services = services_of(chat)
    start = clock()
    clock.set(start + timedelta(days=6, hours=23))
    assert await ask_follow_ups(services) == 0
    clock.set(start + timedelta(days=7))  # 09:00 UTC: 03:00 in Sheboygan, 10:00 in Esslingen
    await housekeeping_job(services)
    assert await ask_follow_ups(services) == 0  # once per introduction and person
    ask_alice = await _outbox(store, f"intro:{intro}:did:{alice.id}:1")
    ask_bob = await _outbox(store, f"intro:{intro}:did:{bob.id}:1")
    assert "You were introduced to Bob Berg (Esslingen am Neckar)" in ask_alice.plain_text
    assert [b.label for b in ask_alice.all_buttons()] == ["Yes", "Not yet", "Not a fit"]
    assert [b.label for b in ask_bob.all_buttons()] == ["Ja", "Noch nicht", "Passt nicht"]
    queued = await store.outbox.get(f"intro:{intro}:did:{alice.id}:1")
    assert queued is not None  # not at night in Sheboygan: at 09:00 there
    assert queued.next_attempt_at == datetime(2026, 12, 2, 9, 0, tzinfo=CHICAGO)

    not_yet = await chat("1").press(ask_alice.all_buttons()[1])
    assert "I'll ask again in a week" in not_yet
    again = await chat("1").press(ask_alice.all_buttons()[0])
    assert "already answered" in again
    clock.advance(days=6)
    assert await ask_follow_ups(services) == 0
    clock.advance(days=1)
    assert await ask_follow_ups(services) == 1
    second = await _outbox(store, f"intro:{intro}:did:{alice.id}:2")
    assert "Did you meet?" in second.plain_text
    assert "won't ask again" in await chat("1").press(second.all_buttons()[1])
    clock.advance(days=8)
    assert await ask_follow_ups(services) == 0  # two rounds at most

    not_fit = await chat("U2", platform="slack", language="de").press(ask_bob.all_buttons()[2])
    assert "Ich schlage Ihnen User 1 nicht wieder vor." in not_fit
    assert (
        "Sie könnten stattdessen Carol Chu (Sheboygan, Verkehrsplanung und Mobilität) fragen"
        in (not_fit.text)
    )
    assert await store.meetings.not_a_fit(bob.id) == {alice.id}
    assert await store.meetings.not_a_fit(alice.id) == {bob.id}
    for reader, other in ((bob, alice), (alice, bob)):
        best = await suggestion(services, reader, clock(), exclude=set())
        assert best is None or best.id != other.id
    assert carol.id not in (alice.id, bob.id)


async def test_forged_answers_are_stale_and_data_is_exported_and_erased(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, bob, intro, accepted = await _introduced(store, chat, clock)
    for forged in (f"meet:did:{intro}:3:met", f"meet:did:{intro}:1:maybe"):
        stale = await chat("1").press(forged)
        assert stale.replies[0].notice and "This request no longer exists." in stale
    slots = await chat("U2", platform="slack", language="de").press(accepted.all_buttons()[0])
    await chat("U2", platform="slack", language="de").press(slots.buttons[1])
    await chat("1").press(f"meet:did:{intro}:1:met")
    assert await store.meetings.answers(intro) and await store.meetings.get(intro)
    data = await store.privacy.export(alice.id)
    assert data["meeting_answers"] == [
        {"introduction": intro, "round": 1, "outcome": "met", "answered_at": clock().isoformat()}
    ]
    assert [m["introduction"] for m in data["meetings"]] == [intro]
    assert await store.privacy.erase(alice.id)
    assert await store.meetings.get(intro) is None and await store.meetings.answers(intro) == []
    assert bob.id != alice.id


async def test_follow_up_sequence_on_both_databases(
    any_store: Store, any_services: Services, clock: FakeClock
) -> None:
    def chat_on(user_id: str, **kwargs: object) -> Chat:
        return Chat(any_services, person(user_id, **kwargs))  # type: ignore[arg-type]

    alice, bob, intro, _ = await _introduced(any_store, chat_on, clock)
    start = clock()
    clock.set(start + timedelta(days=7))
    assert await ask_follow_ups(any_services) == 2
    assert await ask_follow_ups(any_services) == 0
    ask = await _outbox(any_store, f"intro:{intro}:did:{bob.id}:1")
    later = await chat_on("U2", platform="slack", language="de").press(ask.all_buttons()[1])
    assert "Ich frage in einer Woche noch einmal" in later
    clock.advance(days=7)
    assert await ask_follow_ups(any_services) == 1  # Bob's "Noch nicht": once more
    asked = await _outbox(any_store, f"intro:{intro}:did:{alice.id}:1")
    await chat_on("1").press(asked.all_buttons()[2])
    assert await any_store.meetings.not_a_fit(bob.id) == {alice.id}


async def test_what_came_of_it_becomes_a_note_after_confirmation(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, bob, intro, _ = await _introduced(store, chat, clock)
    services, start = services_of(chat), clock()
    bob_chat = chat("U2", platform="slack", language="de")
    await bob_chat.press(f"meet:did:{intro}:1:met")

    async def bobs_notes() -> list[int]:
        return [n.id for n in await store.notes.latest(limit=50) if n.author_id == bob.id]

    clock.set(start + timedelta(days=29))
    assert await ask_follow_ups(services) == 1  # Alice's "Did you meet?"; Bob said Yes
    assert await store.outbox.get(f"intro:{intro}:outcome:{bob.id}") is None
    clock.set(start + timedelta(days=30, hours=1))
    assert await ask_follow_ups(services) == 1
    assert await ask_follow_ups(services) == 0
    ask = await _outbox(store, f"intro:{intro}:outcome:{bob.id}")
    assert "Was ist daraus geworden?" in ask.plain_text
    # Alice did not say Yes: her press is stale, nothing waits for her text
    assert "no longer exists" in await chat("1").press(ask.all_buttons()[0])

    asked = await bob_chat.press(ask.all_buttons()[0])
    assert asked.replies[0].prompt is not None
    draft = await bob_chat.send("Gemeinsamer Hitzeaktionsplan mit Sheboygan vereinbart")
    assert "#Esslingen am Neckar · #Sheboygan · SDG 11" in draft
    assert await bobs_notes() == []  # nothing saved before Save
    draft = await bob_chat.send("Hitzeaktionsplan mit Sheboygan: Pilot im Sommer 2027")
    saved = await bob_chat.press(draft.button("Speichern"))
    assert "Gespeichert als Notiz" in saved, saved.text
    note = (await store.notes.latest(limit=1))[0]
    assert note.author_id == bob.id and note.text.startswith("Hitzeaktionsplan mit Sheboygan: Pil")
    assert note.sdgs == (11,) and set(note.tagged_cities) == {"Esslingen am Neckar", "Sheboygan"}
    again = await bob_chat.press(draft.button("Speichern"))  # pressed twice: saved once
    assert again.replies[0].notice and "Entwurf ist nicht mehr aktiv" in again
    assert await bobs_notes() == [note.id]
    assert await store.meetings.outcome_notes(intro) == [note.id]
    assert alice.id != bob.id


async def test_choosing_again_updates_the_same_calendar_entry(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    alice, _, intro, _ = await _introduced(store, chat, clock)
    slots = await chat("1").send(f"/meet {intro}")
    _, first = _ics((await chat("1").press(slots.buttons[0])).replies[0])
    clock.advance(minutes=5)
    _, second = _ics((await chat("1").press(slots.buttons[1])).replies[0])
    assert str(first["UID"]) == str(second["UID"]) == f"introduction-{intro}@udx-bot"  # type: ignore[index]
    assert int(first["SEQUENCE"]) == 0 < int(second["SEQUENCE"])  # type: ignore[index]
    meeting = await store.meetings.get(intro)
    assert meeting is not None and meeting.chosen_by == alice.id
    assert meeting.slot_start == MeetSlot.unpack(slots.buttons[1].data).start
