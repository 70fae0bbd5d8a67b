"""The one source of time. Everything below the wiring takes a ``Clock`` (or a ``now``) from its
caller; only the entry points (``udx-bot`` and the benchmark) hand in :func:`system_clock`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC. Only entry points pass this; nothing else calls it."""
    return datetime.now(UTC)
