"""The demo network: the documented partnerships (udx_bot/data) and fictional demo people.

Seeding is idempotent: running the demo again adds nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from storage import Store
from udx_bot.imports import import_cities, import_partnerships
from udx_bot.reference import slug


@dataclass(frozen=True)
class SeedResult:
    cities: int
    partnerships: int
    participants_added: int


def data_path(name: str) -> Path:
    return Path(str(resources.files("udx_bot").joinpath("data", name)))


def demo_data() -> dict[str, list[dict[str, object]]]:
    data = json.loads(data_path("demo.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


async def seed_demo(store: Store) -> SeedResult:
    await import_cities(store, data_path("cities.csv"))
    await import_partnerships(store, data_path("partnerships.csv"))
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
        )
        added += 1
    return SeedResult(
        cities=len(city_ids),
        partnerships=len(await store.cities.partners()),
        participants_added=added,
    )
