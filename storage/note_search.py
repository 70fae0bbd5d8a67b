"""Full-text search over exchange notes: the folded text the index sees, the words a query may
contain, and the one statement per database that finds matching note ids.

User input only ever reaches the database as bound parameters made of letters and digits
(:func:`search_terms`), so no FTS5 or tsquery syntax survives from what people type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.text import fold, slug

_WORD_RE = re.compile(r"[^\W_]+")
MAX_SEARCH_TERMS = 12
MIN_TERM_LENGTH = 2  # a single letter finds nearly every note
PREFIX_MIN_LENGTH = 3  # search words this long also find longer words ("Hitze" -> "Hitzeplan")


def search_text(note_text: str) -> str:
    """The text as the search index sees it: case and diacritics folded ("Pläne" -> "plane"),
    plus the spelled-out umlaut form of each word that has one ("plaene")."""
    folded = fold(note_text)
    extra = []
    seen: set[str] = set()
    for word in _WORD_RE.findall(note_text):
        spelled = slug(word)
        if spelled and spelled != fold(word) and spelled not in seen:
            seen.add(spelled)
            extra.append(spelled)
    return f"{folded}\n{' '.join(extra)}" if extra else folded


def search_terms(query: str) -> list[str]:
    """The words of a search in lower case, as typed otherwise ("Tübingen" -> "tübingen");
    letters and digits only, so no query syntax survives. Words shorter than MIN_TERM_LENGTH
    are left out."""
    terms: list[str] = []
    for word in _WORD_RE.findall(unicodedata.normalize("NFC", query.casefold())):
        if len(word) >= MIN_TERM_LENGTH and word not in terms:
            terms.append(word)
    return terms[:MAX_SEARCH_TERMS]


def _spellings(term: str) -> list[str]:
    """What one search word may look like in the index: folded ("tubingen") and, for a word
    with an umlaut, spelled out ("tuebingen"), as notes may write either ("#Tuebingen")."""
    return list(dict.fromkeys(x for x in (fold(term), slug(term)) if x))


def _fts5_query(terms: Sequence[str]) -> str:
    def one(t: str) -> str:
        return f'"{t}"*' if len(t) >= PREFIX_MIN_LENGTH else f'"{t}"'

    groups = [" OR ".join(one(s) for s in _spellings(term)) for term in terms]
    return " AND ".join(f"({g})" if " OR " in g else g for g in groups)


def _tsquery(terms: Sequence[str]) -> str:
    def one(t: str) -> str:
        return f"{t}:*" if len(t) >= PREFIX_MIN_LENGTH else t

    groups = [" | ".join(one(s) for s in _spellings(term)) for term in terms]
    return " & ".join(f"({g})" if " | " in g else g for g in groups)


_SEARCH_SQLITE = text(
    "SELECT rowid FROM notes_fts WHERE notes_fts MATCH :query "
    "ORDER BY rank, rowid DESC LIMIT :limit OFFSET :offset"
)
_SEARCH_POSTGRESQL = text(
    "SELECT id FROM notes, to_tsquery('simple', :query) AS q "
    "WHERE to_tsvector('simple', search_text) @@ q "
    "ORDER BY ts_rank(to_tsvector('simple', search_text), q) DESC, created_at DESC, id DESC "
    "LIMIT :limit OFFSET :offset"
)


async def matching_ids(
    conn: AsyncConnection, dialect: str, query: str, *, offset: int, limit: int
) -> list[int]:
    """Ids of the notes whose text has every word of ``query``, best matches first."""
    terms = search_terms(query)
    if not terms:
        return []
    if dialect == "sqlite":
        statement, phrase = _SEARCH_SQLITE, _fts5_query(terms)
    else:
        statement, phrase = _SEARCH_POSTGRESQL, _tsquery(terms)
    rows = await conn.execute(statement, {"query": phrase, "limit": limit, "offset": offset})
    return [int(r[0]) for r in rows]
