"""The demo network: the documented partnerships (udx_bot/data) and fictional demo people.

Seeding is idempotent: running the demo again adds nothing twice. ``udx-bot demo`` also adds
:data:`PERSONA`, a second console person who, unlike the demo people, can be asked for an
introduction or reached by an announcement: ``udx-bot demo --as Sam`` shows what the outbox
holds for them (udx_bot/platforms/console_transport.py), so both sides of an introduction can
be tried without Telegram or Slack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from storage import Store
from storage.participants import Participant
from udx_bot.imports import import_cities, import_partnerships
from udx_bot.reference import slug
from udx_bot.tags import parse_tags


@dataclass(frozen=True)
class Persona:
    user: str  # the console name: ``--as user``
    name: str
    city: str
    department: str
    sdgs: tuple[int, ...]
    language: str


PERSONA = Persona("Sam", "Sam Okafor", "Sheboygan", "sustainability", (11, 13), "en")


@dataclass(frozen=True)
class SeedResult:
    cities: int
    partnerships: int
    participants_added: int
    notes_added: int = 0


def data_path(name: str) -> Path:
    return Path(str(resources.files("udx_bot").joinpath("data", name)))


def demo_data() -> dict[str, list[dict[str, object]]]:
    data = json.loads(data_path("demo.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


async def seed_demo(store: Store, *, now: datetime) -> SeedResult:
    """Seed the demo network; demo notes are dated back from ``now``."""
    await import_cities(store, data_path("cities.csv"), now=now)
    await import_partnerships(store, data_path("partnerships.csv"), now=now)
    city_ids = {c.slug: c.id for c in await store.cities.all()}
    existing = await store.participants.demo_names()
    added = 0
    for person in demo_data()["participants"]:
        name = str(person["name"])
        if name in existing:
            continue
        sdgs = person["sdgs"]
        assert isinstance(sdgs, list)
        await store.participants.create_profile(
            name=name,
            city_id=city_ids[slug(str(person["city"]))],
            department=str(person["department"]),
            sdgs=[int(n) for n in sdgs],
            language=str(person["language"]),
            is_demo=True,
            now=now,
        )
        added += 1
    return SeedResult(
        cities=len(city_ids),
        partnerships=len(await store.cities.partners()),
        participants_added=added,
        notes_added=await _seed_notes(store, now),
    )


async def seed_persona(store: Store, *, now: datetime, persona: Persona = PERSONA) -> Participant:
    """The demo's second console person, registered and a member (once; a profile they changed
    in the console is left as it is)."""
    participant, _ = await store.participants.touch(
        "console", persona.user, display_name=persona.user, username=persona.user, now=now
    )
    if participant.registered:
        return participant
    city = next(c for c in await store.cities.all() if slug(c.name) == slug(persona.city))
    await store.participants.update(
        participant.id,
        name=persona.name,
        city_id=city.id,
        department=persona.department,
        language=persona.language,
        now=now,
    )
    await store.membership.admit(participant.id, now=now)
    return await store.participants.set_sdgs(participant.id, persona.sdgs)


async def _seed_notes(store: Store, now: datetime) -> int:
    """The demo notes, each once; ``author`` is "demo:<n>", the n-th demo participant (from 1),
    ``days_ago`` dates the note back from now."""
    data = demo_data()
    people = data["participants"]
    authors = await store.notes.demo_authors()
    known = await store.cities.all()
    names = [c.name for c in known]
    city_by_name = {c.name: c.id for c in known}
    added = 0
    for item in data.get("notes", []):
        position = int(str(item["author"]).removeprefix("demo:"))
        person = people[position - 1]
        author_id = authors[str(person["name"])]
        text = str(item["text"])
        if await store.notes.find(author_id, text) is not None:
            continue
        tags = parse_tags(text, names)
        days_ago = item.get("days_ago", 0)
        assert isinstance(days_ago, int)
        await store.notes.add(
            author_id,
            text,
            city_id=city_ids_for(person, city_by_name),
            department=str(person["department"]),
            sdgs=tags.sdgs,
            city_ids=[city_by_name[n] for n in tags.cities],
            now=now - timedelta(days=days_ago),
        )
        added += 1
    return added


def city_ids_for(person: dict[str, object], city_by_name: dict[str, int]) -> int | None:
    wanted = slug(str(person["city"]))
    return next((cid for name, cid in city_by_name.items() if slug(name) == wanted), None)
