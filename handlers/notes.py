"""Exchange notes: /note (write, show, edit, delete), /notes (browse) and /search.

A note keeps its text exactly as typed (adapters escape it when they render); ``#sdg13`` and
``#<City>`` in the text become tags (udx_bot.tags). The number shown in listings is the note's id.
Page buttons carry the page and the filter in their data: ``notes:p:<page>:<sdg>.<city>.<dep>``
for /notes and ``notes:s:<page>:<words>`` for /search.
"""

from __future__ import annotations

import re
import unicodedata

from storage.notes import Note, NoteFilter, search_terms
from udx_bot import reference
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.tags import Tags, parse_tags, untagged
from udx_bot.types import CALLBACK_DATA_MAX_BYTES, Button, Prompt, Reply, Section

router = Router()

MAX_NOTE_LENGTH = 3000  # one Slack section, one Telegram message
PAGE_SIZE = 10
PREVIEW_LENGTH = 700  # longer notes are cut in listings; /note show <n> has the whole text
MAX_PAGE = 10_000

# The first word of "/note <word> <n>" names a subcommand: these words never start a note's text
# (a note that begins with one is written after a bare /note, as the next message).
_SUBCOMMANDS = {
    **dict.fromkeys(("edit", "bearbeiten", "ändern", "aendern"), "edit"),
    **dict.fromkeys(("delete", "löschen", "loeschen"), "delete"),
    **dict.fromkeys(("show", "zeigen", "anzeigen"), "show"),
}
MAX_NOTE_NUMBER = 2**31 - 1  # the largest id both databases store; beyond it no note exists
_SDG_TOKEN = re.compile(r"#?sdg[ \-]?(\d{1,3})", re.IGNORECASE)
_SEARCH_PREFIX = "notes:s:{page}:"


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
    if not (number.isascii() and number.isdigit()):
        raise UserError(
            ctx._("“{typed}” is not a note number. Send {usage}, for example {example}.").format(
                typed=typed, usage=usage, example=example
            )
            + "\n"
            + _not_saved(ctx, word)
        )
    note_id = int(number)
    if note_id > MAX_NOTE_NUMBER:
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
    return " · ".join([*(f"SDG {n}" for n in tags.sdgs), *tags.cities])


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
                Button(ctx._("Delete"), f"notes:del:{note.id}", style="danger"),
                Button(ctx._("Cancel"), f"notes:keep:{note.id}"),
            ]
        ],
    )


def _check_may_delete(ctx: Context, note: Note) -> None:
    if note.author_id != ctx.participant.id and not ctx.participant.has_role("coordinator"):
        raise UserError(
            ctx._("Note #{n} is not yours: you can only delete your own notes.").format(n=note.id)
        )


# /notes -----------------------------------------------------------------------------------------
@router.command(
    "notes",
    help=N_("Browse the notes of the network, newest first"),
    usage=N_("/notes [sdgN] [#City] [department]"),
    aliases=("notizen",),
)
async def notes_command(ctx: Context) -> Reply:
    where = await _parse_filter(ctx, ctx.args)
    return await _list_page(ctx, where, 0)


@router.command(
    "search",
    help=N_("Find notes by their words"),
    usage=N_("/search <words>"),
    aliases=("suche", "suchen"),
)
async def search_command(ctx: Context) -> Reply:
    terms = _fit_terms(search_terms(ctx.args))
    if not terms:
        raise UserError(ctx._("What should I look for? For example: /search heat action plan"))
    return await _search_page(ctx, terms, 0)


