"""Machine translation of notes (udx_bot/translation) against a fake LibreTranslate on
127.0.0.1: stored in the background, indexed for /search, failures retried later, glossary."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from storage import Store
from storage.notes import Note
from tests.fakes.deepl_api import FakeDeepL
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.notes_support import member
from tests.support import TEST_NOW, FakeClock
from udx_bot.app import build_router
from udx_bot.config import ConfigError, Settings
from udx_bot.context import Services
from udx_bot.digest import build_digest
from udx_bot.scheduler import translations_job
from udx_bot.translation import TranslationError, glossary, text_hash
from udx_bot.translation.job import TranslationState, translate_pending
from udx_bot.translation.libretranslate import LibreTranslate


@pytest.fixture
async def fake() -> AsyncIterator[FakeLibreTranslate]:
    async with FakeLibreTranslate(api_key="k3y") as server:
        yield server


def translating(store: Store, clock: FakeClock, url: str) -> Services:
    settings = Settings(translate="libretranslate", translate_url=url, translate_api_key="k3y")
    return Services(settings=settings, store=store, router=build_router(), clock=clock)


@pytest.fixture
async def tr_services(
    any_store: Store, clock: FakeClock, fake: FakeLibreTranslate
) -> AsyncIterator[Services]:
    services = translating(any_store, clock, fake.url)
    yield services
    assert services.translation is not None
    await services.translation.close()


async def search(services: Services, words: str) -> list[Note]:
    return await services.store.note_translations.attach(await services.store.notes.search(words))


async def get(services: Services, note_id: int) -> Note:
    note = await services.store.notes.get(note_id)
    assert note is not None
    return (await services.store.note_translations.attach([note]))[0]


async def translate_all(services: Services) -> None:
    """Run the scheduler's job until nothing is left (the demo notes come first)."""
    for _ in range(50):
        if not await services.store.note_translations.pending(limit=1):
            return
        before = len(await services.store.note_translations.pending(limit=1000))
        await translations_job(services)
        if len(await services.store.note_translations.pending(limit=1000)) == before:
            return  # the service failed: nothing more this time


