"""How well another participant matches a reader, in Python (the digest ranks the week's
newcomers with it, in the order /find uses): partner cities first, then the same department,
then a related one, then more shared SDGs, then the recently active."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.participants import Participant
from udx_bot import reference

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def department_rank(mine: str | None, theirs: str | None) -> int:
    """0 the same department, 1 a related one (same group in the taxonomy), 2 any other."""
    if mine is not None and mine == theirs:
        return 0
    a, b = reference.department(mine), reference.department(theirs)
    if a is not None and b is not None and a.group == b.group:
        return 1
    return 2


def counterpart_key(
    reader: Participant, other: Participant, partner_city_ids: set[int]
) -> tuple[int, int, int, float, int]:
    """Sort key: smaller is better."""
    return (
        0 if other.city_id in partner_city_ids else 1,
        department_rank(reader.department, other.department),
        -len(set(reader.sdgs) & set(other.sdgs)),
        -(other.last_active_at or _NEVER).timestamp(),
        other.id,
    )


def is_match(reader: Participant, other: Participant, partner_city_ids: set[int]) -> bool:
    """Worth telling the reader about: a partner city, a same or related department, or a
    shared SDG."""
    return (
        other.city_id in partner_city_ids
        or department_rank(reader.department, other.department) < 2
        or bool(set(reader.sdgs) & set(other.sdgs))
    )
