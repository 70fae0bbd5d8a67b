"""Membership through the router: what a stranger may do (and is told), invitations, approval,
removal, each mode, in English and German, on SQLite and PostgreSQL where storage is involved."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from handlers.counterparts import FindPage
from handlers.membership import MemberApprove, MemberDecline
from storage import Store
from storage.participants import Participant
from storage.tables import invitations, notes
from tests.counterparts_support import register
from tests.support import Chat, FakeClock, person
from udx_bot.context import Services
from udx_bot.matching import counterpart_query
from udx_bot.types import Reply
from udx_bot.usecases import membership

REFUSAL = {
    "en": "joining takes an invitation",
    "de": "der Beitritt braucht eine Einladung",
}
CODE_RE = re.compile(r"/start ([A-Z2-9]{12})")


def mode(services: Services, registration: str, **more: object) -> Services:
    services.settings = replace(services.settings, registration=registration, **more)  # type: ignore[arg-type]
    return services


async def count(store: Store, table: object) -> int:
    async with store.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def coordinator(services: Services, user_id: str, *, city: str, language: str = "en") -> Chat:
    await register(services.store, user_id, city=city, department="mobility", language=language)
    await services.store.roster.set_role("telegram", user_id, "coordinator", now=services.clock())
    return Chat(services, person(user_id, language=language))


async def member(services: Services, user_id: str, platform: str = "telegram") -> Participant:
    found = await services.store.participants.by_identity(platform, user_id)
    assert found is not None
    return found


def code_in(text: str) -> str:
    found = CODE_RE.search(text)
    assert found, text
    return found.group(1)


# --- a stranger -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "de"])
async def test_a_stranger_gets_one_clear_message_for_everything_but_four_commands(
    any_services: Services, language: str
) -> None:
    services = mode(any_services, "invite")
    stranger = Chat(services, person("900", language=language))
    notes_before = await count(services.store, notes)
    for command in (
        "/note heat plans #sdg13", "/notes", "/find", "/search heat", "/intro 1", "/digest",
        "/profile", "/link", "/announce all hello", "/invite", "note plain text", "/home",
    ):  # fmt: skip
        answer = await stranger.send(command)
        assert REFUSAL[language] in answer, (command, answer.text)
    pressed = await stranger.press(FindPage(page=1).pack())
    assert REFUSAL[language] in pressed
    assert await count(services.store, notes) == notes_before
    me = await member(services, "900")
    assert not me.member and me.city_id is None

    helped = await stranger.send("/help")
    assert "/mydata" in helped and "/forget" in helped and "/start" in helped
    assert "/find" not in helped and "/note" not in helped and REFUSAL[language] in helped
    started = await stranger.send("/start")  # invitations only: nothing to set up
    assert REFUSAL[language] in started
    assert await services.store.conversations.get(me.id) is None
    exported = await stranger.send("/mydata")
    assert exported.replies[0].document is not None
    forget = await stranger.send("/forget")
    assert forget.buttons  # the confirmation


async def test_open_mode_slack_and_console_are_members_at_once(services: Services) -> None:
    mode(services, "invite")
    slack = Chat(services, person("U77", platform="slack"))
    assert "Which language" in await slack.send("/start")
    console = Chat(services, person("Mike", platform="console"))
    assert REFUSAL["en"] not in await console.send("/notes")
    mode(services, "invite", slack_require_invite=True)
    other = Chat(services, person("U78", platform="slack"))
    assert REFUSAL["en"] in await other.send("/notes")
    mode(services, "open")
    anyone = Chat(services, person("901"))
    assert REFUSAL["en"] not in await anyone.send("/notes")
    assert (await member(services, "901")).member


# --- invitations ----------------------------------------------------------------------------------


async def test_an_invitation_admits_as_often_as_it_allows_and_presets_the_city(
    any_services: Services, clock: FakeClock
) -> None:
    services = mode(any_services, "invite")
    coord = await coordinator(services, "10", city="Krefeld")
    made = await coord.send("/invite #Krefeld 2 7")
    assert "Invitation #" in made and "For 2 people, Krefeld" in made
    assert "https://t.me/" not in made.text  # the bot's name is not known here
    code = code_in(made.text)
    async with services.store.db.read() as conn:  # only the hash is stored
        stored = list((await conn.execute(select(invitations))).mappings())
    assert len(stored) == 1 and code not in str(stored)

    anna = Chat(services, person("11", language="de"))
    welcome = await anna.send(f"/start {code.lower()}")
    assert "Willkommen im Urban Diplomacy Exchange! Ihre Einladung ist angenommen." in welcome
    assert "Schritt 1 von 4" in welcome
    me = await member(services, "11")
    assert me.member and me.city_name == "Krefeld"
    city_step = await anna.press(welcome.button("Deutsch"))
    assert "Krefeld beibehalten" in city_step.button("Krefeld").label
    assert REFUSAL["de"] not in await anna.send("/notes")

    bob = Chat(services, person("12"))
    assert "Welcome to the Urban Diplomacy Exchange!" in await bob.send(f"/start {code}")
    carl = Chat(services, person("13"))
    used = await carl.send(f"/start {code}")
    assert "already been used as often as it allows" in used
    assert not (await member(services, "13")).member
    listed = await coord.send("/invite list")
    assert "2 of 2 used" not in listed and "used up" in listed


@pytest.mark.parametrize("language", ["en", "de"])
async def test_expired_revoked_and_bad_codes_are_refused_and_store_nothing(
    any_services: Services, clock: FakeClock, language: str
) -> None:
    services = mode(any_services, "invite")
    coord = await coordinator(services, "20", city="Leeds")
    expiring = code_in((await coord.send("/invite 5 1")).text)
    revoked_reply = await coord.send("/invite")
    revoked = code_in(revoked_reply.text)
    number = re.search(r"Invitation #(\d+)", revoked_reply.text)
    assert number
    withdrawn = await coord.send(f"/invite revoke {number.group(1)}")
    assert "is withdrawn" in withdrawn
    assert "already withdrawn" in await coord.send(f"/invite revoke {number.group(1)}")
    clock.advance(days=2)
    stranger = Chat(services, person("21", language=language))
    words = {
        "en": ("has expired", "was withdrawn", "is not valid"),
        "de": ("ist abgelaufen", "wurde zurückgezogen", "ist ungültig"),
    }[language]
    async with services.store.db.read() as conn:
        before = sorted((await conn.execute(select(invitations.c.id, invitations.c.used))).all())
    for typed, said in zip((expiring, revoked, "NOPE"), words, strict=True):
        answer = await stranger.send(f"/start {typed}")
        assert said in answer, answer.text
    assert said in await stranger.send("/start ABCDEFGHJKLM")  # well-formed, unknown
    assert "Schritt" not in (await stranger.send("/start x")).text
    me = await member(services, "21")
    assert not me.member and await services.store.conversations.get(me.id) is None
    async with services.store.db.read() as conn:
        after = sorted((await conn.execute(select(invitations.c.id, invitations.c.used))).all())
    assert after == before


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/invite #Atlantis", "#Atlantis is not a city"),
        ("/invite 0", "admits 1 to 500 people"),
        ("/invite 3 999", "valid for 1 to 365 days"),
        ("/invite three", "Please write it like this"),
        ("/invite 1 2 3", "Please write it like this"),
        ("/invite sdg13", "Please write it like this"),
        ("/invite revoke 99", "no invitation with that number"),
        ("/invite revoke abc", "no invitation with that number"),
    ],
)
async def test_bad_invite_input_is_refused_and_stores_nothing(
    services: Services, typed: str, said: str
) -> None:
    coord = await coordinator(mode(services, "invite"), "30", city="Leeds")
    assert said in await coord.send(typed)
    assert await count(services.store, invitations) == 0


async def test_only_coordinators_invite_and_only_admins_remove(services: Services) -> None:
    mode(services, "invite")
    await register(services.store, "40", city="Leeds", department="mobility", language="de")
    plain = Chat(services, person("40", language="de"))
    assert "nur Koordinator" in await plain.send("/einladen")
    coord = await coordinator(services, "41", city="Leeds")
    assert "only admins" in await coord.send("/remove 40")
    assert "No invitations yet" in await coord.send("/invite list")
    assert await count(services.store, invitations) == 0


# --- approval -------------------------------------------------------------------------------------


async def _finish_profile(chat: Chat, city: str) -> str:
    await chat.send("/start")
    await chat.send("English" if chat.actor.language_code == "en" else "Deutsch")
    await chat.send(city)
    await chat.send("mobility")
    return (await chat.send("done")).text


async def test_approval_round_trip(any_services: Services) -> None:
    services = mode(any_services, "approval")
    store = services.store
    krefeld = await coordinator(services, "50", city="Krefeld", language="de")
    leeds = await coordinator(services, "51", city="Leeds")
    stranger = Chat(services, person("52", language="de"))
    assert "Aufnahme zu beantragen" in await stranger.send("/notes")
    done = await _finish_profile(stranger, "Krefeld")
    assert "Ihr Profil ist gespeichert" in done and "gebeten, Sie aufzunehmen" in done
    me = await member(services, "52")
    assert not me.member and me.registered
    assert "wartet auf eine Koordinatorin" in await stranger.send("/find")
    request = await store.membership.open_request(me.id)
    assert request is not None
    coord = await member(services, "50")
    asked = await store.outbox.get(f"member:{request.id}:ask:{coord.id}")
    assert asked is not None
    message = Reply.from_json(asked.payload[0])
    assert "möchte dem Netzwerk beitreten" in message.plain_text
    assert [b.label for b in message.all_buttons()] == ["Aufnehmen", "Ablehnen"]
    other = await member(services, "51")
    assert await store.outbox.get(f"member:{request.id}:ask:{other.id}") is None  # not Leeds
    await register(store, "53", city="Krefeld", department="mobility")  # a member, no coordinator
    pressed = await Chat(services, person("53")).press(MemberApprove(request.id).pack())
    assert "only coordinators" in pressed and not (await member(services, "52")).member

    approved = await krefeld.press(message.all_buttons()[0])
    assert "wurde aufgenommen" in approved
    me = await member(services, "52")
    assert me.member
    told = await store.outbox.get(f"member:{request.id}:outcome")
    assert told is not None and "Willkommen im" in Reply.from_json(told.payload[0]).plain_text
    assert "wartet" not in (await stranger.send("/notes")).text
    again = await leeds.press(MemberDecline(request.id).pack())
    assert "already decided" in again and again.replies[0].notice
    assert (await member(services, "52")).member


async def test_declined_and_forged_approval(any_services: Services) -> None:
    services = mode(any_services, "approval")
    store = services.store
    await coordinator(services, "60", city="Leeds")  # the only coordinator: asked for every city
    stranger = Chat(services, person("61"))
    await _finish_profile(stranger, "Krefeld")
    me = await member(services, "61")
    request = await store.membership.open_request(me.id)
    assert request is not None
    coord = await member(services, "60")
    assert await store.outbox.get(f"member:{request.id}:ask:{coord.id}") is not None
    forged = await stranger.press(MemberApprove(request.id).pack())  # by the stranger himself
    assert "waiting for a coordinator" in forged
    assert not (await member(services, "61")).member
    assert (await store.membership.open_request(me.id)) is not None
    leeds = Chat(services, person("60"))
    declined = await leeds.press(MemberDecline(request.id).pack())
    assert "was declined" in declined
    told = await store.outbox.get(f"member:{request.id}:outcome")
    assert told is not None and "was declined" in Reply.from_json(told.payload[0]).plain_text
    assert not (await member(services, "61")).member
    assert "no longer exists" in await leeds.press(MemberApprove(10**6).pack())
    again = await _finish_profile(stranger, "Krefeld")  # nobody is asked a second time
    assert "was declined. To join, please ask a coordinator" in again
    assert await store.membership.open_request(me.id) is None


async def test_strangers_are_not_found_not_introduced_and_get_no_announcements(
    any_services: Services,
) -> None:
    services = mode(any_services, "approval")
    store = services.store
    reader = await register(store, "70", city="Krefeld", department="mobility")
    hidden = await register(store, "71", city="Leeds", department="mobility", member=False)
    ranked = await store.counterparts.rank(counterpart_query(reader))
    assert hidden.id not in [c.participant.id for c in ranked.items]
    chat = Chat(services, person("70"))
    assert "no one with the number" in await chat.send(f"/intro {hidden.id}")
    audience = await store.announcements.recipients()
    assert hidden.id not in {r.participant_id for r in audience}


# --- removal --------------------------------------------------------------------------------------


async def test_remove_cuts_access_at_the_next_update(any_services: Services) -> None:
    services = mode(any_services, "open")
    store = services.store
    me = await register(store, "80", city="Leeds", department="mobility")
    await store.roster.set_role("telegram", "80", "admin", now=services.clock())
    admin = Chat(services, person("80"))
    victim = await register(store, "81", city="Krefeld", department="mobility", language="de")
    chat = Chat(services, person("81", language="de"))
    assert "nicht mehr Mitglied" not in await chat.send("/notes")
    assert "can't remove yourself" in await admin.send(f"/remove {me.id}")
    assert "from /find" in await admin.send("/remove 999999")
    removed = await admin.send(f"/remove {victim.id}")
    assert "is no longer a member" in removed
    assert "nicht mehr Mitglied" in await chat.send("/notes")  # open mode does not let them back
    assert "not a member" in await admin.send(f"/remove {victim.id}")
    admin_me = await member(services, "80")
    ranked = await store.counterparts.rank(counterpart_query(admin_me))
    assert victim.id not in [c.participant.id for c in ranked.items]


async def test_the_last_use_goes_to_one_of_two_at_once(any_services: Services) -> None:
    store, now = any_services.store, any_services.clock()
    [made] = await membership.create(store, now=now)
    one, _ = await store.participants.touch("telegram", "95", now=now)
    two, _ = await store.participants.touch("telegram", "96", now=now)
    results = await asyncio.gather(
        membership.redeem(store, made.code, one.id, now=now),
        membership.redeem(store, made.code, two.id, now=now),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, membership.InvitationRefused)]
    assert len(refused) == 1 and refused[0].reason == "used"
    members = [p.member for p in (await store.participants.get_many([one.id, two.id])).values()]
    assert sorted(members) == [False, True]
    invitation = await store.membership.invitation(made.invitation.id)
    assert invitation is not None and invitation.used == 1


async def test_forget_takes_the_request_to_join_from_the_coordinators_queue(
    any_services: Services,
) -> None:
    services = mode(any_services, "approval")
    await coordinator(services, "97", city="Leeds")
    stranger = Chat(services, person("98", name="Quentin Zorblax"))
    await _finish_profile(stranger, "Leeds")
    me = await member(services, "98")
    request = await services.store.membership.open_request(me.id)
    assert request is not None
    coord = await member(services, "97")
    assert await services.store.outbox.get(f"member:{request.id}:ask:{coord.id}") is not None
    forget = await stranger.send("/forget")
    await stranger.press(forget.button("Yes, erase everything"))
    assert await services.store.outbox.get(f"member:{request.id}:ask:{coord.id}") is None
    assert await services.store.membership.get_request(request.id) is None
