"""Reference data shipped with the bot: the 17 SDGs, the department taxonomy and the names
cities are known by (Nürnberg/Nuremberg, "Glendale, AZ"), plus the forgiving matching people
expect when they type a department or a city.

The data lives in udx_bot/data/*.json (from ../shared/reference); both languages are in the data,
so these names need no gettext catalog. The matching keys themselves (``fold``, ``slug``) live on
the ground floor, in storage/text.py, and are re-exported here.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz import fuzz, process

from storage.text import fold as fold
from storage.text import slug as slug
from storage.text import slug_variants as slug_variants

SDG_RANGE = range(1, 18)
FOCUS_SDGS = (11, 16, 17)  # the Urban Diplomacy Exchange's own focus, shown first
# What the typo-forgiving matching looks at: a department's or city's name is a few short words,
# so longer words and the words after the first few are not part of one. This bounds the CPU a
# message costs (the matching runs on the event loop) whatever its length.
MAX_MATCH_WORD = 40  # characters; the longest name in the data is shorter
MAX_MATCH_WORDS = 20


@dataclass(frozen=True)
class Department:
    key: str
    group: str  # departments in one group are "related" (environment, built, social, ...)
    names: dict[str, str]  # language -> display name
    aliases: tuple[str, ...]
    sdgs: tuple[int, ...] = ()  # the goals its work serves most directly, the closest first

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]

    def all_names(self) -> tuple[str, ...]:
        return (self.key, *self.names.values(), *self.aliases)


@dataclass(frozen=True)
class DepartmentMatch:
    department: Department | None  # the match, or None when nothing is close enough
    closest: tuple[Department, ...]  # suggestions when there is no match


@cache
def _subdivisions() -> dict[str, str]:
    text = resources.files("udx_bot").joinpath("data", "subdivisions.csv").read_text("utf-8")
    return {row["city"]: row["subdivision"] for row in csv.DictReader(io.StringIO(text))}


def subdivision(city_name: str | None) -> str | None:
    """The state (or UK nation) of a network city, as the ``holidays`` package names it
    ("BW", "WI", "WLS"), for its public holidays; None for a city not in
    udx_bot/data/subdivisions.csv (which lists "Durham County" under its new name "County
    Durham" too, for the rename on main)."""
    if not city_name:
        return None
    found = _subdivisions()
    # "Glendale, AZ": a name that carries its state
    return found.get(city_name) or found.get(re.sub(r",\s*[A-Z]{2}\s*$", "", city_name))


def _load(name: str) -> object:
    return json.loads(resources.files("udx_bot").joinpath("data", name).read_text("utf-8"))


@cache
def sdg_titles() -> dict[int, dict[str, str]]:
    raw = _load("sdgs.json")
    assert isinstance(raw, dict)
    return {int(k): v for k, v in raw.items()}


def sdg_title(number: int, language: str) -> str:
    titles = sdg_titles()[number]
    return titles.get(language) or titles["en"]


def sdgs_in_display_order() -> list[int]:
    """All 17, the network's focus goals first."""
    return [*FOCUS_SDGS, *(n for n in SDG_RANGE if n not in FOCUS_SDGS)]


@cache
def departments() -> dict[str, Department]:
    raw = _load("departments.json")
    assert isinstance(raw, list)
    result = {}
    for item in raw:
        result[item["key"]] = Department(
            key=item["key"],
            group=item["group"],
            names={"de": item["de"], "en": item["en"]},
            aliases=tuple(item["aliases"]),
            sdgs=tuple(item.get("sdgs", ())),
        )
    return result


def department(key: str | None) -> Department | None:
    return departments().get(key) if key else None


@cache
def related_departments(key: str | None) -> tuple[str, ...]:
    """Other departments in the same taxonomy group as ``key`` (sorted, ``key`` left out)."""
    dep = department(key)
    if dep is None:
        return ()
    return tuple(
        sorted(d.key for d in departments().values() if d.group == dep.group and d.key != dep.key)
    )


@cache
def _department_index() -> list[tuple[str, Department]]:
    index = []
    for dep in departments().values():
        for name in dep.all_names():
            for variant in slug_variants(name):
                index.append((variant, dep))
    return index


def match_words(text: str) -> str:
    """The part of ``text`` matching looks at: its first :data:`MAX_MATCH_WORDS` words of at
    most :data:`MAX_MATCH_WORD` characters (a longer word cannot be a name and is left out)."""
    words = (w for w in text.split(None, 2 * MAX_MATCH_WORDS)[: 2 * MAX_MATCH_WORDS])
    return " ".join([w for w in words if len(w) <= MAX_MATCH_WORD][:MAX_MATCH_WORDS])


def match_department(text: str) -> DepartmentMatch:
    """Find the department someone meant, in German or English, forgiving typos.

    An exact name or alias wins; then a name that contains what was typed or is contained in it
    (at least four letters, one department only); then the closest spelling.
    """
    keys = slug_variants(match_words(text))
    if not keys:
        return DepartmentMatch(None, ())
    index = _department_index()
    for key in keys:
        exact = {dep.key: dep for variant, dep in index if variant == key}
        if len(exact) == 1:
            return DepartmentMatch(next(iter(exact.values())), ())
    for key in keys:
        if len(key) < 4:
            continue
        contained = {
            dep.key: dep
            for variant, dep in index
            if (key in variant or (len(variant) >= 4 and variant in key))
        }
        if len(contained) == 1:
            return DepartmentMatch(next(iter(contained.values())), ())
    scores: dict[str, float] = {}
    for variant, dep in index:
        for key in keys:
            ratio = fuzz.ratio(key, variant) / 100
            scores[dep.key] = max(scores.get(dep.key, 0.0), ratio)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best_key, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best >= 0.82 and best - runner_up >= 0.04:
        return DepartmentMatch(departments()[best_key], ())
    return DepartmentMatch(None, tuple(departments()[k] for k, score in ranked[:3] if score > 0.3))


def closest_names(text: str, names: Iterable[str], n: int = 3) -> list[str]:
    """The names most like ``text`` ("did you mean …"), compared by their matching keys."""
    by_slug: dict[str, str] = {}
    for name in names:
        for variant in sorted(city_keys(name)):
            by_slug.setdefault(variant, name)
    typed = slug(match_words(text))
    if not typed:
        return []
    # rapidfuzz's ratio (longest common subsequence) is never below difflib's (matching blocks),
    # so it picks every candidate difflib would, fast; difflib then ranks those few as it always
    # did ("Sheboigan": Sheboygan, not also Tübingen).
    near = process.extract(typed, list(by_slug), scorer=fuzz.ratio, limit=None, score_cutoff=50)
    found = difflib.get_close_matches(typed, [key for key, _, _ in near], n=n * 2, cutoff=0.5)
    result: list[str] = []
    for key in found:
        if by_slug[key] not in result:
            result.append(by_slug[key])
    return result[:n]


def match_name(text: str, names: Sequence[str]) -> str | None:
    """The one city name that ``text`` means: same matching key (of any of the city's names,
    :func:`city_keys`), else a unique prefix (4+ letters).

    "#Tuebingen", "#DurhamCounty" (County Durham), "#StLouis", "Esslingen", "Nürnberg".
    """
    typed = slug_variants(match_words(text))
    if not typed:
        return None
    for name in names:
        if typed & city_keys(name):
            return name
    prefixed = {
        name
        for name in names
        for key in typed
        if len(key) >= 4 and any(v.startswith(key) for v in city_keys(name))
    }
    return next(iter(prefixed)) if len(prefixed) == 1 else None


@dataclass(frozen=True)
class Place:
    """The names one city is known by: per language where they differ ("Nürnberg" /
    "Nuremberg"), its full form ("Glendale, AZ", "County Durham") and other spellings."""

    names: dict[str, str]  # language -> display name; "en" is the fallback
    aliases: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]

    def all_names(self) -> tuple[str, ...]:
        return (*self.names.values(), *self.aliases)


