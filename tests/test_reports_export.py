"""/export and ``udx-bot export``, and /profile anonymous: coordinators get the records as CSV
or JSON; a person who asked for it never appears by name; participants are refused."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import Store, open_store
from tests.conftest import run_in_thread
from tests.reports_support import build_network
from tests.support import TEST_NOW, Chat, Cli
from tests.test_announcements import coordinator


async def anonymous_erika(chat: Callable[..., Chat], store: Store, language: str = "en") -> str:
    """Emma Anonym of Esslingen writes a note and asks to be anonymous; returns the answer."""
    erika = chat("700", language=language, name="Emma Anonym")
    await erika.send("/profile city Esslingen")
    await erika.send("/profile department mobility")
    found = await store.participants.by_identity("telegram", "700")
    assert found is not None and found.name == "Emma Anonym"
    await store.notes.add(found.id, "Car-free Sundays", city_id=found.city_id,
                          department="mobility", now=TEST_NOW)  # fmt: skip
    word = "anonymous on" if language == "en" else "anonym an"
    return (await erika.send(f"/profile {word}")).text


async def test_profile_anonymous_on_and_off(chat: Callable[..., Chat], store: Store) -> None:
    said = await anonymous_erika(chat, store)
    assert "show you as a colleague from Esslingen am Neckar, Transportation" in said
    erika = chat("700", language="en")
    assert (
        "In exports: a colleague from Esslingen am Neckar, Transportation"
        in (await erika.send("/profile")).text
    )
    assert "show your name again" in (await erika.send("/profile anonymous off")).text
    found = await store.participants.by_identity("telegram", "700")
    assert found is not None and not found.anonymous


async def test_profile_anonymous_in_german_and_bad_input(
    chat: Callable[..., Chat], store: Store
) -> None:
    said = await anonymous_erika(chat, store, language="de")
    assert "als eine Kollegin oder ein Kollege aus Esslingen am Neckar" in said
    erika = chat("700", language="de")
    assert (
        "Verwendung: /profil anonym an|aus" in (await erika.send("/profil anonym vielleicht")).text
    )
    assert (
        "Usage: /profile anonymous on|off"
        in (await chat("700", language="en").send("/profile anonymous maybe")).text
    )
    found = await store.participants.by_identity("telegram", "700")
    assert found is not None and found.anonymous  # unchanged by the bad input


async def test_export_notes_never_names_an_anonymous_person(
    chat: Callable[..., Chat], store: Store
) -> None:
    await build_network(store)
    await anonymous_erika(chat, store)
    anna = await coordinator(chat, store, "900")
    answer = await anna.send("/export notes csv")
    (reply,) = answer.replies
    assert reply.document is not None and reply.document.mime_type == "text/csv"
    content = reply.document.content.decode()
    assert "Erika Esslinger" in content  # the hand-built Erika, who did not object
    assert "Emma Anonym" not in content
    rows = list(csv.DictReader(io.StringIO(content)))
    mine = next(r for r in rows if r["text"] == "Car-free Sundays")
    assert mine["author"] == "a colleague from Esslingen am Neckar, Transportation"
    bikes = next(r for r in rows if r["text"] == "Bikes #Cambridge")
    assert (bikes["city"], bikes["department"], bikes["sdgs"], bikes["tagged_cities"]) == (
        "Heidelberg", "Transportation", "7", "Cambridge",
    )  # fmt: skip
    assert bikes["date"] == "2026-11-04"
    assert "records" in answer.text


async def test_export_people_and_introductions_as_json(
    chat: Callable[..., Chat], store: Store
) -> None:
    await build_network(store)
    await anonymous_erika(chat, store)
    anna = await coordinator(chat, store, "900", language="de")
    people = (await anna.send("/exportieren teilnehmende json")).replies[0].document
    assert people is not None and people.mime_type == "application/json"
    found = json.loads(people.content)
    assert {"name": "Sam Sheboy", "city": "Sheboygan", "department": "Umweltamt", "sdgs": [11],
            "role": "participant", "registered": "2026-09-01"} in found  # fmt: skip
    names = [p["name"] for p in found]
    assert "Emma Anonym" not in people.content.decode()
    assert "eine Kollegin oder ein Kollege aus Esslingen am Neckar, Verkehrsplanung und " \
        "Mobilität" in names  # fmt: skip
    intros = (await anna.send("/exportieren vorstellungen json")).replies[0].document
    assert intros is not None
    first = json.loads(intros.content)[0]
    assert (first["requester"], first["target"], first["status"]) == (
        "Erika Esslinger", "Sam Sheboy", "accepted",
    )  # fmt: skip


@pytest.mark.parametrize(("language", "refusal"), [("en", "only coordinators"), ("de", "nur")])
async def test_a_participant_cannot_export(
    chat: Callable[..., Chat], store: Store, language: str, refusal: str
) -> None:
    carl = await coordinator(chat, store, "902", language=language, role="participant")
    answer = await carl.send("/export notes")
    assert refusal in answer.text and all(r.document is None for r in answer.replies)


@pytest.mark.parametrize(
    ("language", "command", "error"),
    [
        ("en", "/export everything", "I can't export “everything”. Usage: /export notes|"),
        ("de", "/exportieren alles", "„alles“ kann ich nicht exportieren. Verwendung:"),
    ],
)
async def test_export_bad_input(
    chat: Callable[..., Chat], store: Store, language: str, command: str, error: str
) -> None:
    anna = await coordinator(chat, store, "900", language=language)
    answer = await anna.send(command)
    assert error in answer.text and all(r.document is None for r in answer.replies)


def test_cli_export_round_trips_and_hides_the_anonymous(
    cli: Cli, sqlite_url: str, tmp_path: Path
) -> None:
    async def seed() -> None:
        store = await open_store(sqlite_url)
        ids = await build_network(store)
        await store.participants.update(ids["s1"], anonymous=True, now=TEST_NOW)
        await store.close()

    run_in_thread(seed)
    env = {"DATABASE_URL": sqlite_url}
    out = tmp_path / "intros.csv"
    result = cli("export", "introductions", "--output", str(out), env=env)
    assert result.returncode == 0
    content = out.read_text("utf-8")
    assert "Sam Sheboy" not in content
    rows = list(csv.DictReader(io.StringIO(content)))
    assert rows[0]["target"] == "a colleague from Sheboygan, Environmental Department"
    notes = cli("export", "notes", "--format", "json", env=env)
    assert notes.returncode == 0 and "Sam Sheboy" not in notes.stdout
    assert {n["author"] for n in json.loads(notes.stdout)} >= {"Erika Esslinger"}
    people = cli("export", "participants", "--language", "de", env=env)
    assert "aus Sheboygan, Umweltamt" in people.stdout and "Sam Sheboy" not in people.stdout
