"""What a coordinator report counts (storage/reports.py fills it): per partnership and month,
and for the whole network."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

PairKey = tuple[int, int]  # (city_id, partner_city_id), the lower id first
DELIVERY_STATUSES = ("sent", "pending", "failed", "uncertain")


@dataclass(frozen=True)
class Pair:
    city_id: int
    partner_city_id: int
    city: str
    partner: str

    @property
    def key(self) -> PairKey:
        return (self.city_id, self.partner_city_id)

    @property
    def label(self) -> str:
        return f"{self.city} – {self.partner}"


@dataclass
class MonthStats:
    notes: int = 0
    active: int = 0
    intro_requested: int = 0
    intro_accepted: int = 0
    intro_declined: int = 0
    intro_met: int = 0  # accepted, and at least one of the two answered "met"
    intro_outcome: int = 0  # someone wrote what came of it (an exchange note)
    announcements: int = 0  # network totals only: announcements go to the whole audience
    deliveries: dict[str, int] = field(default_factory=dict)  # outbox status -> recipients
    digests: int = 0  # people whose weekly digest was built and sent out

    def set_funnel(
        self, requested: int, accepted: int, declined: int, met: int, outcome: int
    ) -> None:
        self.intro_requested, self.intro_accepted = requested, accepted
        self.intro_declined, self.intro_met, self.intro_outcome = declined, met, outcome

    @property
    def recipients(self) -> int:
        return sum(self.deliveries.values())

    @property
    def delivered(self) -> int:
        return self.deliveries.get("sent", 0)


class Funnel(NamedTuple):
    requested: int
    accepted: int
    met: int
    outcome: int


@dataclass
class ReportData:
    since: datetime
    until: datetime  # exclusive
    filtered: bool = False  # only the partnerships of some cities (the network's totals stay)
    pairs: list[Pair] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    by_pair: dict[PairKey, dict[str, MonthStats]] = field(default_factory=dict)  # month -> figures
    network: dict[str, MonthStats] = field(default_factory=dict)  # month -> everyone's figures
    sdg_notes: dict[PairKey, dict[int, int]] = field(default_factory=dict)  # notes per SDG
    sdg_profiles: dict[PairKey, dict[int, int]] = field(default_factory=dict)  # people per SDG
    department_notes: dict[PairKey, dict[str, int]] = field(default_factory=dict)
    department_people: dict[PairKey, dict[str, int]] = field(default_factory=dict)

    def stats(self, key: PairKey | None, month: str) -> MonthStats:
        table = self.network if key is None else self.by_pair.get(key, {})
        return table.get(month) or MonthStats()

    def funnel(self) -> Funnel:
        """Introductions requested, accepted, met and with an outcome: the network's, or when
        only some partnerships were asked for, theirs."""
        keys: list[PairKey | None] = [p.key for p in self.pairs] if self.filtered else [None]
        totals = [self.total(key) for key in keys]
        return Funnel(
            sum(t.intro_requested for t in totals),
            sum(t.intro_accepted for t in totals),
            sum(t.intro_met for t in totals),
            sum(t.intro_outcome for t in totals),
        )

    def total(self, key: PairKey | None) -> MonthStats:
        """The figures of the whole range (active people: the most in any one month)."""
        out = MonthStats()
        for m in self.months:
            s = self.stats(key, m)
            out.notes += s.notes
            out.active = max(out.active, s.active)
            out.intro_requested += s.intro_requested
            out.intro_accepted += s.intro_accepted
            out.intro_declined += s.intro_declined
            out.intro_met += s.intro_met
            out.intro_outcome += s.intro_outcome
            out.announcements += s.announcements
            out.digests += s.digests
            for status, n in s.deliveries.items():
                out.deliveries[status] = out.deliveries.get(status, 0) + n
        return out


def merge_counts(*tables: dict[Any, int]) -> dict[Any, int]:
    out: dict[Any, int] = defaultdict(int)
    for table in tables:
        for key, n in table.items():
            out[key] += n
    return dict(out)
