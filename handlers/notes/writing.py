"""Writing notes: /note <text> (or /note alone, then the text), /note edit|delete|show <n>.

A note keeps its text exactly as typed (adapters escape it when they render); ``#sdg13`` and
``#<City>`` in the text become tags (udx_bot.tags). Deleting asks first, with the buttons
``notes:del:<n>`` and ``notes:keep:<n>`` (answered by :func:`answer_delete`).
"""

from __future__ import annotations

import unicodedata

from handlers.notes.browsing import note_entry
from handlers.notes.buttons import NoteDelete, NoteKeep
from storage.notes import Note
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.tags import Tags, parse_tags, untagged
from udx_bot.typed import is_row_id, typed_number
from udx_bot.types import Button, Prompt, Reply, Section

router = Router()

MAX_NOTE_LENGTH = 3000  # one Slack section, one Telegram message
# The first word of "/note <word> <n>" names a subcommand: these words never start a note's text
# (a note that begins with one is written after a bare /note, as the next message).
_SUBCOMMANDS = {
    **dict.fromkeys(("edit", "bearbeiten", "ändern", "aendern"), "edit"),
    **dict.fromkeys(("delete", "löschen", "loeschen"), "delete"),
    **dict.fromkeys(("show", "zeigen", "anzeigen"), "show"),
}


# /note ----------------------------------------------------------------------------------------
@router.command(
    "note",
    help=N_("Log what your department learned (#sdg13 and #City become tags)"),
    usage=N_("/note <text> · /note edit <n> <text> · /note delete <n>"),
    aliases=("notiz",),
)
async def note_command(ctx: Context) -> Reply:
    first, *rest = ctx.args.split(maxsplit=1) or [""]
    action = _SUBCOMMANDS.get(first.casefold())
    if action is not None:
        return await _subcommand(ctx, action, first, rest[0] if rest else "")
    if not ctx.args.strip():
        await ctx.wait_for("notes:text")
        return Reply(
            sections=[
                Section(
                    ctx._(
                        "What did your department learn? Send the note as your next message "
                        "(#sdg13 and #City become tags), or /cancel."
                    )
                )
            ],
            prompt=Prompt(
                title=ctx._("New note"),
                label=ctx._("Your note"),
                multiline=True,
                max_length=MAX_NOTE_LENGTH,
                hint=ctx._("What did your department learn? #sdg13 and #City become tags."),
            ),
        )
    return await _save(ctx, ctx.args)


async def _subcommand(ctx: Context, action: str, word: str, rest: str) -> Reply:
    """``/note show|delete <n>`` and ``/note edit <n> [text]``; a missing or bad number, or
    words after the number of show/delete, are refused (never saved as a note)."""
    typed, *after = rest.split(maxsplit=1) or [""]
    more = after[0].strip() if after else ""
    usage, example = _subcommand_usage(ctx, action, word)
    if not typed:
        raise UserError(
            ctx._("Which note? Send {usage}, for example {example}.").format(
                usage=usage, example=example
            )
            + "\n"
            + _not_saved(ctx, word)
        )
    number = typed.removeprefix("#")
    note_id = typed_number(number)
    if note_id is None:
        raise UserError(
            ctx._("“{typed}” is not a note number. Send {usage}, for example {example}.").format(
                typed=typed, usage=usage, example=example
            )
            + "\n"
            + _not_saved(ctx, word)
        )
    if not is_row_id(note_id):  # no note has it
        raise UserError(_no_such_note(ctx, number))
    if action == "edit":
        note = await _own_note(ctx, note_id)
        if more:
            return await _edit(ctx, note, more)
        await ctx.wait_for("notes:edit", {"id": note.id})
        return Reply(
            sections=[Section(ctx._("Send the new text of note #{n}.").format(n=note.id))],
            prompt=Prompt(
                title=ctx._("Edit note #{n}").format(n=note.id),
                label=ctx._("New text"),
                multiline=True,
                max_length=MAX_NOTE_LENGTH,
                hint=ctx._("The new text of note #{n} (#sdg13 and #City become tags).").format(
                    n=note.id
                ),
            ),
        )
    if more:
        raise UserError(
            ctx._("/note {word} takes only the note's number: {usage}.").format(
                word=word, usage=usage
            )
            + "\n"
            + _not_saved(ctx, word)
        )
    if action == "delete":
        return await _ask_delete(ctx, note_id)
    return await _show(ctx, note_id)


