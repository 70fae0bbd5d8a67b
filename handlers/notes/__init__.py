"""Exchange notes: /note (write, show, edit, delete), /notes (browse) and /search.

A note keeps its text exactly as typed (adapters escape it when they render); ``#sdg13`` and
``#<City>`` in the text become tags (udx_bot.tags). The number shown in listings is the note's id.
Writing is :mod:`handlers.notes.writing`, reading and searching :mod:`handlers.notes.browsing`
(notes in the other language machine-translated: :mod:`handlers.notes.translated`);
both share the "notes" message catalog (one domain per feature package, see udx_bot.catalogs).
Their buttons share the ``notes`` callback prefix (handlers/notes/buttons.py).
"""

from __future__ import annotations

from handlers.notes import browsing, translated, writing
from udx_bot.router import Router

router = Router()
router.include(writing.router)
router.include(browsing.router)
router.include(translated.router)
