"""/find: the reader's best counterparts in the network, best first, ten a page.

Each entry shows the person's number (their participant id: stable across pages and days, so
``/intro <number>`` always means the same person), name, city with country, department and the
goals they share with the reader, with an "Introduce me" button (:class:`IntroRequest`,
answered by handlers/introductions/). Paging buttons carry the filters in their data
(:class:`FindPage`), so paging needs no conversation state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from storage.counterparts import Counterpart, CounterpartPage
from storage.participants import Participant
from udx_bot import filters, reference
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context
from udx_bot.i18n import N_, Translator
from udx_bot.matching import counterpart_query
from udx_bot.router import Router
from udx_bot.types import Button, Reply, Section

router = Router()

NAME_IN_BUTTON = 28  # characters of a name shown on a button
USAGE = N_("/find [department] [13|sdg13 …] [#City]")
GRAMMAR = filters.Grammar(usage=USAGE, several_sdgs=True)


_STALE = N_("That button is no longer active. Send /find to start again.")


@dataclass(frozen=True)
class FindPage(CallbackData, prefix="find", action="page", stale=_STALE):
    """``find:page:<page>[:<department>:<sdg bits>:<city id>]`` (was ``find:<page>:…``)."""

    page: int
    department: str | None = None
    sdgs: tuple[int, ...] = ()
    city_id: int | None = None

    def __post_init__(self) -> None:
        if self.department is not None and reference.department(self.department) is None:
            raise ValueError(self.department)
        if any(n not in reference.SDG_RANGE for n in self.sdgs):
            raise ValueError(self.sdgs)

    @classmethod
    def unpack_legacy(cls, rest: str) -> Self:
        """``<page>:<department or ->:<sdg bits>:<city id or ->``."""
        page, department, mask, city = rest.split(":")
        bits = int(mask, 16)
        return cls(
            int(page),
            None if department == "-" else department,
            tuple(n for n in reference.SDG_RANGE if bits & (1 << n)),
            None if city == "-" else int(city),
        )


@dataclass(frozen=True)
class IntroRequest(CallbackData, prefix="intro", action="request", old=("r",), stale=_STALE):
    """ "Introduce me to …" under a /find entry: ``intro:request:<participant id>``."""

    participant_id: int


def place(t: Translator, person: Participant) -> str:
    """ "Leeds, United Kingdom" / "Leeds, Vereinigtes Königreich"."""
    country = t.country(person.country)
    city = t.city(person.city_name)
    return f"{city}, {country}" if country and city else city or country


def profile_lines(t: Translator, person: Participant) -> str:
    """City with country and department, in the reader's language."""
    return f"{place(t, person)} · {t.department(person.department)}"


def display_name(t: Translator, person: Participant) -> str:
    if person.is_demo and "demo" not in person.name.casefold():
        return t._("{name} (demo profile)").format(name=person.name)
    return person.name


def counterpart_entry(ctx: Context, item: Counterpart) -> Section:
    person = item.participant
    lines = [profile_lines(ctx.t, person)]
    if item.partner_city:
        lines.append(ctx._("In a partner city of yours"))
    if item.shared_sdgs:
        lines.append(
            ctx._("Shared goals: {goals}").format(
                goals=ctx.t.fmt_list(ctx.t.sdg_label(n) for n in item.shared_sdgs)
            )
        )
    if person.paused(ctx.now()) and person.paused_until is not None:
        lines.append(
            ctx._("Paused until {date}: not taking introductions").format(
                date=ctx.t.fmt_date(person.paused_until)
            )
        )
    return Section("\n".join(lines), heading=f"#{person.id} {display_name(ctx.t, person)}")


def _short(name: str) -> str:
    return name if len(name) <= NAME_IN_BUTTON else name[: NAME_IN_BUTTON - 1] + "…"


async def _parse(ctx: Context) -> FindPage:
    """The first page for the filters in ``ctx.args``."""
    # /find alone (the common case) names no city: the cities need not be read
    cities = await ctx.store.cities.all() if ctx.args.strip() else ()
    found = filters.parse(ctx.args, ctx.t, cities, GRAMMAR).filter
    return FindPage(0, found.department, tuple(sorted(found.sdgs)), found.city_id)


async def _listing(ctx: Context, wanted: FindPage, *, edit: bool) -> Reply:
    page = wanted.page
    query = counterpart_query(
        ctx.participant,
        department=wanted.department,
        sdgs=wanted.sdgs,
        city_id=wanted.city_id,
    )
    query = replace(query, paused_at=ctx.now())  # paused people last (/profile pause)
    result: CounterpartPage = await ctx.store.counterparts.rank(query, page=page)
    if not result.items:
        if page > 0:
            return Reply.text(ctx._("There are no more counterparts."), edit=edit)
        return Reply.text(
            ctx._(
                "I found no one for these filters. Try fewer words, or send /find alone "
                "for everyone who matches your profile."
            ),
            edit=edit,
        )
    first = page * 10 + 1
    heading = ctx._("Your counterparts {first}–{last}").format(
        first=ctx.t.fmt_number(first), last=ctx.t.fmt_number(first + len(result.items) - 1)
    )
    hint = ctx._("Partner cities first, then your department and shared goals.")
    sections = [Section(hint, heading=heading)]
    buttons: list[list[Button]] = []
    for item in result.items:
        sections.append(counterpart_entry(ctx, item))
        if not item.participant.is_demo:
            buttons.append(
                [
                    Button(
                        ctx._("Introduce me to {name}").format(name=_short(item.participant.name)),
                        IntroRequest(item.participant.id).pack(),
                    )
                ]
            )
    sections.append(
        Section(
            ctx._("Or send /intro <number>, e.g. /intro {number}.").format(
                number=result.items[0].participant.id
            )
        )
    )
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(ctx._("‹ Previous"), replace(wanted, page=page - 1).pack()))
    if result.has_next:
        nav.append(Button(ctx._("Next ›"), replace(wanted, page=page + 1).pack()))
    if nav:
        buttons.append(nav)
    return Reply(sections=sections, buttons=buttons, edit=edit)


@router.command(
    "find",
    help=N_("Find your counterparts in the partner cities"),
    usage=USAGE,
    aliases=("finden",),
)
async def find(ctx: Context) -> Reply:
    return await _listing(ctx, await _parse(ctx), edit=False)


@router.callback(FindPage)
async def find_page(ctx: Context, data: FindPage) -> Reply:
    return await _listing(ctx, data, edit=True)
