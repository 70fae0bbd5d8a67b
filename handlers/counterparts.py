"""/find: the reader's best counterparts in the network, best first, ten a page.

Each entry shows the person's number (their participant id: stable across pages and days, so
``/intro <number>`` always means the same person), name, city with country, department and the
goals they share with the reader, with an "Introduce me" button (:class:`IntroRequest`,
answered by handlers/introductions.py). Paging buttons carry the filters in their data
(:class:`FindPage`), so paging needs no conversation state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from storage.counterparts import Counterpart, CounterpartPage
from storage.participants import Participant
from udx_bot import reference
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_, Translator
from udx_bot.router import Router
from udx_bot.types import Button, Reply, Section

router = Router()

NAME_IN_BUTTON = 28  # characters of a name shown on a button


_STALE = N_("That button is no longer active. Send /find to start again.")


@dataclass(frozen=True)
class Filters:
    department: str | None = None
    sdgs: tuple[int, ...] = ()
    city_id: int | None = None


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
    def of(cls, page: int, filters: Filters) -> FindPage:
        return cls(page, filters.department, filters.sdgs, filters.city_id)

    @property
    def filters(self) -> Filters:
        return Filters(self.department, self.sdgs, self.city_id)

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


def country_name(t: Translator, code: str | None) -> str:
    if not code:
        return ""
    return str(t.locale.territories.get(code, code))


def place(t: Translator, person: Participant) -> str:
    """ "Leeds, United Kingdom" / "Leeds, Vereinigtes Königreich"."""
    country = country_name(t, person.country)
    return f"{person.city_name}, {country}" if country else person.city_name or ""


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
    return Section("\n".join(lines), heading=f"#{person.id} {display_name(ctx.t, person)}")


def _short(name: str) -> str:
    return name if len(name) <= NAME_IN_BUTTON else name[: NAME_IN_BUTTON - 1] + "…"


async def _parse(ctx: Context) -> Filters:
    words: list[str] = []
    sdgs: list[int] = []
    city_id: int | None = None
    for token in ctx.args.split():
        try:
            sdg = reference.parse_sdg(token)
        except ValueError as error:
            raise UserError(
                ctx._("There is no SDG {number}: the goals are numbered 1 to 17.").format(
                    number=error.args[0]
                )
            ) from None
        if sdg is not None:
            sdgs.append(sdg)
        elif token.startswith("#") and len(token) > 1:
            cities = await ctx.store.cities.all()
            names = [c.name for c in cities]
            found = reference.match_name(token[1:], names)
            if found is None:
                closest = reference.closest_names(token[1:], names)
                message = ctx._("I don't know the city '{city}'.").format(city=token[1:])
                if closest:
                    message += " " + ctx._("Did you mean {names}?").format(
                        names=ctx.t.fmt_list(closest, style="or")
                    )
                raise UserError(message)
            city_id = next(c.id for c in cities if c.name == found)
        else:
            words.append(token)
    department: str | None = None
    if words:
        phrase = " ".join(words)
        match = reference.match_department(phrase)
        if match.department is None:
            message = ctx._("No department matches '{words}'.").format(words=phrase)
            if match.closest:
                message += " " + ctx._("Closest: {names}.").format(
                    names=ctx.t.fmt_list(ctx.t.department(d.key) for d in match.closest)
                )
            raise UserError(message)
        department = match.department.key
    return Filters(department, tuple(sorted(set(sdgs))), city_id)


async def _listing(ctx: Context, filters: Filters, page: int, *, edit: bool) -> Reply:
    query = await ctx.store.counterparts.query_for(
        ctx.participant,
        department=filters.department,
        sdgs=filters.sdgs,
        city_id=filters.city_id,
    )
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
        nav.append(Button(ctx._("‹ Previous"), FindPage.of(page - 1, filters).pack()))
    if result.has_next:
        nav.append(Button(ctx._("Next ›"), FindPage.of(page + 1, filters).pack()))
    if nav:
        buttons.append(nav)
    return Reply(sections=sections, buttons=buttons, edit=edit)


@router.command(
    "find",
    help=N_("Find your counterparts in the partner cities"),
    usage=N_("/find [department] [sdgN …] [#City]"),
    aliases=("finden",),
)
async def find(ctx: Context) -> Reply:
    filters = await _parse(ctx)
    return await _listing(ctx, filters, 0, edit=False)


@router.callback(FindPage)
async def find_page(ctx: Context, data: FindPage) -> Reply:
    return await _listing(ctx, data.filters, data.page, edit=True)