def _subcommand_usage(ctx: Context, action: str, word: str) -> tuple[str, str]:
    """How the subcommand is written, and an example."""
    if action == "edit":
        return (
            ctx._("/note {word} <n> <text>").format(word=word),
            ctx._("/note {word} 12 Met the Leeds team again").format(word=word),
        )
    return ctx._("/note {word} <n>").format(word=word), f"/note {word} 12"


def _not_saved(ctx: Context, word: str) -> str:
    return ctx._(
        "Nothing was saved. To write a note that begins with “{word}”, send /note alone, "
        "then the text."
    ).format(word=word)


@router.input("notes:text", registered=True)
async def note_text(ctx: Context) -> Reply:
    _check_text(ctx, ctx.args, waiting=True)
    reply = await _save(ctx, ctx.args)
    await ctx.stop_waiting()
    return reply


@router.input("notes:edit", registered=True)
async def note_edit_text(ctx: Context) -> Reply:
    conversation = await ctx.store.conversations.get(ctx.participant.id)
    note_id = conversation.data.get("id") if conversation else None
    await_more = isinstance(note_id, int)
    if not await_more:
        await ctx.stop_waiting()
        return Reply.text(ctx._("That edit is no longer active. Send /note edit <n> <text>."))
    _check_text(ctx, ctx.args, waiting=True)
    assert isinstance(note_id, int)
    note = await _own_note(ctx, note_id)
    reply = await _edit(ctx, note, ctx.args)
    await ctx.stop_waiting()
    return reply


async def _save(ctx: Context, text: str) -> Reply:
    _check_text(ctx, text)
    tags, city_ids = await _tags(ctx, text)
    note = await ctx.store.notes.add(
        ctx.participant.id,
        text,
        city_id=ctx.participant.city_id,
        department=ctx.participant.department,
        sdgs=tags.sdgs,
        city_ids=city_ids,
        now=ctx.now(),
    )
    if tags.sdgs or tags.cities:
        first = ctx._("Saved as note #{n}, tagged {tags}.").format(
            n=note.id, tags=_tag_summary(ctx, tags)
        )
    else:
        first = ctx._("Saved as note #{n}.").format(n=note.id)
    return Reply.text("\n".join([first, *_tag_problems(ctx, tags)]))


async def _edit(ctx: Context, note: Note, text: str) -> Reply:
    _check_text(ctx, text)
    tags, city_ids = await _tags(ctx, text)
    updated = await ctx.store.notes.edit(
        note.id, text, sdgs=tags.sdgs, city_ids=city_ids, now=ctx.now()
    )
    if updated is None:
        raise UserError(_no_such_note(ctx, note.id))
    if tags.sdgs or tags.cities:
        first = ctx._("Note #{n} updated, tagged {tags}.").format(
            n=note.id, tags=_tag_summary(ctx, tags)
        )
    else:
        first = ctx._("Note #{n} updated.").format(n=note.id)
    return Reply.text("\n".join([first, *_tag_problems(ctx, tags)]))


def _check_text(ctx: Context, text: str, *, waiting: bool = False) -> None:
    if not text.strip():
        raise UserError(ctx._("A note needs some text. Nothing was saved."))
    if not any(unicodedata.category(c)[0] not in "PZC" for c in untagged(text)):
        message = ctx._("A note needs some text besides its tags. Nothing was saved.")
        if waiting:
            message += "\n" + ctx._("Send the note with some words, or /cancel.")
        raise UserError(message)
    if len(text) > MAX_NOTE_LENGTH:
        message = ctx._(
            "That note has {length} characters; the limit is {limit}. Nothing was saved."
        ).format(length=ctx.t.fmt_number(len(text)), limit=ctx.t.fmt_number(MAX_NOTE_LENGTH))
        if waiting:
            message += "\n" + ctx._("Send a shorter text, or /cancel.")
        raise UserError(message)


