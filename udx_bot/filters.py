"""One filter grammar for every command that narrows by SDG, city and department (/find, /notes;
made for /announce's audience and for reports and exports too), with one set of localized errors.

The words, in any order:

    13  sdg13  SDG 13  sdg-13  #sdg13     an SDG (a bare number is an SDG too, see Grammar)
    #Leeds  #StLouis  #tuebingen          a city of the network (spelling as tags: udx_bot.tags)
    Umweltamt  public works  parks        a department, in German or English (the other words,
                                          read as one name; a city's name works here too)
    dept:parks  abt:Umweltamt             a department, spelled out (one word, ``-`` for spaces)
    lang:de  sprache:en                   a language (only where the command allows it)
    all  alle                             everyone (only where the command allows it)

A command says what it allows with a :class:`Grammar` (several SDGs? languages? free text after
the filter?) and gets a :class:`Filter`::

    FIND = Grammar(usage=N_("/find [department] [13|sdg13 …] [#City]"), several_sdgs=True)
    found = parse(ctx.args, ctx.t, await ctx.store.cities.all(), FIND)   # UserError if bad
    found.filter.sdgs, found.filter.city_id, found.filter.department

Bad input raises :class:`~udx_bot.context.UserError` in the reader's language: an SDG outside
1–17, an unknown city (with "did you mean"), an unknown department (with the closest names and
the command's usage), more than one SDG, city or department where the command takes one, a
language other than de or en.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from storage.cities import City
from udx_bot import reference
from udx_bot.context import UserError
from udx_bot.i18n import LANGUAGES, N_, Translator
from udx_bot.typed import shorten


@dataclass(frozen=True)
class Grammar:
    """What one command's filter allows."""

    usage: str  # N_-marked, shown under an unknown department ("Filter with: …")
    several_sdgs: bool = False
    several_cities: bool = False
    several_departments: bool = False
    languages: bool = False  # lang:de, sprache:en
    everyone: bool = False  # all, alle
    # A bare number ("13") is an SDG. A command whose other words are numbers (/invite's uses
    # and days) says no.
    bare_numbers: bool = True
    # Read filter words from the start and stop at the first word that is none (the text
    # follows, as in /announce); departments are then one-word names or dept:… words, and
    # ``all`` (where allowed) is the last filter word, so "all 3 new events" keeps its number.
    leading: bool = False


@dataclass(frozen=True)
class Filter:
    sdgs: tuple[int, ...] = ()  # in the order given
    city_ids: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()  # department keys
    languages: tuple[str, ...] = ()
    everyone: bool = False

    @property
    def sdg(self) -> int | None:
        return self.sdgs[0] if self.sdgs else None

    @property
    def city_id(self) -> int | None:
        return self.city_ids[0] if self.city_ids else None

    @property
    def department(self) -> str | None:
        return self.departments[0] if self.departments else None

    @property
    def empty(self) -> bool:
        return not (self.sdgs or self.city_ids or self.departments or self.languages)


@dataclass(frozen=True)
class Parsed:
    filter: Filter
    rest: str = ""  # leading: the text after the filter words, as typed


# "SDG 13" and "sdg-13" are one word; then anything up to white space.
_WORD_RE = re.compile(r"#?sdg[\s\-]*\d+(?!\S)|\S+", re.IGNORECASE)
_SDG_RE = re.compile(r"#?sdg[\s\-]*(\d+)", re.IGNORECASE)
_NUMBER_RE = re.compile(r"#?(\d+)")
_LANGUAGE_MARKS = ("lang:", "sprache:")
_DEPARTMENT_MARKS = ("dept:", "abt:")
_EVERYONE = ("all", "alle")
T = TypeVar("T")
MAX_FILTER_LENGTH = 300  # characters; "Department of City Planning sdg11 #KingstonUponThames" is 55


def parse(text: str, t: Translator, cities: Sequence[City], grammar: Grammar) -> Parsed:
    """The filter in ``text``; UserError (in ``t``'s language) for bad input.

    A filter is a few words: one longer than :data:`MAX_FILTER_LENGTH` is refused before any of
    it is read (a command with text after its filter, ``leading``, is not limited here: the
    words are read one by one and the text is the command's to check).
    """
    if not grammar.leading and len(text.strip()) > MAX_FILTER_LENGTH:
        usage = t._(grammar.usage)
        raise UserError(
            t._(FILTER_TOO_LONG).format(limit=t.fmt_number(MAX_FILTER_LENGTH))
            + "\n"
            + t._(FILTER_WITH).format(usage=usage)
        )
    reader = _Reader(t, cities, grammar)
    phrase: list[str] = []
    for match in _WORD_RE.finditer(text):
        word = match.group()
        if reader.take(word):
            if grammar.leading and reader.everyone:
                return Parsed(reader.result(), text[match.end() :].strip())
            continue
        if not grammar.leading:
            phrase.append(word)
            continue
        department = one_word_departments().get(reference.slug(word))
        if department is None:
            return Parsed(reader.result(), text[match.start() :].strip())
        reader.add_department(department)
    if phrase:
        reader.department_phrase(" ".join(phrase))
    return Parsed(reader.result())


