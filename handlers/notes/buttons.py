"""The buttons of the notes feature (typed callback data, see udx_bot/callback_data.py)::

notes:page:<page>[:<sdg>:<city id>:<department>]   /notes pages (was notes:p:<page>:<s>.<c>.<d>)
notes:search:<page>:<words>                         /search pages (was notes:s:…)
notes:delete:<note id> / notes:keep:<note id>       "Delete note #n?" (was notes:del:…)
notes:original:<note id>                            "Show original" of a translated note
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from storage.notes import NoteFilter
from udx_bot.callback_data import CallbackData
from udx_bot.i18n import N_


class NotesButton(
    CallbackData,
    prefix="notes",
    stale=N_("That button is no longer active. Send /notes to start again."),
):
    """The notes feature's buttons share the prefix and the notice for a stale press."""


@dataclass(frozen=True)
class NotePage(NotesButton, action="page", old=("p",)):
    page: int
    sdg: int | None = None
    city_id: int | None = None
    department: str | None = None

    @classmethod
    def of(cls, page: int, where: NoteFilter | None) -> NotePage:
        if where is None:
            return cls(page)
        return cls(page, where.sdg, where.city_id, where.department)

    @property
    def filter(self) -> NoteFilter | None:
        """None: no filter (the reader's own ordering)."""
        if self.sdg is None and self.city_id is None and self.department is None:
            return None
        return NoteFilter(sdg=self.sdg, city_id=self.city_id, department=self.department)

    @classmethod
    def unpack_legacy(cls, rest: str) -> Self:
        """``p:<page>:<sdg>.<city id>.<department>``, any of the three empty."""
        action, _, rest = rest.partition(":")
        page, _, token = rest.partition(":")
        parts = token.split(".")
        if action != "p" or not page.isdigit() or len(parts) != 3:
            raise ValueError(rest)
        sdg, city, department = parts
        return cls(
            int(page),
            int(sdg) if sdg.isdigit() else None,
            int(city) if city.isdigit() else None,
            department or None,
        )


@dataclass(frozen=True)
class NoteSearchPage(NotesButton, action="search", old=("s",)):
    page: int
    words: str


@dataclass(frozen=True)
class NoteDelete(NotesButton, action="delete", old=("del",)):
    note_id: int


@dataclass(frozen=True)
class NoteKeep(NotesButton, action="keep"):
    note_id: int


@dataclass(frozen=True)
class NoteOriginal(NotesButton, action="original"):
    """ "Show original" under a note shown machine-translated (handlers/notes/translated.py)."""

    note_id: int