@cache
def _places() -> dict[str, Place]:
    """Every matching key of every name in city_names.json -> its place."""
    raw = _load("city_names.json")
    assert isinstance(raw, list)
    index: dict[str, Place] = {}
    for item in raw:
        place = Place(
            names={k: item[k] for k in ("de", "en") if k in item},
            aliases=tuple(item.get("aliases", ())),
        )
        for name in place.all_names():
            for variant in slug_variants(name):
                index[variant] = place
    return index


@lru_cache(maxsize=4096)
def place(name: str) -> Place | None:
    """The reference names of the city called ``name`` (any of its names), if there are any.
    Remembered per name: every listing asks for the same few hundred cities."""
    return _places().get(slug(name))


def city_name(name: str, language: str) -> str:
    """How a reader of ``language`` writes the city the network calls ``name``: "Nürnberg" for
    German readers, "Nuremberg" for English ones, "Glendale, AZ", "County Durham"."""
    found = place(name)
    return found.name(language) if found else name


_STATE = re.compile(r",\s*[A-Z]{2}\s*$")  # "Glendale, AZ"


def city_tag(name: str) -> str:
    """The tag people write for a city, without "#": "Glendale, AZ" -> "Glendale",
    "Esslingen am Neckar" -> "EsslingenamNeckar"."""
    return _STATE.sub("", name).replace(" ", "")


@lru_cache(maxsize=4096)
def city_keys(name: str) -> frozenset[str]:
    """The matching keys of a city: of its own name, its name without the state, and every
    name the reference data knows it by."""
    names = [name, _STATE.sub("", name)]
    found = place(name)
    if found is not None:
        names.extend(found.all_names())
        names.extend(_STATE.sub("", n) for n in found.all_names())
    return frozenset().union(*(slug_variants(n) for n in names))


def parse_sdg(token: str) -> int | None:
    """ "sdg13", "SDG13", "#sdg13", "13" -> 13; None when it is not an SDG token at all.

    A token that looks like an SDG but is outside 1–17 raises ValueError(number).
    """
    m = re.fullmatch(r"#?(?:sdg)?\s*(\d{1,3})", token.strip(), flags=re.IGNORECASE)
    if not m:
        return None
    number = int(m.group(1))
    if number not in SDG_RANGE:
        raise ValueError(number)
    return number
