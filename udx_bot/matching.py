"""Who matches a reader: the counterpart query for /find, the home overview and the digest.

What the reader wants is decided here (their department and SDGs unless a filter names others;
related departments from the taxonomy); the ranking itself is one definition in storage, read in
SQL by :meth:`storage.counterparts.CounterpartRepository.rank` and in memory through
:meth:`storage.counterparts.CounterpartQuery.sort_key` (the digest ranks the week's newcomers
with it, in the order /find uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from storage.counterparts import OTHER, CounterpartQuery
from storage.participants import Participant
from udx_bot import reference


def reader_query(
    reader: Participant,
    partner_city_ids: Iterable[int],
    *,
    department: str | None = None,
    sdgs: Sequence[int] = (),
    city_id: int | None = None,
) -> CounterpartQuery:
    """The query for ``reader``: their department and SDGs unless a filter names others (a named
    department or SDGs then also restrict the list)."""
    wanted_department = department or reader.department
    wanted_sdgs = tuple(sorted(set(sdgs))) if sdgs else tuple(sorted(set(reader.sdgs)))
    return CounterpartQuery(
        reader_id=reader.id,
        partner_city_ids=frozenset(partner_city_ids),
        department=wanted_department,
        related=reference.related_departments(wanted_department),
        sdgs=wanted_sdgs,
        only_department=department is not None,
        only_sdgs=bool(sdgs),
        city_id=city_id,
    )


def counterpart_query(
    reader: Participant,
    *,
    department: str | None = None,
    sdgs: Sequence[int] = (),
    city_id: int | None = None,
) -> CounterpartQuery:
    """The query /find runs for ``reader`` (see :func:`reader_query`), with their partner
    cities (read with the person)."""
    partners = set(reader.partner_city_ids)
    return reader_query(reader, partners, department=department, sdgs=sdgs, city_id=city_id)


@lru_cache(maxsize=64)
def _own_query(reader: Participant, partner_city_ids: frozenset[int]) -> CounterpartQuery:
    """The reader's unfiltered query; a digest asks for it once per newcomer, so it is kept."""
    return reader_query(reader, partner_city_ids)


def counterpart_key(
    reader: Participant, other: Participant, partner_city_ids: set[int]
) -> tuple[bool, int, int, bool, int, int]:
    """Sort key, smaller is better: /find's ranking (CounterpartQuery.sort_key) in memory."""
    return _own_query(reader, frozenset(partner_city_ids)).sort_key(other)


def is_match(reader: Participant, other: Participant, partner_city_ids: set[int]) -> bool:
    """Worth telling the reader about: a partner city, a same or related department, or a
    shared SDG."""
    query = _own_query(reader, frozenset(partner_city_ids))
    return (
        query.partner(other)
        or query.department_rank(other.department) < OTHER
        or bool(query.shared_sdgs(other))
    )