async def test_settings_parse_and_refuse_in_one_line() -> None:
    assert Settings.from_env({}).translate == "off"
    s = Settings.from_env(
        {"UDX_TRANSLATE": "LibreTranslate", "UDX_TRANSLATE_URL": "http://lt:5000"}
    )
    assert (s.translate, s.translate_url) == ("libretranslate", "http://lt:5000")
    for env, message in [
        ({"UDX_TRANSLATE": "google"}, "UDX_TRANSLATE must be one of off, libretranslate, deepl"),
        ({"UDX_TRANSLATE": "libretranslate"}, "UDX_TRANSLATE_URL must be set"),
        ({"UDX_TRANSLATE": "libretranslate", "UDX_TRANSLATE_URL": "lt:5000"}, "http(s) URL"),
        ({"UDX_TRANSLATE": "deepl"}, "DEEPL_API_KEY must be set with UDX_TRANSLATE=deepl"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            Settings.from_env(env)
    keyed = Settings.from_env({"UDX_TRANSLATE": "deepl", "DEEPL_API_KEY": "secret-key"})
    assert keyed.redact("key secret-key") == "key ***"


async def test_saved_note_is_translated_in_the_background_and_found_in_both_languages(
    tr_services: Services, fake: FakeLibreTranslate
) -> None:
    de = await member(tr_services, "2", language="de", city="Esslingen am Neckar")
    answer = await de.send("/notiz Wir haben Radwege verglichen")
    assert "Als Notiz #" in answer
    assert not [p for p, _ in fake.requests]  # the reply did not wait for the service
    await translate_all(tr_services)
    found = await search(tr_services, "cycle paths compared")
    assert [n.text for n in found] == ["Wir haben Radwege verglichen"]
    note = found[0]
    assert note.translation is not None
    assert note.translation.text == "we have cycle paths compared"
    assert (note.translation.source_language, note.translation.target_language) == ("de", "en")
    assert note.translation.text_hash == text_hash(note.text, "libretranslate")
    assert [n.id for n in await search(tr_services, "Radwege")] == [note.id]
    # an edit forgets the old translation (and its words) and the job makes a new one
    await de.send(f"/note edit {note.id} Wir haben Bäume gepflanzt")
    assert await search(tr_services, "cycle paths") == []
    await translate_all(tr_services)
    edited = await get(tr_services, note.id)
    assert edited.translation is not None
    assert edited.translation.text == "we have trees planted"
    assert [n.id for n in await search(tr_services, "trees planted")] == [note.id]


async def test_service_down_keeps_the_note_and_retries_later_logging_once(
    tr_services: Services, fake: FakeLibreTranslate, caplog: pytest.LogCaptureFixture
) -> None:
    await translate_all(tr_services)  # the demo notes
    en = await member(tr_services, "1")
    fake.fail = 503
    caplog.set_level(logging.INFO, logger="udx_bot.translation.job")
    answer = await en.send("/note We planted trees with the flood meadow")
    assert "Saved as note #" in answer
    for status in (503, 429):
        fake.fail = status
        await translations_job(tr_services)
        await translations_job(tr_services)
    note = (await search(tr_services, "flood meadow"))[0]
    assert note.translation is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "will retry" in warnings[0].getMessage()
    assert "flood" not in caplog.text  # never the note's text
    fake.fail = None
    await translations_job(tr_services)
    again = await get(tr_services, note.id)
    assert again.translation is not None
    assert "Hochwasser" in again.translation.text
    assert "available again" in caplog.text


async def test_glossary_terms_are_protected_and_replaced(
    tr_services: Services, fake: FakeLibreTranslate
) -> None:
    await translate_all(tr_services)
    de = await member(tr_services, "2", language="de")
    await de.send("/note Die Schwammstadt mit der Klimaschutzmanager/in aus Sheboygan geplant")
    fake.requests.clear()
    await translate_all(tr_services)
    sent = " ".join(str(body.get("q")) for path, body in fake.requests if path == "/translate")
    assert "Schwammstadt" not in sent and "Klimaschutzmanager" not in sent
    note = (await search(tr_services, "Schwammstadt"))[0]
    assert note.translation is not None
    assert note.translation.text == (
        "the sponge city with der climate protection manager aus Sheboygan planned"
    )
    assert glossary.restore(glossary.protect("Mobilität und Verkehr", "de"), "en") != ""


async def test_nothing_is_sent_when_translation_is_off(
    any_services: Services, fake: FakeLibreTranslate
) -> None:
    assert any_services.translation is None
    en = await member(any_services, "1")
    await en.send("/note We planted trees")
    await translations_job(any_services)
    assert fake.requests == []


async def test_german_note_is_shown_translated_to_an_english_reader_with_show_original(
    tr_services: Services,
) -> None:
    await translate_all(tr_services)
    de = await member(tr_services, "2", language="de", name="Anna")
    await de.send("/notiz Wir haben Radwege verglichen")
    await translate_all(tr_services)
    (note,) = await search(tr_services, "Radwege verglichen")
    en = await member(tr_services, "1", language="en")
    for command in ("/search cycle paths", "/notes", f"/note show {note.id}"):
        answer = await en.send(command)
        assert "we have cycle paths compared" in answer, command
        assert "(automatically translated from German)" in answer, command
        assert "Wir haben Radwege verglichen" not in answer, command
    button = answer.button(f"Show original #{note.id}")
    original = await en.press(button)
    assert "Wir haben Radwege verglichen" in original
    assert "automatically translated" not in original
    # the author always sees their own text, in /notes and /search
    for command in ("/notes", "/suche Radwege"):
        mine = await de.send(command)
        assert "Wir haben Radwege verglichen" in mine and "automatisch übersetzt" not in mine
    # a German reader sees the German original too (the translation is into English)
    other_de = await member(tr_services, "3", language="de")
    assert "Wir haben Radwege verglichen" in await other_de.send("/suche cycle paths")


async def test_english_note_is_shown_translated_to_a_german_reader(
    tr_services: Services,
) -> None:
    await translate_all(tr_services)
    en = await member(tr_services, "1", language="en")
    await en.send("/note the flood meadow")
    await translate_all(tr_services)
    de = await member(tr_services, "2", language="de")
    answer = await de.send("/suche Hochwasser")
    assert "die Hochwasser Wiese" in answer
    assert "(automatisch aus dem Englischen übersetzt)" in answer
    (note,) = await search(tr_services, "Hochwasser")
    assert "the flood meadow" in await de.press(answer.button(f"Original zeigen #{note.id}"))


async def test_profile_translate_off_shows_originals(tr_services: Services) -> None:
    await translate_all(tr_services)
    de = await member(tr_services, "2", language="de")
    await de.send("/notiz Wir haben Radwege verglichen")
    await translate_all(tr_services)
    en = await member(tr_services, "1", language="en")
    assert "Saved: notes are shown to you as their authors wrote them." in await en.send(
        "/profile translate off"
    )
    answer = await en.send("/search cycle paths")  # still found by the translated words
    assert "Wir haben Radwege verglichen" in answer and "automatically" not in answer
    assert "not translated" in await en.send("/profile")
    assert "Usage: /profile translate on|off" in await en.send("/profile translate maybe")
    assert "Verwendung: /profil übersetzen an|aus" in await de.send("/profil übersetzen vielleicht")
    assert "maschinell übersetzt" in await de.send("/profil übersetzen an")
    assert "machine-translated" in await en.send("/profile translate on")
    assert "automatically translated from German" in await en.send("/search cycle paths")


async def test_digest_shows_the_note_translated_with_a_marker(
    tr_services: Services, clock: FakeClock
) -> None:
    await translate_all(tr_services)
    de = await member(tr_services, "2", language="de")
    await de.send("/notiz Wir haben Radwege verglichen")
    await translate_all(tr_services)
    (note,) = await search(tr_services, "Radwege")
    for user, language, expected, marker in [
        ("1", "en", "we have cycle paths compared", "(automatically translated from German; "),
        ("3", "de", "Wir haben Radwege verglichen", None),
    ]:
        await member(tr_services, user, language=language)
        reader = await tr_services.store.participants.by_identity("telegram", user)
        assert reader is not None
        replies = await build_digest(
            tr_services,
            reader,
            since=clock() - timedelta(days=7),
            until=clock() + timedelta(hours=1),
        )
        assert replies is not None
        text = "\n".join(s.text for r in replies for s in r.sections)
        assert expected in text
        if marker:
            assert marker + f"the original: /note show {note.id})" in text
        else:
            assert "aus dem Deutschen übersetzt" not in text


async def test_deepl_backend_through_the_official_client(store: Store, clock: FakeClock) -> None:
    async with FakeDeepL("dl-key") as fake:
        settings = Settings(translate="deepl", deepl_api_key="dl-key", deepl_server_url=fake.url)
        services = Services(settings=settings, store=store, router=build_router(), clock=clock)
        assert services.translation is not None and services.translation.name == "deepl"
        assert await services.translation.translate(["Wir haben Radwege"], "de", "en") == [
            "we have cycle paths"
        ]
        assert fake.requests[-1]["target_lang"] == "EN-GB"
        de = await member(services, "2", language="de")
        await de.send("/notiz Die Schwammstadt geplant")
        await translate_all(services)
        (note,) = await search(services, "sponge city")
        assert note.translation is not None and note.translation.backend == "deepl"
        assert note.translation.text == "the sponge city planned"
        await services.close()


async def test_mydata_includes_the_translation_and_forget_erases_it(
    tr_services: Services,
) -> None:
    await translate_all(tr_services)
    de = await member(tr_services, "2", language="de")
    await de.send("/notiz Wir haben Radwege verglichen")
    await translate_all(tr_services)
    (note,) = await search(tr_services, "Radwege")
    author = await tr_services.store.participants.by_identity("telegram", "2")
    assert author is not None
    exported = await tr_services.store.privacy.export(author.id)
    (mine,) = [n for n in exported["notes"] if n["id"] == note.id]
    assert mine["translation"]["text"] == "we have cycle paths compared"
    assert (mine["translation"]["language"], mine["translation"]["by"]) == ("en", "libretranslate")
    assert await tr_services.store.privacy.erase(author.id)
    assert await tr_services.store.note_translations.get(note.id) is None
    assert await search(tr_services, "cycle paths compared") == []


async def test_a_slow_service_is_given_up_on_and_the_note_translated_later(
    tr_services: Services, fake: FakeLibreTranslate
) -> None:
    await translate_all(tr_services)
    en = await member(tr_services, "1")
    fake.delay = 5.0
    assert "Saved as note #" in await en.send("/note the flood meadow")
    backend = LibreTranslate(fake.url, api_key="k3y", timeout_s=0.2)
    state = TranslationState()
    try:
        assert await translate_pending(tr_services.store, backend, tr_services.clock, state) == 0
        assert state.down
        fake.delay = 0.0
        assert await translate_pending(tr_services.store, backend, tr_services.clock, state) == 1
        assert not state.down
    finally:
        await backend.close()
    (note,) = await search(tr_services, "Hochwasser Wiese")
    assert note.text == "the flood meadow"


async def test_libretranslate_api_key_is_sent_and_a_wrong_one_is_a_failure(
    fake: FakeLibreTranslate,
) -> None:
    good = LibreTranslate(fake.url, api_key="k3y")
    bad = LibreTranslate(fake.url + "/", api_key="wrong")
    try:
        assert await good.translate(["wir haben", "die Stadt"], "de", "en") == [
            "we have",
            "the town",
        ]
        assert await good.detect("Wir haben Radwege") == "de"
        with pytest.raises(TranslationError, match="HTTP 403"):
            await bad.translate(["wir haben"], "de", "en")
    finally:
        await good.close()
        await bad.close()


async def test_announcement_in_one_language_is_previewed_and_sent_translated(
    tr_services: Services, fake: FakeLibreTranslate
) -> None:
    de = await member(tr_services, "900", language="de", role="coordinator")
    preview = await de.send("/announce all Wir haben die Schwammstadt geplant")
    assert "Wir haben die Schwammstadt geplant" in preview
    assert "we have the sponge city planned" in preview
    assert "(automatically translated from German)" in preview
    assert "maschinell übersetzt" in preview
    fake.fail = 503  # down: the announcement goes as written
    en = await member(tr_services, "901", language="en", role="coordinator")
    preview = await en.send("/announce all We planted trees")
    assert "We planted trees" in preview and "automatisch" not in preview


async def test_a_note_the_service_refuses_is_passed_over_and_tried_again_later(
    tr_services: Services, fake: FakeLibreTranslate, clock: FakeClock
) -> None:
    await translate_all(tr_services)
    en = await member(tr_services, "1")
    fake.refuse = {"the endless report"}  # the service answers 400 for this one
    assert "Saved as note #" in await en.send("/note the endless report")
    assert "Saved as note #" in await en.send("/note the flood meadow")
    backend = LibreTranslate(fake.url, api_key="k3y")
    state = TranslationState()
    try:
        # the note behind the refused one is translated in the same run; the service is up
        assert await translate_pending(tr_services.store, backend, clock, state) == 1
        assert not state.down and len(state.refused) == 1
        asked = len(fake.requests)
        assert await translate_pending(tr_services.store, backend, clock, state) == 0
        assert len(fake.requests) == asked  # passed over: not even asked
        fake.refuse = set()
        clock.advance(minutes=61)
        assert await translate_pending(tr_services.store, backend, clock, state) == 1
        assert state.refused == {}
    finally:
        await backend.close()
    (note,) = await search(tr_services, "Hochwasser Wiese")
    assert note.text == "the flood meadow"
    assert [n.text for n in await search(tr_services, "endless report")] == ["the endless report"]


def test_a_refused_note_waits_an_hour_then_twice_as_long_up_to_a_day() -> None:
    state, now = TranslationState(), TEST_NOW
    pauses = [state.refuse(7, now).total_seconds() / 3600 for _ in range(7)]
    assert pauses == [1, 2, 4, 8, 16, 24, 24]
    assert state.passed_over(now) == {7} and state.passed_over(now + timedelta(days=1)) == set()
