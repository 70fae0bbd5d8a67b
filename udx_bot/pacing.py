"""Pacing sends to a rate: time slots on ``time.monotonic()`` for the outbox worker, one
:class:`Pace` per platform (overall) and a :class:`KeyedPace` per chat."""

from __future__ import annotations

import asyncio
import time
from collections import deque

PACE_MARGIN = 1.02  # 2% slower than the rate says: network jitter then never pushes rate+1
# requests into one platform window (each such 429 costs a slot and a retry)


class Pace:
    """Time slots for one rate (``time.monotonic()`` seconds); ``rate`` None: no limit.

    ``reserve()`` books the next slot ahead (per-chat pacing). :meth:`acquire` paces on the
    actual send times instead: calls at least ``1/rate`` apart and never more than ``rate`` in
    any ``PACE_MARGIN`` seconds, waiters served in order, so a stalled event loop cannot cause
    a burst that a sliding-window limit (Telegram's 30/s) would answer with 429.
    """

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.limit = max(1, int(rate)) if rate else 0
        self.next = 0.0
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    def peek(self, now: float) -> float:
        return max(self.next, now)

    def reserve(self, now: float) -> float:
        slot = max(self.next, now)
        self.next = slot + self.interval * PACE_MARGIN
        return slot

    def hold(self, until: float) -> None:
        self.next = max(self.next, until)

    async def acquire(self, stop: asyncio.Event) -> None:
        if not self.interval:
            return
        async with self._lock:
            while not stop.is_set():
                now = time.monotonic()
                while self._stamps and self._stamps[0] <= now - PACE_MARGIN:
                    self._stamps.popleft()
                wait = self.next - now
                if len(self._stamps) >= self.limit:
                    wait = max(wait, self._stamps[0] + PACE_MARGIN - now)
                if wait <= 0:
                    self._stamps.append(now)
                    # anchored to the schedule, so late wake-ups do not add up
                    self.next = max(self.next, now - self.interval) + self.interval
                    return
                try:
                    await asyncio.wait_for(stop.wait(), wait)
                except TimeoutError:
                    pass


class KeyedPace:
    """One :class:`Pace` per chat, forgotten once idle."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._paces: dict[str, Pace] = {}

    def get(self, key: str) -> Pace:
        pace = self._paces.get(key)
        if pace is None:
            if len(self._paces) > 50_000:
                now = time.monotonic()
                self._paces = {k: p for k, p in self._paces.items() if p.next > now}
            pace = self._paces[key] = Pace(self.rate)
        return pace
