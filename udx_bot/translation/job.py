"""The scheduler's ``translations`` job: translate the notes that have no translation yet.

Saving or editing a note never waits for the service: the note is stored as typed, this job
(every few seconds, see udx_bot/scheduler.py) finds it without a translation and makes one.
When the service is down, slow or rate-limited, the notes stay untranslated (readers see the
original) and the next run tries again; the log says so once when it goes down and once when it
is back, never with a note's text. A note the service answers and refuses (too long, say) is
passed over for a while (an hour, doubling up to a day, per note and process), so the notes
behind it are translated meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage import Store
from storage.note_translations import Untranslated
from storage.notes import NoteTranslation
from udx_bot import metrics
from udx_bot.clock import Clock
from udx_bot.config import LANGUAGES
from udx_bot.translation import Backend, TranslationError, glossary, other_language, text_hash

log = logging.getLogger(__name__)

BATCH = 20  # notes per run


RETRY_REFUSED = timedelta(hours=1)  # a refused note's first pause; it doubles each time
RETRY_REFUSED_MAX = timedelta(days=1)


@dataclass
class TranslationState:
    """Whether the service failed on the last run (so the log says it once), and the notes it
    refused: note id -> (when to try again, the pause before that)."""

    down: bool = False
    refused: dict[int, tuple[datetime, timedelta]] = field(default_factory=dict)

    def passed_over(self, now: datetime) -> set[int]:
        """The refused notes not to try yet."""
        return {note for note, (again, _pause) in self.refused.items() if now < again}

    def refuse(self, note_id: int, now: datetime) -> timedelta:
        previous = self.refused.get(note_id)
        pause = min(previous[1] * 2, RETRY_REFUSED_MAX) if previous else RETRY_REFUSED
        self.refused[note_id] = (now + pause, pause)
        return pause


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
    skip = state.passed_over(clock())
    for note in await store.note_translations.pending(limit=limit, skip=skip):
        try:
            translation = await _translate(backend, note, clock, default_language)
        except TranslationError as error:
            metrics.TRANSLATIONS.labels("refused" if error.refused else "failed").inc()
            if error.refused:
                pause = state.refuse(note.id, clock())
                log.warning(
                    "translation service refused note #%d (%s); trying it again in %s",
                    note.id, error, pause,
                )  # fmt: skip
                continue
            if not state.down:
                state.down = True
                log.warning("translation service unavailable, will retry: %s", error)
            return stored
        if state.down:
            state.down = False
            log.info("translation service available again")
        state.refused.pop(note.id, None)
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
