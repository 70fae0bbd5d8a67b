"""The network's glossary, applied around any backend: each term of the note's language is
replaced by a placeholder before the text is sent (the service never sees, so never mangles
it), and the placeholder by the other language's term afterwards.

Terms: udx_bot/data/glossary.json (operators' entries), the departments' and SDGs' names in
both languages (departments.json, sdgs.json) and the cities' names, kept as they are
(cities.csv). Longer terms win over shorter ones they contain.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from udx_bot import reference

_PLACEHOLDER = "UDXG{}Z"
_PLACEHOLDER_RE = re.compile(r"UDXG(\d+)Z", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    de: str
    en: str

    def get(self, language: str) -> str:
        return self.de if language == "de" else self.en


def _read(name: str) -> str:
    return resources.files("udx_bot").joinpath("data", name).read_text("utf-8")


@cache
def terms() -> tuple[Term, ...]:
    found: list[Term] = []
    for entry in json.loads(_read("glossary.json")).get("terms", []):
        if isinstance(entry, dict) and entry.get("de") and entry.get("en"):
            found.append(Term(str(entry["de"]), str(entry["en"])))
    for department in reference.departments().values():
        if "de" in department.names and "en" in department.names:
            found.append(Term(department.names["de"], department.names["en"]))
    for titles in reference.sdg_titles().values():
        if titles.get("de") and titles.get("en"):
            found.append(Term(titles["de"], titles["en"]))
    for row in csv.DictReader(io.StringIO(_read("cities.csv"))):
        if row.get("name"):
            found.append(Term(row["name"], row["name"]))
    return tuple(found)


@cache
def _pattern(source: str) -> tuple[re.Pattern[str], dict[str, int]]:
    index: dict[str, int] = {}
    for i, term in enumerate(terms()):
        index.setdefault(term.get(source).casefold(), i)
    words = sorted(index, key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), index


def protect(text: str, source: str) -> str:
    """The text with each glossary term of ``source`` replaced by a placeholder."""
    pattern, index = _pattern(source)
    return pattern.sub(lambda m: _PLACEHOLDER.format(index[m.group(0).casefold()]), text)


def restore(text: str, target: str) -> str:
    """The translated text with each placeholder replaced by its term in ``target``."""
    found = terms()

    def one(match: re.Match[str]) -> str:
        i = int(match.group(1))
        return found[i].get(target) if i < len(found) else match.group(0)

    return _PLACEHOLDER_RE.sub(one, text)
