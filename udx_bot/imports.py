"""CSV imports for operators: cities, partnerships and participants. A file is validated as a
whole first; any bad row refuses the whole file with line numbers and reasons, and nothing is
written. Re-importing updates instead of duplicating. Files are read as spreadsheets save them
(encodings and delimiters: udx_bot/csvfile.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import available_timezones

from babel import Locale

from storage import Store
from storage.cities import CityRow, ImportResult, PartnershipRow
from storage.participants import ROLES
from storage.roster import ParticipantImportRow
from udx_bot.config import LANGUAGES
from udx_bot.csvfile import ImportFailed, Notice, read_rows
from udx_bot.platform_ids import PlatformId, PlatformIdError, parse_platform_id
from udx_bot.reference import SDG_RANGE, closest_names, match_department, match_name, slug

Progress = Callable[[int, int], None]  # (rows done, rows in all)
PROGRESS_EVERY = 1000
__all__ = ["ImportFailed", "Notice"]  # with the importers, what the CLI needs


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (Babel's territories, without regions like "150")."""
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha())


@cache
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_cities(
    path: Path, progress: Progress | None = None, notice: Notice | None = None
) -> list[CityRow]:
    rows: list[CityRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    lines = list(read_rows(path, ("name", "country", "timezone", "language"), notice=notice))
    for done, (line, row) in enumerate(lines, start=1):
        name, country = row["name"], row["country"].upper()
        timezone, language = row["timezone"], row["language"].lower()
        problems = []
        key = slug(name)
        if not name or not key:
            problems.append("the name is empty")
        elif key in seen:
            problems.append(f"duplicate row: {name!r} is already on line {seen[key]}")
        if country not in country_codes():
            problems.append(
                f"unknown country {row['country']!r} (use ISO 3166 codes like DE, US, GB)"
            )
        if timezone not in timezones():
            problems.append(f"unknown timezone {timezone!r} (use IANA names like Europe/Berlin)")
        if language not in LANGUAGES:
            problems.append(f"unknown language {row['language']!r} (use de or en)")
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
        else:
            seen[key] = line
            rows.append(CityRow(name, key, country, timezone, language))
        _report(progress, done, len(lines))
    if errors:
        raise ImportFailed(str(path), errors)
    return rows


def parse_partnerships(
    path: Path,
    known_slugs: dict[str, str],
    progress: Progress | None = None,
    notice: Notice | None = None,
    *,
    this_year: int,
) -> list[PartnershipRow]:
    """``known_slugs`` maps each known city's slug to its name; ``since`` may not be later
    than ``this_year``."""
    rows: list[PartnershipRow] = []
    errors: list[str] = []
    seen: dict[frozenset[str], int] = {}
    names = list(known_slugs.values())
    lines = list(read_rows(path, ("city", "partner_city"), ("since",), notice))
    for done, (line, row) in enumerate(lines, start=1):
        problems = []
        slugs = []
        for column in ("city", "partner_city"):
            key = slug(row[column])
            if key not in known_slugs:  # another name of a known city: "Nürnberg", "Durham County"
                name = match_name(row[column], names)
                key = slug(name) if name is not None else key
            if key not in known_slugs:
                problems.append(
                    f"unknown city {row[column]!r} in {column} (import it with "
                    "`udx-bot import cities` first)"
                )
            slugs.append(key)
        since: int | None = None
        if row.get("since"):
            raw = row["since"]
            if not raw.isdigit() or not 1900 <= int(raw) <= this_year:
                problems.append(f"since must be a year between 1900 and {this_year}, got {raw!r}")
            else:
                since = int(raw)
        pair = frozenset(slugs)
        if not problems and len(pair) == 1:
            problems.append("a city cannot be its own partner")
        elif not problems and pair in seen:
            problems.append(f"duplicate row: the same partnership is on line {seen[pair]}")
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
        else:
            seen[pair] = line
            rows.append(PartnershipRow(slugs[0], slugs[1], since))
        _report(progress, done, len(lines))
    if errors:
        raise ImportFailed(str(path), errors)
    return rows


async def import_cities(
    store: Store,
    path: Path,
    progress: Progress | None = None,
    *,
    now: datetime,
    notice: Notice | None = None,
) -> ImportResult:
    return await store.cities.upsert_cities(parse_cities(path, progress, notice))


async def import_partnerships(
    store: Store,
    path: Path,
    progress: Progress | None = None,
    *,
    now: datetime,
    notice: Notice | None = None,
) -> ImportResult:
    known = {c.slug: c.name for c in await store.cities.all()}
    rows = parse_partnerships(path, known, progress, notice, this_year=now.year)
    return await store.cities.upsert_partnerships(rows)


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(done, total)


PARTICIPANT_COLUMNS = ("id", "name", "city", "department", "sdgs", "language", "role")


def parse_participants(
    path: Path,
    known_cities: dict[str, int],
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> list[ParticipantImportRow]:
    """``known_cities`` maps each known city's name to its id."""
    rows: list[ParticipantImportRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    names = list(known_cities)
    lines = list(read_rows(path, PARTICIPANT_COLUMNS[:4], PARTICIPANT_COLUMNS[4:], notice))
    for done, (line, row) in enumerate(lines, start=1):
        problems = []
        ident: PlatformId | None = None
        try:
            ident = parse_platform_id(row["id"])
        except PlatformIdError as error:
            problems.append(f"id {error}")
        else:
            if str(ident) in seen:
                problems.append(
                    f"duplicate row: {row['id']!r} is already on line {seen[str(ident)]}"
                )
        name = " ".join(row["name"].split())
        if not name:
            problems.append("the name is empty")
        elif len(name) > 200:
            problems.append("the name is longer than 200 characters")
        city = match_name(row["city"], names) if row["city"] else None
        if city is None:
            hint = closest_names(row["city"], names) if row["city"] else []
            did_you_mean = f" (did you mean {', '.join(hint)}?)" if hint else ""
            problems.append(f"unknown city {row['city']!r}{did_you_mean}")
        found = match_department(row["department"]) if row["department"] else None
        if found is None or found.department is None:
            hint = [d.key for d in found.closest] if found else []
            did_you_mean = f" (closest: {', '.join(hint)})" if hint else ""
            problems.append(f"unknown department {row['department']!r}{did_you_mean}")
        sdgs: list[int] = []
        for token in (row.get("sdgs") or "").split():
            if not token.isdigit() or int(token) not in SDG_RANGE:
                problems.append(f"SDG {token!r} is not a number from 1 to 17")
            else:
                sdgs.append(int(token))
        language = (row.get("language") or "").lower() or None
        if language is not None and language not in LANGUAGES:
            problems.append(f"unknown language {row['language']!r} (use de or en, or leave empty)")
        role = (row.get("role") or "").lower() or None
        if role is not None and role not in ROLES:
            problems.append(
                f"unknown role {row['role']!r} (use participant, coordinator or admin, "
                "or leave empty)"
            )
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
        else:
            assert ident is not None and city is not None and found and found.department
            seen[str(ident)] = line
            rows.append(
                ParticipantImportRow(
                    platform=ident.platform,
                    user_id=ident.user_id,
                    name=name,
                    city_id=known_cities[city],
                    department=found.department.key,
                    sdgs=tuple(sdgs),
                    language=language,
                    role=role,
                )
            )
        _report(progress, done, len(lines))
    if errors:
        raise ImportFailed(str(path), errors)
    return rows


async def import_participants(
    store: Store,
    path: Path,
    progress: Progress | None = None,
    *,
    now: datetime,
    notice: Notice | None = None,
) -> ImportResult:
    """Pre-register people from a CSV file (re-importing updates them)."""
    known = {c.name: c.id for c in await store.cities.all()}
    created, updated = await store.roster.import_rows(
        parse_participants(path, known, progress, notice), now=now
    )
    return ImportResult(created=created, updated=updated)
