"""Notes in the reader's language: a note written in the network's other language is shown
machine-translated (udx_bot/translation), marked "automatically translated from German", with a
"Show original" button (:class:`NoteOriginal`).

Shown translated only when translation is configured, the reader did not turn it off
(``/profile translate off``), the reader is not the author (who always sees their own text), the
translation goes into the reader's language and was made from the note's current text.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.notes.buttons import NoteOriginal
from storage.notes import Note
from udx_bot.context import Context
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.translation import text_hash
from udx_bot.types import Button, Reply

router = Router()

_FROM = {
    "de": N_("automatically translated from German"),
    "en": N_("automatically translated from English"),
}


def translated(ctx: Context, note: Note) -> tuple[str, str] | None:
    """(translated text, marker) when this reader sees the note translated; None: the original."""
    tr = note.translation
    if (
        tr is None
        or ctx.services.translation is None
        or not ctx.participant.translate
        or note.author_id == ctx.participant.id
        or tr.target_language != ctx.t.language
        or tr.text_hash != text_hash(note.text, tr.backend)
    ):
        return None
    return tr.text, ctx._(_FROM.get(tr.source_language, _FROM["de"]))


async def with_translations(ctx: Context, found: Sequence[Note]) -> list[Note]:
    """The notes with their translations attached, if translation is on for this reader."""
    if ctx.services.translation is None or not ctx.participant.translate:
        return list(found)
    return await ctx.store.note_translations.attach(found)


def original_buttons(ctx: Context, shown: Sequence[Note]) -> list[list[Button]]:
    """One "Show original #n" button per note shown translated, three a row."""
    buttons = [
        Button(ctx._("Show original #{n}").format(n=n.id), NoteOriginal(n.id).pack())
        for n in shown
        if translated(ctx, n) is not None
    ]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


@router.callback(NoteOriginal)
async def show_original(ctx: Context, data: NoteOriginal) -> Reply:
    from handlers.notes.browsing import note_entry  # browsing renders with this module

    note = await ctx.store.notes.get(data.note_id)
    if note is None:
        return Reply.notify(ctx._("There is no note #{n}.").format(n=data.note_id))
    return Reply(sections=[note_entry(ctx, note, full=True, original=True)])
