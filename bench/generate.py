"""A realistic, reproducible network for the benchmark.

Cities and partnerships come from the reference data (the same import the demo uses);
participants are spread over the cities (more in the larger German and US cities), the
department taxonomy and the SDGs (weighted toward the network's focus 11, 16 and 17), each with
a Telegram identity (chat id = user id). Notes are German or English, in the author's language,
from templates with ``#sdgN`` and ``#City`` tags, written over the last year; a few people write
many notes, most a few.

Everything goes in through :class:`storage.bulk.BulkLoader` (executemany in a few transactions),
so 10,000 participants and 100,000 notes take seconds, not minutes.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storage import Store
from storage.bulk import BulkLoader
from storage.note_search import search_text
from storage.tables import identities, note_cities, note_sdgs, notes, participant_sdgs, participants
from udx_bot.demo import data_path
from udx_bot.imports import import_cities, import_partnerships
from udx_bot.reference import FOCUS_SDGS, SDG_RANGE, departments

FIRST_USER_ID = 500_000_001  # Telegram user ids of generated people: FIRST_USER_ID + n

FIRST_NAMES = {
    "de": "Anna Lena Jonas Lukas Marie Paul Sophie Felix Hannah Leon Emma Noah Mia Elias "
    "Clara Jakob Frieda Till Greta Moritz Ida Jan Katrin Stefan Birgit Jürgen Özlem Ayşe",
    "en": "Olivia James Emma Liam Ava Noah Mia Lucas Amelia Ethan Harper Mason Grace Henry "
    "Chloe Owen Zoe Caleb Nora Isaac Priya Malik Rosa Diego Aisha Connor Siobhan Rhys",
}
LAST_NAMES = {
    "de": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch "
    "Richter Klein Wolf Schröder Neumann Schwarz Braun Zimmermann Krüger Hartmann Lange",
    "en": "Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Taylor Thomas Moore "
    "Jackson White Harris Martin Thompson Evans Hughes Roberts Patel Okafor Nguyen",
}
TOPICS = {
    "de": [
        "Bürgerbeteiligung",
        "Klimaanpassung",
        "Radverkehr",
        "Hitzeaktionsplan",
        "Quartiersentwicklung",
        "Jugendbeteiligung",
        "Kreislaufwirtschaft",
        "Wärmeplanung",
        "Schwammstadt",
        "Integration",
        "Digitalisierung der Verwaltung",
        "Städtepartnerschaft",
        "Fernwärme",
        "Stadtbäume",
        "bezahlbarer Wohnraum",
    ],
    "en": [
        "citizen participation",
        "climate adaptation",
        "cycling infrastructure",
        "heat action plan",
        "neighbourhood renewal",
        "youth engagement",
        "circular economy",
        "heat planning",
        "sponge city",
        "refugee integration",
        "digital government",
        "sister city exchange",
        "district heating",
        "urban trees",
        "affordable housing",
    ],
}
TEMPLATES = {
    "de": [
        "Heute mit {partner} über {topic} gesprochen: spannende Ansätze, die wir übernehmen "
        "könnten. {tags}",
        "Workshop zu {topic} vorbereitet, Ergebnisse gehen an {partner}. {tags}",
        "Erfahrungsaustausch mit {partner}: deren Vorgehen bei {topic} spart viel Zeit. {tags}",
        "Notiz: Förderprogramm für {topic} läuft aus, Antrag bis Monatsende. {tags}",
        "Delegation aus {partner} besucht uns nächste Woche, Thema {topic}. {tags}",
        "Gute Erfahrungen mit einem Pilotprojekt zu {topic}, Bericht folgt. {tags}",
    ],
    "en": [
        "Call with {partner} about {topic} today: they piloted it last year and shared "
        "their data. {tags}",
        "Preparing a workshop on {topic}; results go to {partner}. {tags}",
        "Learned from {partner} how they handle {topic}, saves us months. {tags}",
        "Note to self: the {topic} grant closes at the end of the month. {tags}",
        "Delegation from {partner} visiting next week, focus on {topic}. {tags}",
        "Good results from our {topic} pilot, report to follow. {tags}",
    ],
}
# Search queries the latency figure uses: topics in both languages, cities, tags.
SEARCH_TERMS = [
    "Klimaanpassung",
    "Radverkehr",
    "heat",
    "cycling",
    "workshop",
    "Wärmeplanung",
    "affordable housing",
    "Stadtbäume",
    "sister city",
    "Delegation",
    "Förderprogramm",
    "grant",
    "sponge",
    "Integration",
]


@dataclass
class Network:
    """What was generated, for the figures: who can ask, and what to ask."""

    participant_ids: list[int]
    user_ids: dict[int, str]  # participant id -> Telegram user id
    languages: dict[int, str]
    city_names: list[str]
    participants: int
    notes: int
    seconds: float
    search_terms: list[str] = field(default_factory=lambda: list(SEARCH_TERMS))


Progress = Callable[[str], None]


def progress_printer(interval: float = 0.5) -> Progress:
    """Progress on stderr: one updating line on a terminal, else a line every ``interval`` s."""
    tty = sys.stderr.isatty()
    last = 0.0

    def say(message: str) -> None:
        nonlocal last
        final = message.endswith("\n")
        now = time.monotonic()
        if not final and now - last < interval:
            return
        last = now
        if tty:
            print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)
        else:
            print(message.rstrip("\n"), file=sys.stderr, flush=True)

    return say


def _weighted_sdgs(rng: random.Random, count: int) -> list[int]:
    weights = [6.0 if n in FOCUS_SDGS else 1.0 for n in SDG_RANGE]
    chosen: set[int] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(list(SDG_RANGE), weights)[0])
    return sorted(chosen)


def city_tag(name: str) -> str:
    """The hashtag people write for a city: "#EsslingenAmNeckar", "#StLouis"."""
    return "#" + "".join(word[:1].upper() + word[1:] for word in re.split(r"[\s.\-]+", name))


async def generate(
    store: Store,
    *,
    participants_count: int,
    notes_count: int,
    seed: int = 20261125,
    progress: Progress | None = None,
    now: datetime,
) -> Network:
    started = time.perf_counter()
    rng = random.Random(seed)
    say = progress or (lambda _message: None)

    say("importing cities and partnerships …")
    await import_cities(store, data_path("cities.csv"), now=now)
    await import_partnerships(store, data_path("partnerships.csv"), now=now)
    cities = await store.cities.all()
    partner_pairs = await store.cities.partners()
    partners: dict[int, list[str]] = {c.id: [] for c in cities}
    for a, b, _since in partner_pairs:
        partners[a.id].append(b.name)
        partners[b.id].append(a.name)
    # Bigger cities get more people; every city some.
    city_weights = [
        3.0 if c.name in ("Berlin", "Los Angeles", "Houston", "Leeds") else 1.0 for c in cities
    ]
    department_keys = list(departments())

    def on_rows(table: str, done: int) -> None:
        say(f"writing {table}: {done:,} rows")

    loader = BulkLoader(store.db, on_rows)
    first_pid = await loader.next_id(participants)
    first_identity = await loader.next_id(identities)
    first_note = await loader.next_id(notes)

    # Participants --------------------------------------------------------------------------
    people: list[dict[str, Any]] = []
    sdg_rows: list[dict[str, Any]] = []
    identity_rows: list[dict[str, Any]] = []
    user_ids: dict[int, str] = {}
    languages: dict[int, str] = {}
    authors: list[tuple[int, int, str, str]] = []  # (pid, city id, department, language)
    for n in range(participants_count):
        pid = first_pid + n
        city = rng.choices(cities, city_weights)[0]
        language = (
            city.language if rng.random() < 0.85 else ("en" if city.language == "de" else "de")
        )
        department = rng.choice(department_keys)
        created = now - timedelta(days=rng.uniform(30, 730))
        first, last = FIRST_NAMES[language].split(), LAST_NAMES[language].split()
        name = f"{rng.choice(first)} {rng.choice(last)}"
        people.append(
            {
                "id": pid,
                "name": name,
                "city_id": city.id,
                "department": department,
                "language": language,
                "role": "participant",
                "digest_weekday": rng.randrange(7),
                "digest_minute": rng.choice((420, 480, 540, 600)),
                "digest_enabled": rng.random() < 0.9,
                "is_demo": False,
                "created_at": created,
                "registered_at": created,
                "member_since": created,
                "last_active_at": now,
            }
        )
        for sdg in _weighted_sdgs(rng, rng.choice((1, 2, 2, 3, 3, 4))):
            sdg_rows.append({"participant_id": pid, "sdg": sdg})
        user_id = str(FIRST_USER_ID + n)
        user_ids[pid] = user_id
        languages[pid] = language
        identity_rows.append(
            {
                "id": first_identity + n,
                "participant_id": pid,
                "platform": "telegram",
                "user_id": user_id,
                "chat_id": user_id,
                "username": None,
                "display_name": name,
                "language_code": language,
                "created_at": created,
            }
        )
        authors.append((pid, city.id, department, language))
    await loader.insert(participants, people)
    await loader.insert(participant_sdgs, sdg_rows)
    await loader.insert(identities, identity_rows)
    del people, sdg_rows, identity_rows

    # Notes ------------------------------------------------------------------------------------
    city_by_id = {c.id: c for c in cities}
    city_ids = {c.name: c.id for c in cities}
    # Zipf-like activity: a few people write many notes, most a few.
    activity = [1.0 / (rank + 1) ** 0.8 for rank in range(len(authors))]
    rng.shuffle(activity)
    note_tag_sdgs: list[dict[str, Any]] = []
    note_tag_cities: list[dict[str, Any]] = []
    year = timedelta(days=365).total_seconds()

    def note_rows() -> Iterator[dict[str, Any]]:
        chosen = rng.choices(authors, activity, k=notes_count) if authors else []
        # Ids grow with time, as when people write them: the oldest note gets the lowest id.
        ages = sorted((rng.uniform(0, year) for _ in chosen), reverse=True)
        for n, (pid, city_id, department, language) in enumerate(chosen):
            note_id = first_note + n
            own = city_by_id[city_id]
            partner = rng.choice(partners[city_id] or [own.name])
            sdgs = _weighted_sdgs(rng, rng.choice((0, 1, 1, 2)))
            tagged = [partner] if rng.random() < 0.6 else []
            tags = " ".join([*(f"#sdg{s}" for s in sdgs), *(city_tag(c) for c in tagged)])
            text_ = rng.choice(TEMPLATES[language]).format(
                partner=partner, topic=rng.choice(TOPICS[language]), tags=tags
            )
            for s in sdgs:
                note_tag_sdgs.append({"note_id": note_id, "sdg": s})
            for name in tagged:
                note_tag_cities.append({"note_id": note_id, "city_id": city_ids[name]})
            yield {
                "id": note_id,
                "author_id": pid,
                "city_id": city_id,
                "department": department,
                "text": text_.strip(),
                "search_text": search_text(text_.strip()),
                "created_at": now - timedelta(seconds=ages[n]),
                "updated_at": None,
            }

    await loader.insert(notes, note_rows())
    await loader.insert(note_sdgs, note_tag_sdgs)
    await loader.insert(note_cities, note_tag_cities)
    await loader.finish()
    say("analyzing …")
    await loader.analyze()
    seconds = time.perf_counter() - started
    say(
        f"generated {participants_count:,} participants and {notes_count:,} notes "
        f"in {seconds:.1f} s\n"
    )
    return Network(
        participant_ids=[a[0] for a in authors],
        user_ids=user_ids,
        languages=languages,
        city_names=[c.name for c in cities],
        participants=participants_count,
        notes=notes_count,
        seconds=seconds,
    )