@router.callback("notes")
async def notes_callback(ctx: Context) -> Reply:
    action, _, rest = ctx.args.partition(":")
    if action in ("p", "s"):
        page_text, _, token = rest.partition(":")
        page = min(int(page_text), MAX_PAGE) if page_text.isdigit() else 0
        if action == "p":
            return await _list_page(ctx, _decode_filter(token), page, edit=True)
        return await _search_page(ctx, token.split(), page, edit=True)
    if action in ("del", "keep") and rest.isdigit():
        note_id = int(rest)
        if await ctx.store.notes.get(note_id) is None:  # deleted by an earlier press
            return Reply.notify(_no_such_note(ctx, note_id))
        if action == "keep":
            return Reply.text(ctx._("OK, note #{n} stays.").format(n=note_id), edit=True)
        note = await _note(ctx, note_id)
        _check_may_delete(ctx, note)
        await ctx.store.notes.delete(note_id)
        return Reply.text(ctx._("Note #{n} deleted.").format(n=note_id), edit=True)
    return Reply.notify(ctx._("That button is no longer active. Send /notes to start again."))


async def _parse_filter(ctx: Context, args: str) -> NoteFilter | None:
    """None: no filter (the reader's own ordering)."""
    text = _SDG_TOKEN.sub(lambda m: f"sdg{m.group(1)}", args)  # "SDG 13" -> "sdg13"
    sdg: int | None = None
    city_id: int | None = None
    words: list[str] = []
    known = await ctx.store.cities.all()
    names = [c.name for c in known]
    for token in text.split():
        m = _SDG_TOKEN.fullmatch(token)
        if m:
            number = int(m.group(1))
            if number not in reference.SDG_RANGE:
                raise UserError(
                    ctx._("There is no SDG {n}: the goals are numbered 1 to 17.").format(n=number)
                )
            if sdg is not None and sdg != number:
                raise UserError(ctx._("Please filter by one SDG at a time."))
            sdg = number
        elif token.startswith("#") and len(token) > 1:
            city = reference.match_name(token[1:], names)
            if city is None:
                raise UserError(_unknown_city(ctx, token, names))
            city_id = next(c.id for c in known if c.name == city)
        else:
            words.append(token)
    department: str | None = None
    if words:
        typed = " ".join(words)
        match = reference.match_department(typed)
        if match.department is not None:
            department = match.department.key
        else:
            city = reference.match_name(typed, names)
            if city is None or city_id is not None:
                raise UserError(_unknown_department(ctx, typed, match.closest))
            city_id = next(c.id for c in known if c.name == city)
    if sdg is None and city_id is None and department is None:
        return None
    return NoteFilter(sdg=sdg, city_id=city_id, department=department)


def _unknown_city(ctx: Context, tag: str, names: list[str]) -> str:
    message = ctx._("{tag} is not a city in the network.").format(tag=tag)
    close = reference.closest_names(tag[1:], names)
    if close:
        message += " " + ctx._("Did you mean {names}?").format(
            names=ctx.t.fmt_list(close, style="or")
        )
    return message


def _unknown_department(ctx: Context, typed: str, closest: tuple[reference.Department, ...]) -> str:
    message = ctx._('I don\'t know a department "{typed}".').format(typed=typed)
    if closest:
        message += " " + ctx._("Did you mean {names}?").format(
            names=ctx.t.fmt_list([d.name(ctx.t.language) for d in closest], style="or")
        )
    message += "\n" + ctx._("Filter with: /notes [sdgN] [#City] [department]")
    return message


def _encode_filter(where: NoteFilter | None) -> str:
    if where is None:
        return ""
    return f"{where.sdg or ''}.{where.city_id or ''}.{where.department or ''}"


def _decode_filter(token: str) -> NoteFilter | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    sdg, city, department = parts
    return NoteFilter(
        sdg=int(sdg) if sdg.isdigit() else None,
        city_id=int(city) if city.isdigit() else None,
        department=department or None,
    )


