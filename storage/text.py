"""Text keys, the ground floor every layer may use: case- and accent-insensitive matching keys
for names people type ("Tübingen", "Tuebingen", "tubingen") and the folding of text for search.

It imports nothing from the project, so storage (city slugs, the notes' search text) and the
layers above it (reference data, tags, imports) share one definition.
"""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"})


def fold(text: str) -> str:
    """Lower case without diacritics: "Tübingen" -> "tubingen"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug_variants(text: str) -> set[str]:
    """Matching keys ignoring case, spaces, punctuation and umlaut spellings.

    "Tübingen" -> {"tuebingen", "tubingen"}; "St. Louis" -> {"stlouis"}.
    """
    lowered = text.casefold()
    variants = {lowered.translate(_UMLAUTS), lowered}
    return {re.sub(r"[^0-9a-z]+", "", fold(v)) for v in variants} - {""}


def slug(text: str) -> str:
    """The canonical matching key (umlauts spelled out): "Tübingen" -> "tuebingen"."""
    return re.sub(r"[^0-9a-z]+", "", fold(text.casefold().translate(_UMLAUTS)))
