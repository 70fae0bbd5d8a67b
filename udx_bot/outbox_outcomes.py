"""What a failed send means for its outbox row (used by udx_bot/outbox_worker.py).

* :class:`~udx_bot.delivery.TransientError`: retried with exponential backoff; a 429's
  ``retry_after`` is honoured (the chat and the platform wait too) and uses no attempt; after
  ``max_attempts`` the row fails;
* :class:`~udx_bot.delivery.UncertainDelivery`: the platform may have the message: the row
  becomes ``uncertain`` (logged, counted) and is never sent again;
* :class:`~udx_bot.delivery.PermanentError`: the row fails, and with ``block_recipient`` the
  identity is blocked and every other pending message to it fails too.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from storage import Store
from storage.outbox_claims import OutboxMessage
from udx_bot import metrics
from udx_bot.clock import Clock
from udx_bot.delivery import DeliveryError, PermanentError, TransientError, UncertainDelivery
from udx_bot.pacing import KeyedPace, Pace

log = logging.getLogger("udx_bot.outbox_worker")

MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 15 * 60.0


@dataclass
class PlatformLimits:
    overall: Pace
    per_chat: KeyedPace


@dataclass
class DrainResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0  # perhaps delivered, the answer was unreadable: not sent again
    deferred: int = 0  # chat busy, or the worker stopping: back to the queue, no attempt used
    errors: list[str] = field(default_factory=list)


class Outcomes:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        limits: Mapping[str, PlatformLimits],
        *,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE_S,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base

    async def failed(self, row: OutboxMessage, error: DeliveryError, result: DrainResult) -> None:
        """Record what ``error`` means for ``row`` (see the module notes)."""
        result.errors.append(str(error))
        if isinstance(error, UncertainDelivery):
            await self.store.outbox.mark_uncertain(row.id, error=str(error), now=self.clock())
            result.uncertain += 1
            log.warning(
                "outbox %s to %s: perhaps delivered, the platform's answer was unreadable (%s); "
                "recorded as uncertain, not sent again",
                row.id,
                row.platform,
                error,
            )
        elif isinstance(error, PermanentError):
            failed = await self.store.outbox.mark_failed(
                row.id, error=str(error), now=self.clock(), block_recipient=error.block_recipient
            )
            result.failed += 1
            metrics.OUTBOX_FAILED.labels(row.platform).inc()
            log.warning(
                "outbox %s to %s failed for good (%s)%s",
                row.id,
                row.platform,
                error,
                f"; {failed - 1} more to this identity dropped" if failed > 1 else "",
            )
        elif isinstance(error, TransientError):
            await self._transient(row, error, result)
        else:
            await self._transient(row, TransientError(str(error)), result)

    async def _transient(
        self, row: OutboxMessage, error: TransientError, result: DrainResult
    ) -> None:
        now = self.clock()
        if error.retry_after is not None:
            # the platform said when: not the message's fault, no attempt used
            metrics.OUTBOX_RATE_LIMITED.labels(row.platform).inc()
            limits = self.limits.get(row.platform)
            if limits is not None:
                until = time.monotonic() + error.retry_after
                limits.per_chat.get(row.chat_id or row.user_id).hold(until)
                limits.overall.hold(time.monotonic() + limits.overall.interval)
            await self.store.outbox.retry(
                row.id,
                at=now + timedelta(seconds=error.retry_after),
                error=str(error),
                count_attempt=False,
            )
            result.retried += 1
            return
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            await self.store.outbox.mark_failed(row.id, error=f"gave up: {error}", now=now)
            result.failed += 1
            metrics.OUTBOX_FAILED.labels(row.platform).inc()
            log.warning("outbox %s: gave up after %s attempts (%s)", row.id, attempts, error)
            return
        delay = min(BACKOFF_MAX_S, self.backoff_base * 2 ** (attempts - 1))
        delay *= random.uniform(0.8, 1.2)
        await self.store.outbox.retry(row.id, at=now + timedelta(seconds=delay), error=str(error))
        result.retried += 1
        log.info("outbox %s: transient failure, retry in %.0f s (%s)", row.id, delay, error)
