"""Reading notes: /notes (browse, narrowed by SDG, #City and department) and /search, one page
at a time, and how a note looks in a listing (:func:`note_entry`).

Page buttons carry the page and the filter in their data (:class:`NotePage` for /notes,
:class:`NoteSearchPage` for /search; see handlers/notes/buttons.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from handlers.notes.buttons import NotePage, NoteSearchPage
from storage.notes import Note, NoteFilter, search_terms
from udx_bot import reference
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Button, Reply, Section

router = Router()

PAGE_SIZE = 10
PREVIEW_LENGTH = 700  # longer notes are cut in listings; /note show <n> has the whole text
MAX_PAGE = 10_000
_SDG_TOKEN = re.compile(r"#?sdg[ \-]?(\d{1,3})", re.IGNORECASE)


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


@router.callback(NotePage)
async def turn_page(ctx: Context, data: NotePage) -> Reply:
    return await _list_page(ctx, data.filter, min(data.page, MAX_PAGE), edit=True)


@router.callback(NoteSearchPage)
async def turn_search_page(ctx: Context, data: NoteSearchPage) -> Reply:
    return await _search_page(ctx, data.words.split(), min(data.page, MAX_PAGE), edit=True)


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
    return _page_reply(ctx, found, page, title, lambda n: NotePage.of(n, where).pack(), edit)


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
    return _page_reply(ctx, found, page, title, lambda n: NoteSearchPage(n, query).pack(), edit)


def _fit_terms(terms: list[str]) -> list[str]:
    """As many search words as fit into a page button's data (all pages search the same)."""
    kept: list[str] = []
    for term in terms:
        if not NoteSearchPage(MAX_PAGE, " ".join([*kept, term])).fits():
            break
        kept.append(term)
    return kept


def _page_reply(
    ctx: Context,
    found: list[Note],
    page: int,
    title: str,
    data: Callable[[int], str],  # a page's button data
    edit: bool,
) -> Reply:
    shown = found[:PAGE_SIZE]
    heading = ctx._("{title} — page {page}").format(title=title, page=ctx.t.fmt_number(page + 1))
    sections = [Section(heading)]
    sections.extend(note_entry(ctx, note) for note in shown)
    row = []
    if page > 0:
        row.append(Button(ctx._("« Previous"), data(page - 1)))
    if len(found) > PAGE_SIZE:
        row.append(Button(ctx._("Next »"), data(page + 1)))
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
