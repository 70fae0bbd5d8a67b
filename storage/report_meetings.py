"""The introduction funnel of a coordinator report (storage/reports.py): requested, accepted,
declined, met, with an outcome, as aggregates over rows of introductions.

An introduction was *met* when it was accepted and at least one of the two answered "Did you
meet?" with "met" (in any round: "Not yet" first and "met" a week later counts); it has an
*outcome* when someone wrote an exchange note about it ("What came of it?",
``meeting_notes``). Both count in the month the introduction was requested, like the rest of
the funnel, so the figures of a month only grow as the follow-ups come in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, exists, func

from storage.tables import meeting_answers, meeting_notes


def funnel(intro_id: Any, status: Any) -> list[Any]:
    """count, accepted, declined, met, with an outcome: aggregates for a GROUP BY over rows
    whose introduction is ``intro_id`` with ``status``."""
    met = exists().where(
        meeting_answers.c.introduction_id == intro_id, meeting_answers.c.outcome == "met"
    )
    noted = exists().where(meeting_notes.c.introduction_id == intro_id)
    return [
        func.count(),
        _sum(status == "accepted"),
        _sum(status == "declined"),
        _sum(and_(status == "accepted", met)),
        _sum(noted),
    ]


def _sum(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))
