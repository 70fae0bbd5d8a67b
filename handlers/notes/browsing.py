"""Reading notes: /notes (browse, narrowed by SDG, #City and department) and /search, one page
at a time, and how a note looks in a listing (:func:`note_entry`).

Page buttons carry the page and the filter in their data (:class:`NotePage` for /notes,
:class:`NoteSearchPage` for /search; see handlers/notes/buttons.py).
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.notes.buttons import NotePage, NoteSearchPage
from handlers.notes.translated import original_buttons, translated, with_translations
from storage.note_search import search_terms
from storage.notes import Note, NoteFilter
from udx_bot import filters
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Button, Reply, Section

router = Router()

PAGE_SIZE = 10
PREVIEW_LENGTH = 700  # longer notes are cut in listings; /note show <n> has the whole text
MAX_PAGE = 10_000
USAGE = N_("/notes [13|sdg13] [#City] [department]")
GRAMMAR = filters.Grammar(usage=USAGE)  # one SDG, one city, one department


# /notes -----------------------------------------------------------------------------------------
@router.command(
    "notes",
    help=N_("Browse the notes of the network, newest first"),
    usage=USAGE,
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
    if not terms and any(c.isalnum() for c in ctx.args):  # single letters only
        raise UserError(
            ctx._("Search for words of at least two letters, for example: /search heat action plan")
        )
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
    found = filters.parse(args, ctx.t, await ctx.store.cities.all(), GRAMMAR).filter
    if found.empty:
        return None
    return NoteFilter(sdg=found.sdg, city_id=found.city_id, department=found.department)


async def _list_page(
    ctx: Context, where: NoteFilter | None, page: int, *, edit: bool = False
) -> Reply:
    offset = page * PAGE_SIZE
    partners: set[int] = set()
    if where is None:
        participant = ctx.participant
        partners = set(participant.partner_city_ids)
        found = await ctx.store.notes.for_reader(
            city_ids=partners, sdgs=participant.sdgs, offset=offset, limit=PAGE_SIZE + 1
        )
    else:
        found = await ctx.store.notes.latest(where, offset=offset, limit=PAGE_SIZE + 1)
    described = await _filter_words(ctx, where)
    if described is not None:
        title = ctx._("Notes on {filter}").format(filter=described)
    elif partners or ctx.participant.sdgs:
        title = ctx._("Notes, your partner cities and SDGs first")
    else:
        title = ctx._("Notes, newest first")
    if not found:
        if page:
            empty = ctx._("No more notes.")
        elif described is None:
            empty = ctx._("No notes yet. Write the first one: /note <text>")
        else:
            empty = ctx._("No notes match {filter}. Try fewer filters, or /notes for all.").format(
                filter=described
            )
        return Reply.text(empty, edit=edit)
    found = await with_translations(ctx, found)
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
    found = await with_translations(ctx, found)
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
    buttons = original_buttons(ctx, shown)
    return Reply(sections=sections, buttons=[*buttons, row] if row else buttons, edit=edit)


async def _filter_words(ctx: Context, where: NoteFilter | None) -> str | None:
    """What a filter asks for, in words ("SDG 13 Climate Action · Leeds"); None: no filter."""
    if where is None:
        return None
    parts = []
    if where.sdg is not None:
        parts.append(ctx.t.sdg_label(where.sdg))
    if where.city_id is not None:
        city = await ctx.store.cities.get(where.city_id)
        parts.append(ctx.t.city(city.name) if city else "?")
    if where.department is not None:
        parts.append(ctx.t.department(where.department))
    return " · ".join(parts)


def note_entry(ctx: Context, note: Note, *, full: bool = False, original: bool = False) -> Section:
    """ "#12 · Author · City · Department · 25 Nov 2026", SDGs, then the text as typed (or, in
    the reader's language, its translation with a marker: handlers/notes/translated.py)."""
    date = ctx.t.fmt_date(note.created_at)
    if note.updated_at is not None:
        date = ctx._("{date} (edited)").format(date=date)
    head = [f"#{note.id}", note.author_name]
    if note.city_name:
        head.append(ctx.t.city(note.city_name))
    if note.department:
        head.append(ctx.t.department(note.department))
    head.append(date)
    lines = []
    if note.sdgs:
        lines.append(" · ".join(ctx.t.sdg_label(n) for n in note.sdgs))
    body = note.text
    shown_translated = None if original else translated(ctx, note)
    if shown_translated is not None:
        body, marker = shown_translated
        lines.append(f"({marker})")
    if not full and len(body) > PREVIEW_LENGTH:
        body = (
            body[:PREVIEW_LENGTH].rstrip()
            + " …\n"
            + ctx._("(shortened; the whole note: /note show {n})").format(n=note.id)
        )
    lines.append(body)
    return Section("\n".join(lines), heading=" · ".join(head))
