"""Tags in a note's text: ``#sdg13`` (an SDG) and ``#<City>`` (a city of the network).

Pure functions, no storage: the caller passes the names of the known cities. The text itself is
never changed; tags are only recognised. City tags are matched like everywhere else in the bot
(:func:`udx_bot.reference.match_name`: ignoring case, spaces, punctuation and umlaut spellings,
so ``#Tuebingen``, ``#DurhamCounty`` and ``#StLouis`` work).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from udx_bot.reference import SDG_RANGE, fold, match_name

# "#sdg13", "#SDG13", "#SDG 13", "#sdg-13"; not part of a longer word ("x#sdg1", "#sdg13a")
_SDG_TAG = re.compile(r"(?<![\w#])#sdg[ \-]?(\d{1,3})(?!\w)", re.IGNORECASE)
# "#Sheboygan", "#St.Louis", "#Durham-County"; a tag starts with a letter
_WORD_TAG = re.compile(r"(?<![\w#])#([^\W\d_][\w.\-']*)")
_TRAILING = ".-'"


@dataclass(frozen=True)
class Tags:
    sdgs: tuple[int, ...] = ()  # valid SDG numbers, in order of appearance
    cities: tuple[str, ...] = ()  # names of known cities (as given), in order of appearance
    unknown: tuple[str, ...] = ()  # "#Atlantis": tags that are neither an SDG nor a city
    invalid_sdgs: tuple[int, ...] = ()  # "#sdg18": SDG tags outside 1–17


def parse_tags(text: str, city_names: Sequence[str]) -> Tags:
    """The SDGs and cities tagged in ``text``; unknown tags and out-of-range SDGs separately."""
    sdgs: list[int] = []
    invalid: list[int] = []
    spans: list[tuple[int, int]] = []
    for m in _SDG_TAG.finditer(text):
        spans.append(m.span())
        number = int(m.group(1))
        target = sdgs if number in SDG_RANGE else invalid
        if number not in target:
            target.append(number)
    cities: list[str] = []
    unknown: list[str] = []
    seen_unknown: set[str] = set()
    for m in _WORD_TAG.finditer(text):
        if any(start <= m.start() < end for start, end in spans):
            continue
        word = m.group(1).rstrip(_TRAILING)
        if not word:
            continue
        if fold(word) == "sdg":  # "#sdg" alone, or "#SDG" before something that is no number
            _add_unknown(f"#{word}", unknown, seen_unknown)
            continue
        city = match_name(word, city_names)
        if city is not None:
            if city not in cities:
                cities.append(city)
        else:
            _add_unknown(f"#{word}", unknown, seen_unknown)
    return Tags(tuple(sdgs), tuple(cities), tuple(unknown), tuple(invalid))


def _add_unknown(tag: str, unknown: list[str], seen: set[str]) -> None:
    key = fold(tag)
    if key not in seen:
        seen.add(key)
        unknown.append(tag)


def untagged(text: str) -> str:
    """``text`` without its tags (SDG tags and every ``#Word``, known or not), to tell whether a
    note says anything besides them."""
    return _WORD_TAG.sub(" ", _SDG_TAG.sub(" ", text))