async def _tags(ctx: Context, text: str) -> tuple[Tags, list[int]]:
    known = await ctx.store.cities.all()
    tags = parse_tags(text, [c.name for c in known])
    by_name = {c.name: c.id for c in known}
    return tags, [by_name[name] for name in tags.cities]


def _tag_summary(ctx: Context, tags: Tags) -> str:
    return " · ".join([*(f"SDG {n}" for n in tags.sdgs), *(ctx.t.city(c) for c in tags.cities)])


def _tag_problems(ctx: Context, tags: Tags) -> list[str]:
    lines = []
    for tag in tags.unknown:
        lines.append(
            ctx._("{tag} is not a city in the network; it stays in the text as it is.").format(
                tag=tag
            )
        )
    for number in tags.invalid_sdgs:
        lines.append(
            ctx._("There is no SDG {n}: the goals are numbered 1 to 17 (not tagged).").format(
                n=number
            )
        )
    return lines


# showing, deleting ----------------------------------------------------------------------------
async def _note(ctx: Context, note_id: int) -> Note:
    note = await ctx.store.notes.get(note_id)
    if note is None:
        raise UserError(_no_such_note(ctx, note_id))
    return note


def _no_such_note(ctx: Context, note_id: int | str) -> str:
    return ctx._("There is no note #{n}.").format(n=note_id)


async def _own_note(ctx: Context, note_id: int) -> Note:
    note = await _note(ctx, note_id)
    if note.author_id != ctx.participant.id:
        raise UserError(
            ctx._("Note #{n} is not yours: you can only edit your own notes.").format(n=note_id)
        )
    return note


async def _show(ctx: Context, note_id: int) -> Reply:
    note = await _note(ctx, note_id)
    return Reply(sections=[note_entry(ctx, note, full=True)])


async def _ask_delete(ctx: Context, note_id: int) -> Reply:
    note = await _note(ctx, note_id)
    _check_may_delete(ctx, note)
    question = ctx._("Delete note #{n}? This cannot be undone.").format(n=note.id)
    return Reply(
        sections=[Section(question), note_entry(ctx, note)],
        buttons=[
            [
                Button(ctx._("Delete"), NoteDelete(note.id).pack(), style="danger"),
                Button(ctx._("Cancel"), NoteKeep(note.id).pack()),
            ]
        ],
    )


def _check_may_delete(ctx: Context, note: Note) -> None:
    if note.author_id != ctx.participant.id and not ctx.participant.has_role("coordinator"):
        raise UserError(
            ctx._("Note #{n} is not yours: you can only delete your own notes.").format(n=note.id)
        )


@router.callback(NoteDelete)
async def delete_pressed(ctx: Context, data: NoteDelete) -> Reply:
    return await _answer_delete(ctx, data.note_id, delete=True)


@router.callback(NoteKeep)
async def keep_pressed(ctx: Context, data: NoteKeep) -> Reply:
    return await _answer_delete(ctx, data.note_id, delete=False)


async def _answer_delete(ctx: Context, note_id: int, *, delete: bool) -> Reply:
    """The answer to "Delete note #n?": Delete deletes it (if the presser still may), Cancel
    leaves it; a press after the note is gone (an earlier press deleted it) only says so."""
    if await ctx.store.notes.get(note_id) is None:
        return Reply.notify(_no_such_note(ctx, note_id))
    if not delete:
        return Reply.text(ctx._("OK, note #{n} stays.").format(n=note_id), edit=True)
    note = await _note(ctx, note_id)
    _check_may_delete(ctx, note)
    await ctx.store.notes.delete(note_id)
    return Reply.text(ctx._("Note #{n} deleted.").format(n=note_id), edit=True)
