"""The Babel extract/update workflow, one gettext domain per source module.

    python -m udx_bot.catalogs update   # pybabel extract + update (or init) for every domain
    python -m udx_bot.catalogs check    # list messages without a German translation
    python -m udx_bot.catalogs fill de FILE.json   # set translations: {"msgid": "msgstr", …}
                                                   # (a list of forms for a plural message)

A domain is named after the module's file ("privacy" for handlers/privacy.py);
modules with the same name share one, and the modules of a feature package share the package's
("notes" for handlers/notes/__init__.py, writing.py and browsing.py). Each run is Babel's own
command line (babel.cfg holds the mapping):

    pybabel extract -F babel.cfg --no-location --sort-output -o locales/notes.pot \
        handlers/notes/*.py
    pybabel update -i locales/notes.pot -d locales -D notes     (pybabel init the first time)

Then translate the new entries in locales/de/LC_MESSAGES/<domain>.po (English is the source
language: its msgstr stay empty and fall back to the msgid). Catalogs are compiled in memory at
run time, so there is nothing to compile.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
SOURCE_DIRS = ("udx_bot", "handlers", "storage")
FEATURES_DIR = ROOT / "handlers"  # each package in it is one feature, with one domain
LANGUAGES = ("de", "en")
_DATE_HEADERS = ('"POT-Creation-Date:', '"PO-Revision-Date:')
_PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]")


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    source: str  # file:line, for problem reports


def domain(path: Path) -> str:
    """The file's stem; for a module of a feature package (handlers/<feature>/…), the feature."""
    if path.parent.parent == FEATURES_DIR:
        return path.parent.name
    return path.stem


def sources() -> dict[str, list[Path]]:
    """Python source files by domain (see :func:`domain`), only those with messages."""
    by_domain: dict[str, list[Path]] = defaultdict(list)
    for directory in SOURCE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if any(True for _ in extract(path)):
                by_domain[domain(path)].append(path)
    return dict(sorted(by_domain.items()))


def extract(path: Path) -> Iterator[Message]:
    for lineno, message, _comments, _context in extract_from_file(
        "python", str(path), keywords=DEFAULT_KEYWORDS
    ):
        rel = path.relative_to(ROOT)
        if isinstance(message, tuple):
            yield Message(message[0], message[1], f"{rel}:{lineno}")
        elif message:
            yield Message(message, None, f"{rel}:{lineno}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER_RE.findall(text))


def problems() -> list[str]:
    """Every message in the code must be in each language's catalog of its domain; German must
    translate it (not fuzzy) with the same placeholders."""
    found: list[str] = []
    for domain, paths in sources().items():
        catalogs = {}
        for language in LANGUAGES:
            po = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
            if not po.exists():
                found.append(
                    f"{po.relative_to(ROOT)}: missing (run python -m udx_bot.catalogs update)"
                )
                continue
            with po.open("rb") as fh:
                catalogs[language] = read_po(fh, locale=language)
        for path in paths:
            for msg in extract(path):
                key: str | tuple[str, str] = (msg.plural and (msg.msgid, msg.plural)) or msg.msgid
                for language, catalog in catalogs.items():
                    entry = catalog.get(msg.msgid)
                    where = f"{msg.source} [{language}/{domain}.po]"
                    if entry is None:
                        found.append(f"{where}: not in the catalog: {msg.msgid!r}")
                        continue
                    if language == "en":
                        continue
                    raw = entry.string
                    strings: tuple[str, ...] = (
                        tuple(raw) if isinstance(raw, (tuple, list)) else (raw or "",)
                    )
                    if entry.fuzzy or not all(strings):
                        found.append(f"{where}: no German translation: {msg.msgid!r}")
                        continue
                    originals = key if isinstance(key, tuple) else (key,)
                    expected = set().union(*(placeholders(o) for o in originals))
                    for translated in strings:
                        if placeholders(translated) != expected and (
                            msg.plural is None or not placeholders(translated) <= expected
                        ):
                            found.append(
                                f"{where}: placeholders differ: {msg.msgid!r} has "
                                f"{sorted(expected)}, the translation "
                                f"{sorted(placeholders(translated))}"
                            )
    return found


def update(domains: Sequence[str] = ()) -> None:
    cli: Any = CommandLineInterface()
    for domain, paths in sources().items():
        if domains and domain not in domains:
            continue
        pot = LOCALES / f"{domain}.pot"
        cli.run(
            [
                "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "--no-location",
                "--sort-output", "--project", "udx-bot", "-o", str(pot),
                *(str(p) for p in paths),
            ]
        )  # fmt: skip
        for language in LANGUAGES:
            po = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
            verb = "update" if po.exists() else "init"
            extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if verb == "update" else []
            cli.run(
                ["pybabel", "-q", verb, "-i", str(pot), "-d", str(LOCALES), "-D", domain,
                 "-l", language, *extra]
            )  # fmt: skip
            _drop_dates(po)
        _drop_dates(pot)


def _drop_dates(path: Path) -> None:
    """Remove the creation/revision dates Babel writes into the header: they change on every
    run and make every catalog conflict when branches merge."""
    lines = path.read_text("utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(_DATE_HEADERS)]
    if kept != lines:
        path.write_text("".join(kept), "utf-8")


def fill(language: str, translations: dict[str, str | list[str]]) -> int:
    """Write translations into every catalog of ``language`` that has the msgid; returns how
    many entries were set."""
    changed = 0
    for po in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        dirty = False
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            if msgid in translations:
                value = translations[msgid]
                message.string = tuple(value) if isinstance(value, list) else value
                message.flags.discard("fuzzy")
                dirty = True
                changed += 1
        if dirty:
            with po.open("wb") as fh:
                write_po(fh, catalog, omit_header=False, sort_output=True, no_location=True)
    return changed


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in ("update", "check", "fill"):
        print(
            "usage: python -m udx_bot.catalogs update [DOMAIN …] | check | fill LANG FILE.json",
            file=sys.stderr,
        )
        return 2
    if argv[0] == "fill":
        data = json.loads(Path(argv[2]).read_text("utf-8"))
        print(f"{fill(argv[1], data)} translations set")
        return 0
    if argv[0] == "update":
        update(argv[1:])
    found = problems()
    for line in found:
        print(line)
    if argv[0] == "check":
        print(f"{len(found)} problems" if found else "catalogs complete")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
