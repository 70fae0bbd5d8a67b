"""The scheduler's ``translations`` job: translate the notes that have no translation yet.

Saving or editing a note never waits for the service: the note is stored as typed, this job
(every few seconds, see udx_bot/scheduler.py) finds it without a translation and makes one.
When the service is down, slow or refuses, the notes stay untranslated (readers see the
original) and the next run tries again; the log says so once when it goes down and once when it
is back, never with a note's text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from storage import Store
from storage.note_translations import Untranslated
from storage.notes import NoteTranslation
from udx_bot import metrics
from udx_bot.clock import Clock
from udx_bot.config import LANGUAGES
from udx_bot.translation import Backend, TranslationError, glossary, other_language, text_hash

log = logging.getLogger(__name__)

BATCH = 20  # notes per run


@dataclass
class TranslationState:
    """Whether the service failed on the last run (so the log says it once)."""

    down: bool = False


async def translate_pending(
    store: Store,
    backend: Backend,
    clock: Clock,
    state: TranslationState,
    *,
    default_language: str = "en",
    limit: int = BATCH,
) -> int:
    """Translate up to ``limit`` untranslated notes; returns how many were stored."""
    stored = 0
    for note in await store.note_translations.pending(limit=limit):
        try:
            translation = await _translate(backend, note, clock, default_language)
        except TranslationError as error:
            metrics.TRANSLATIONS.labels("failed").inc()
            if not state.down:
                state.down = True
                log.warning("translation service unavailable, will retry: %s", error)
            return stored
        if state.down:
            state.down = False
            log.info("translation service available again")
        if await store.note_translations.keep(note.id, note.text, translation):
            stored += 1
            metrics.TRANSLATIONS.labels("stored").inc()
    return stored


async def _translate(
    backend: Backend, note: Untranslated, clock: Clock, default_language: str
) -> NoteTranslation:
    hint = note.author_language if note.author_language in LANGUAGES else default_language
    detected = await backend.detect(note.text)
    source = detected if detected in LANGUAGES else hint
    assert source is not None
    target = other_language(source)
    protected = glossary.protect(note.text, source)
    (translated,) = await backend.translate([protected], source, target)
    return NoteTranslation(
        text_hash=text_hash(note.text, backend.name),
        backend=backend.name,
        source_language=source,
        target_language=target,
        text=glossary.restore(translated, target),
        created_at=clock(),
    )