async def _list_page(
    ctx: Context, where: NoteFilter | None, page: int, *, edit: bool = False
) -> Reply:
    offset = page * PAGE_SIZE
    if where is None:
        participant = ctx.participant
        partners = (
            await ctx.store.cities.partner_ids(participant.city_id)
            if participant.city_id is not None
            else set()
        )
        found = await ctx.store.notes.for_reader(
            city_ids=partners, sdgs=participant.sdgs, offset=offset, limit=PAGE_SIZE + 1
        )
    else:
        found = await ctx.store.notes.latest(where, offset=offset, limit=PAGE_SIZE + 1)
    title = await _filter_title(ctx, where)
    if not found:
        if page:
            empty = ctx._("No more notes.")
        elif where is None:
            empty = ctx._("No notes yet. Write the first one: /note <text>")
        else:
            empty = ctx._("No notes match {filter}. Try fewer filters, or /notes for all.").format(
                filter=title
            )
        return Reply.text(empty, edit=edit)
    data = f"notes:p:{{page}}:{_encode_filter(where)}"
    return _page_reply(ctx, found, page, title, data, edit)


async def _search_page(ctx: Context, terms: list[str], page: int, *, edit: bool = False) -> Reply:
    query = " ".join(terms)
    found = await ctx.store.notes.search(query, offset=page * PAGE_SIZE, limit=PAGE_SIZE + 1)
    title = ctx._("Search: {words}").format(words=query)
    if not found:
        if page:
            return Reply.text(ctx._("No more matches."), edit=edit)
        return Reply.text(
            ctx._('No notes contain "{words}". Try fewer or shorter words.').format(words=query),
            edit=edit,
        )
    data = _SEARCH_PREFIX + query
    return _page_reply(ctx, found, page, title, data, edit)


def _fit_terms(terms: list[str]) -> list[str]:
    """As many search words as fit into a page button's data (all pages search the same)."""
    room = CALLBACK_DATA_MAX_BYTES - len(_SEARCH_PREFIX.format(page=MAX_PAGE).encode())
    kept: list[str] = []
    for term in terms:
        if len(" ".join([*kept, term]).encode()) > room:
            break
        kept.append(term)
    return kept


def _page_reply(
    ctx: Context, found: list[Note], page: int, title: str, data: str, edit: bool
) -> Reply:
    shown = found[:PAGE_SIZE]
    heading = ctx._("{title} — page {page}").format(title=title, page=ctx.t.fmt_number(page + 1))
    sections = [Section(heading)]
    sections.extend(note_entry(ctx, note) for note in shown)
    row = []
    if page > 0:
        row.append(Button(ctx._("« Previous"), data.replace("{page}", str(page - 1))))
    if len(found) > PAGE_SIZE:
        row.append(Button(ctx._("Next »"), data.replace("{page}", str(page + 1))))
    return Reply(sections=sections, buttons=[row] if row else [], edit=edit)


async def _filter_title(ctx: Context, where: NoteFilter | None) -> str:
    if where is None:
        return ctx._("Notes, yours first")
    parts = []
    if where.sdg is not None:
        parts.append(ctx.t.sdg_label(where.sdg))
    if where.city_id is not None:
        city = await ctx.store.cities.get(where.city_id)
        parts.append(city.name if city else "?")
    if where.department is not None:
        parts.append(ctx.t.department(where.department))
    return ctx._("Notes on {filter}").format(filter=" · ".join(parts))


def note_entry(ctx: Context, note: Note, *, full: bool = False) -> Section:
    """ "#12 · Author · City · Department · 25 Nov 2026", SDGs, then the text as typed."""
    date = ctx.t.fmt_date(note.created_at)
    if note.updated_at is not None:
        date = ctx._("{date} (edited)").format(date=date)
    head = [f"#{note.id}", note.author_name]
    if note.city_name:
        head.append(note.city_name)
    if note.department:
        head.append(ctx.t.department(note.department))
    head.append(date)
    lines = []
    if note.sdgs:
        lines.append(" · ".join(ctx.t.sdg_label(n) for n in note.sdgs))
    body = note.text
    if not full and len(body) > PREVIEW_LENGTH:
        body = (
            body[:PREVIEW_LENGTH].rstrip()
            + " …\n"
            + ctx._("(shortened; the whole note: /note show {n})").format(n=note.id)
        )
    lines.append(body)
    return Section("\n".join(lines), heading=" · ".join(head))
