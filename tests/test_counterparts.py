"""/find: ranking (both databases), filters, paging and bad input, in English and German."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

from handlers.counterparts import IntroRequest
from storage import Store
from tests.counterparts_support import city_id, register
from tests.support import TEST_NOW, Chat, FakeClock
from udx_bot.context import Services
from udx_bot.digest import build_digest
from udx_bot.matching import counterpart_query


async def _network(store: Store, clock: FakeClock) -> dict[str, int]:
    """A reader in Esslingen (partner: Sheboygan) and people ranked around them."""
    now = clock()
    reader = await register(
        store, "1", city="Esslingen am Neckar", department="mobility", sdgs=[11, 13], now=now
    )
    people = {
        # partner city, same department, both goals, active now
        "a": ("Sheboygan", "mobility", [11, 13], now),
        # same, but dormant: after "a"
        "g": ("Sheboygan", "mobility", [11, 13], now - timedelta(days=200)),
        # partner city, same department, one goal
        "b": ("Sheboygan", "mobility", [11], now),
        # partner city, related department (built group), both goals
        "c": ("Sheboygan", "planning", [11, 13], now),
        # partner city, unrelated department
        "e": ("Sheboygan", "culture", [11, 13], now),
        # not a partner city, same department, both goals
        "d": ("Leeds", "mobility", [11, 13], now),
        # not a partner city, other department, no goals
        "h": ("Leeds", "culture", [], now),
    }
    ids = {"reader": reader.id}
    for n, (key, (city, department, sdgs, active)) in enumerate(people.items(), start=10):
        ids[key] = (
            await register(store, str(n), city=city, department=department, sdgs=sdgs, now=active)
        ).id
    # someone in the partner city who never finished their profile
    unregistered, _ = await store.participants.touch(
        "telegram", "99", display_name="Half", now=TEST_NOW
    )
    await store.participants.update(
        unregistered.id, city_id=await city_id(store, "Sheboygan"), now=TEST_NOW
    )
    ids["unregistered"] = unregistered.id
    return ids


async def test_ranking_is_the_same_on_both_databases(any_store: Store, clock: FakeClock) -> None:
    ids = await _network(any_store, clock)
    reader = await any_store.participants.get(ids["reader"])
    assert reader is not None
    query = counterpart_query(reader)
    query = dataclasses.replace(query, exclude_demo=True)
    page = await any_store.counterparts.rank(query)
    order = [item.participant.id for item in page.items]
    assert order == [ids[k] for k in ("a", "g", "b", "c", "e", "d", "h")]
    assert not page.has_next
    first = page.items[0]
    assert first.partner_city and first.department_rank == 0 and first.shared_sdgs == (11, 13)
    assert page.items[3].department_rank == 1 and page.items[4].department_rank == 2
    assert not page.items[5].partner_city

    # pages of two give the same order, with a next page until the end
    paged: list[int] = []
    for n in range(4):
        part = await any_store.counterparts.rank(query, page=n, page_size=2)
        paged += [item.participant.id for item in part.items]
        assert part.has_next == (n < 3)
    assert paged == order

    # with the demo network: never the reader, never the unregistered, partner city first
    everyone = counterpart_query(reader)
    seen: list[int] = []
    n = 0
    while True:
        part = await any_store.counterparts.rank(everyone, page=n)
        seen += [item.participant.id for item in part.items]
        if not part.has_next:
            break
        n += 1
    assert ids["reader"] not in seen and ids["unregistered"] not in seen
    assert len(seen) == len(set(seen)) > 100
    assert seen[:3] == [ids["a"], ids["g"], ids["b"]]


async def test_filters_and_new_matches(
    any_store: Store, any_services: Services, clock: FakeClock
) -> None:
    ids = await _network(any_store, clock)
    reader = await any_store.participants.get(ids["reader"])
    assert reader is not None
    leeds = await city_id(any_store, "Leeds")
    query = counterpart_query(reader, city_id=leeds)
    in_leeds = [i.participant for i in (await any_store.counterparts.rank(query)).items]
    assert in_leeds[0].id == ids["d"] and all(p.city_id == leeds for p in in_leeds)
    query = counterpart_query(reader, department="culture", sdgs=[13])
    found = [i.participant for i in (await any_store.counterparts.rank(query)).items]
    assert found and all(p.department == "culture" and 13 in p.sdgs for p in found)
    assert found[0].id == ids["e"]  # partner city first

    # the digest's "new people": joined since a date, demo people left out, same order
    since = clock() - timedelta(minutes=5)  # registration is stamped by the clock
    until = clock() + timedelta(minutes=1)
    digest = await build_digest(any_services, reader, since=since, until=until)
    assert digest is not None
    text = digest[0].plain_text
    # "g" registered 200 days ago (when it was last active): not new; "h" matches nothing
    assert "5 new colleagues who match you" in text
    shown = [text.index(f"• User {n} (") for n in (10, 12, 13)]  # "a", "b", "c"
    assert shown == sorted(shown) and "• User 11 (" not in text
    assert "…and 2 more: see /find" in text
    later = await build_digest(
        any_services, reader, since=clock() + timedelta(days=1), until=clock() + timedelta(days=8)
    )
    assert later is None or "new colleague" not in later[0].plain_text


async def test_find_lists_counterparts_in_english_and_german(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    ids = await _network(store, clock)
    answer = await chat("1").send("/find")
    assert "Your counterparts 1–10" in answer
    assert f"#{ids['a']} User 10" in answer
    assert "Sheboygan, WI, United States · Transportation" in answer
    assert "In a partner city of yours" in answer
    assert "SDG 11 Sustainable Cities and Communities" in answer.text
    assert answer.text.index(f"#{ids['a']} ") < answer.text.index(f"#{ids['b']} ")
    introduce = answer.button("Introduce me to User 10").data
    assert IntroRequest.unpack(introduce) == IntroRequest(ids["a"])
    assert all(len(b.data.encode()) <= 64 for b in answer.buttons)
    nxt = await chat("1").press(answer.button("Next"))
    assert "Your counterparts 11–20" in nxt and nxt.replies[0].edit
    back = await chat("1").press(nxt.button("Previous"))
    assert "Your counterparts 1–10" in back

    await register(store, "2", city="Sheboygan", department="environment", language="de")
    de = await chat("2", language="de").send("/find")
    assert "Ihre Ansprechpartner 1–10" in de
    assert "Esslingen am Neckar, Deutschland · Verkehrsplanung und Mobilität" in de
    assert "Vorstellung anfragen: User 1" in " ".join(b.label for b in de.buttons)
    assert "Weiter" in " ".join(b.label for b in de.buttons)


async def test_find_with_filters(store: Store, clock: FakeClock, chat: Callable[..., Chat]) -> None:
    ids = await _network(store, clock)
    culture = await chat("1").send("/find Kulturamt 13")
    assert f"#{ids['e']} " in culture and f"#{ids['a']} " not in culture
    assert "Cultural Affairs" in culture
    leeds = await chat("1").send("/find #Leeds")
    assert f"#{ids['d']} " in leeds and f"#{ids['a']} " not in leeds
    assert all("Sheboygan" not in s.text for r in leeds.replies for s in r.sections)
    # the filters survive paging: the next page of everyone in mobility stays in mobility
    mobility = await chat("1").send("/find Verkehrsplanung")
    second = await chat("1").press(mobility.button("Next"))
    assert "Transportation" in second and "Cultural Affairs" not in second.text
    umwelt = await chat("1").send("/find Umwelt")
    assert "Environmental Department" in umwelt and "Transportation" not in umwelt
    nobody = await chat("1").send("/find #Leeds sdg6 Jugendgemeinderat")
    assert "I found no one for these filters" in nobody


async def test_find_bad_input_in_both_languages(
    store: Store, clock: FakeClock, chat: Callable[..., Chat]
) -> None:
    await register(store, "1", city="Esslingen am Neckar", department="mobility")
    await register(store, "2", city="Sheboygan", department="mobility", language="de")
    en, de = chat("1"), chat("2", language="de")
    assert "There is no SDG 99: the goals are numbered 1 to 17." in await en.send("/find sdg99")
    assert "Ein SDG 99 gibt es nicht" in await de.send("/find sdg99")
    wrong = await en.send("/find xyzzyq")
    assert 'I don\'t know a department "xyzzyq".' in wrong
    assert "Einen Fachbereich „qqqq“ kenne ich nicht." in await de.send("/find qqqq")
    city = await en.send("/find #Sheboygn")
    assert "#Sheboygn is not a city in the network. Did you mean #Sheboygan?" in city
    assert "Meinten Sie #Sheboygan?" in await de.send("/find #Sheboygn")
    assert "That button is no longer active" in await en.press("find:x:y")
    unregistered = chat("3")
    assert "Please set up your profile first" in await unregistered.send("/find")