class _Reader:
    """Collects one filter word after another, checking each against the grammar."""

    def __init__(self, t: Translator, cities: Sequence[City], grammar: Grammar) -> None:
        self.t, self.cities, self.grammar = t, cities, grammar
        self.sdgs: list[int] = []
        self.city_ids: list[int] = []
        self.departments: list[str] = []
        self.languages: list[str] = []
        self.everyone = False

    def take(self, word: str) -> bool:
        """Whether ``word`` is a filter word of its own (and, if so, add it)."""
        grammar, low = self.grammar, word.casefold()
        number = _SDG_RE.fullmatch(word) or (grammar.bare_numbers and _NUMBER_RE.fullmatch(word))
        if number:
            self.add_sdg(int(number.group(1)), bare=not _SDG_RE.fullmatch(word))
        elif word.startswith("#") and len(word) > 1:
            self.add_city(word)
        elif grammar.languages and low.startswith(_LANGUAGE_MARKS):
            self.add_language(word)
        elif low.startswith(_DEPARTMENT_MARKS):
            typed = word.partition(":")[2].replace("-", " ").replace("_", " ")
            self.add_department(self.department(typed))
        elif grammar.everyone and low in _EVERYONE:
            self.everyone = True
        else:
            return False
        return True

    def add_sdg(self, number: int, bare: bool = False) -> None:
        if number not in reference.SDG_RANGE:
            message = self.t._(SDG_OUT_OF_RANGE).format(n=number)
            if bare and self.grammar.leading and self.grammar.everyone:
                message += "\n" + self.t._(NUMBER_FIRST)
            raise UserError(message)
        _add(self.sdgs, number, self.grammar.several_sdgs, self.t._(ONE_SDG))

    def add_city(self, tag: str) -> None:
        by_name = {c.name: c for c in self.cities}
        name = reference.match_name(tag[1:], list(by_name))
        if name is None:
            raise UserError(unknown_city(self.t, tag, list(by_name)))
        _add(self.city_ids, by_name[name].id, self.grammar.several_cities, self.t._(ONE_CITY))

    def add_language(self, word: str) -> None:
        code = word.partition(":")[2].casefold()
        if code not in LANGUAGES:
            raise UserError(self.t._(BAD_LANGUAGE).format(word=word))
        _add(self.languages, code, True, "")

    def add_department(self, key: str) -> None:
        several = self.grammar.several_departments
        _add(self.departments, key, several, self.t._(ONE_DEPARTMENT))

    def department(self, typed: str) -> str:
        match = reference.match_department(typed)
        if match.department is None:
            raise UserError(self.unknown_department(typed, match.closest))
        return match.department.key

    def department_phrase(self, typed: str) -> None:
        """The words left over: a department's name, else (with no #City) a city's name."""
        match = reference.match_department(typed)
        if match.department is not None:
            self.add_department(match.department.key)
            return
        name = reference.match_name(typed, [c.name for c in self.cities])
        if name is None or self.city_ids:
            raise UserError(self.unknown_department(typed, match.closest))
        self.city_ids.append(next(c.id for c in self.cities if c.name == name))

    def unknown_department(self, typed: str, closest: Sequence[reference.Department]) -> str:
        t = self.t
        message = t._(UNKNOWN_DEPARTMENT).format(typed=shorten(typed))
        if closest:
            names = t.fmt_list([t.department(d.key) for d in closest], style="or")
            message += " " + t._(DID_YOU_MEAN).format(names=names)
        return message + "\n" + t._(FILTER_WITH).format(usage=t._(self.grammar.usage))

    def result(self) -> Filter:
        return Filter(
            tuple(self.sdgs),
            tuple(self.city_ids),
            tuple(self.departments),
            tuple(self.languages),
            self.everyone,
        )


def unknown_city(t: Translator, tag: str, names: Sequence[str]) -> str:
    """ "#Sheboygn is not a city in the network. Did you mean #Sheboygan?" """
    message = t._(UNKNOWN_CITY).format(tag=shorten(tag))
    close = reference.closest_names(tag.lstrip("#"), names)
    if close:
        tags = ["#" + reference.city_tag(t.city(name)) for name in close]
        message += " " + t._(DID_YOU_MEAN).format(names=t.fmt_list(tags, style="or"))
    return message


def _add(values: list[T], value: T, several: bool, one: str) -> None:
    """Add ``value`` once; a second, different one is the error ``one`` unless ``several``."""
    if value in values:
        return
    if values and not several:
        raise UserError(one)
    values.append(value)


@cache
def one_word_departments() -> dict[str, str]:
    """One-word department names and aliases that name one department (slug -> key)."""
    index: dict[str, set[str]] = {}
    for dep in reference.departments().values():
        for name in dep.all_names():
            if " " in name.strip() or "-" in name:
                continue
            index.setdefault(reference.slug(name), set()).add(dep.key)
    return {k: next(iter(v)) for k, v in index.items() if len(v) == 1 and k}


SDG_OUT_OF_RANGE = N_("There is no SDG {n}: the goals are numbered 1 to 17.")
NUMBER_FIRST = N_(
    "To start the text with a number, put the audience first, e.g. all 2026 budget news."
)
ONE_SDG = N_("Please filter by one SDG at a time.")
ONE_CITY = N_("Please filter by one city at a time.")
ONE_DEPARTMENT = N_("Please filter by one department at a time.")
UNKNOWN_CITY = N_("{tag} is not a city in the network.")
UNKNOWN_DEPARTMENT = N_('I don\'t know a department "{typed}".')
DID_YOU_MEAN = N_("Did you mean {names}?")
FILTER_WITH = N_("Filter with: {usage}")
FILTER_TOO_LONG = N_("That filter is too long: at most {limit} characters.")
BAD_LANGUAGE = N_("{word}: the language must be lang:de or lang:en.")
