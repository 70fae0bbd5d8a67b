"""The outbox worker: delivers queued messages at the platforms' speed limits, loses nothing.

How it works (one :meth:`OutboxWorker.drain_once`):

1. claim up to ``batch`` due rows atomically, with a lease (storage/outbox.py): rows claimed
   by a worker that dies are claimed again once the lease has passed, and two workers never
   claim the same row;
2. send each row in its own task, paced by per-platform limits (Telegram: ``UDX_TELEGRAM_RATE``
   overall, 1/s per chat; Slack: ``UDX_SLACK_RATE`` per channel). Pacing reserves time slots
   (``next = max(next, now) + 1/rate``), so the configured rate is reached and never exceeded
   while several HTTP calls are in flight; a row whose chat is busy for longer than
   ``max_wait`` goes back to the queue for later instead of holding the batch up;
3. mark rows ``sent`` only after the platform accepted them (in small batches), retry transient
   failures with exponential backoff (a 429's ``retry_after`` is honoured and does not count
   as an attempt), mark permanent failures ``failed`` and block the identity (``blocked_at``)
   so nothing more is sent to it until the person writes again. A failure that leaves open
   whether the platform has the message (the answer was lost or unreadable) is never retried:
   the row becomes ``uncertain`` (logged, counted), so one send never turns into several.

The service (``udx-bot run``) loops over ``drain_once`` and wakes up at once when a message is
queued in the same process (periodic jobs, such as releasing scheduled announcements, live in
udx_bot/scheduler.py).
The limits hold per worker process: run one worker per bot (several are safe, but together
they send faster).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from storage import Store
from storage.outbox import OutboxMessage
from udx_bot.clock import Clock
from udx_bot.context import Services
from udx_bot.delivery import PermanentError, Sender, TransientError, UncertainDelivery
from udx_bot.types import Reply

log = logging.getLogger(__name__)

TELEGRAM_PER_CHAT_RATE = 1.0
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 15 * 60.0
SENT_FLUSH_SIZE = 25
Job = Callable[[], Awaitable[object]]


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


class OutboxWorker:
    name = "outbox"

    def __init__(
        self,
        store: Store,
        senders: Mapping[str, Sender],
        *,
        clock: Clock,
        telegram_rate: float = 30.0,
        telegram_chat_rate: float = TELEGRAM_PER_CHAT_RATE,
        slack_rate: float = 1.0,
        batch: int | None = None,
        lease: timedelta = timedelta(minutes=5),
        max_wait: float = 5.0,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE_S,
        concurrency: int = 64,
        poll_interval: float = 1.0,
        jobs: Sequence[Job] = (),
        job_interval: float = 5.0,
    ) -> None:
        self.store = store
        self.senders = dict(senders)
        self.limits = {
            "telegram": PlatformLimits(Pace(telegram_rate), KeyedPace(telegram_chat_rate)),
            "slack": PlatformLimits(Pace(None), KeyedPace(slack_rate)),
        }
        self.batch = batch or max(20, min(500, int(telegram_rate * 5)))
        self.lease = lease
        self.max_wait = max_wait
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.poll_interval = poll_interval
        self.jobs = list(jobs)
        self.job_interval = job_interval
        self.clock = clock
        self._inflight = asyncio.Semaphore(concurrency)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sent: list[int] = []
        self._flush_lock = asyncio.Lock()

    async def _sleep_until(self, slot: float) -> None:
        """Wait for a time slot; a stop request ends the wait early."""
        delay = slot - time.monotonic()
        if delay > 0 and not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except TimeoutError:
                pass

    # --- one round ---------------------------------------------------------------------------

    async def drain_once(self) -> DrainResult:
        """Claim one batch of due messages and deliver it; returns what happened."""
        result = DrainResult()
        rows = await self.store.outbox.claim(
            now=self.clock(), limit=self.batch, lease=self.lease, platforms=self.senders
        )
        result.claimed = len(rows)
        if not rows:
            return result
        tasks = []
        now = time.monotonic()
        for row in rows:
            limits = self.limits.get(row.platform)
            chat_slot = now
            if limits is not None:
                chat = limits.per_chat.get(row.chat_id or row.user_id)
                if chat.peek(now) - now > self.max_wait:
                    wait = chat.peek(now) - now
                    await self.store.outbox.retry(
                        row.id, at=self.clock() + timedelta(seconds=wait), count_attempt=False
                    )
                    result.deferred += 1
                    continue
                chat_slot = chat.reserve(now)
            tasks.append(asyncio.create_task(self._deliver(row, chat_slot, result)))
        try:
            await asyncio.gather(*tasks)
        finally:
            await self._flush_sent()
        return result

    async def _deliver(self, row: OutboxMessage, chat_slot: float, result: DrainResult) -> None:
        limits = self.limits.get(row.platform)
        await self._sleep_until(chat_slot)
        if limits is not None:
            await limits.overall.acquire(self._stopping)
        if self._stopping.is_set():
            await self.store.outbox.release([row.id], at=self.clock())
            result.deferred += 1
            return
        sender = self.senders[row.platform]
        try:
            replies = [Reply.from_json(doc) for doc in row.payload]
            async with self._inflight:
                await sender.deliver(row.user_id, row.chat_id, replies)
        except TransientError as error:
            await self._transient(row, error, result)
            return
        except UncertainDelivery as error:
            await self.store.outbox.mark_uncertain(row.id, error=str(error), now=self.clock())
            result.uncertain += 1
            result.errors.append(str(error))
            log.warning(
                "outbox %s to %s: perhaps delivered, the platform's answer was unreadable (%s); "
                "recorded as uncertain, not sent again",
                row.id,
                row.platform,
                error,
            )
            return
        except PermanentError as error:
            failed = await self.store.outbox.mark_failed(
                row.id,
                error=str(error),
                now=self.clock(),
                block_recipient=error.block_recipient,
            )
            result.failed += 1
            result.errors.append(str(error))
            log.warning(
                "outbox %s to %s failed for good (%s)%s",
                row.id,
                row.platform,
                error,
                f"; {failed - 1} more to this identity dropped" if failed > 1 else "",
            )
            return
        except Exception as error:  # a bug in rendering or a sender: retry, but log loudly
            log.exception("outbox %s: unexpected error while sending", row.id)
            await self._transient(row, TransientError(f"{type(error).__name__}: {error}"), result)
            return
        result.sent += 1
        self._sent.append(row.id)
        if len(self._sent) >= SENT_FLUSH_SIZE:
            await self._flush_sent()

    async def _transient(
        self, row: OutboxMessage, error: TransientError, result: DrainResult
    ) -> None:
        now = self.clock()
        result.errors.append(str(error))
        if error.retry_after is not None:
            # the platform said when: not the message's fault, no attempt used
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
            log.warning("outbox %s: gave up after %s attempts (%s)", row.id, attempts, error)
            return
        delay = min(BACKOFF_MAX_S, self.backoff_base * 2 ** (attempts - 1))
        delay *= random.uniform(0.8, 1.2)
        await self.store.outbox.retry(row.id, at=now + timedelta(seconds=delay), error=str(error))
        result.retried += 1
        log.info("outbox %s: transient failure, retry in %.0f s (%s)", row.id, delay, error)

    async def _flush_sent(self) -> None:
        async with self._flush_lock:
            ids, self._sent = self._sent, []
            if ids:
                await self.store.outbox.mark_sent(ids, now=self.clock())

    async def run_jobs(self) -> None:
        for job in self.jobs:
            try:
                await job()
            except Exception:
                log.exception("outbox job %s failed", getattr(job, "__name__", job))

    async def run_until_idle(self, *, within: float = 60.0) -> DrainResult:
        """Drain until nothing is pending any more (waiting for retries that are due within
        ``within`` seconds); for tests and the command line. Returns the totals."""
        total = DrainResult()
        deadline = time.monotonic() + within
        while not self._stopping.is_set():
            await self.run_jobs()
            result = await self.drain_once()
            for name in ("claimed", "sent", "retried", "failed", "uncertain", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
            total.errors.extend(result.errors)
            if result.claimed:
                continue
            due = await self.store.outbox.next_due(self.senders)
            if due is None or time.monotonic() >= deadline:
                break
            wait = (due - self.clock()).total_seconds()
            if wait > deadline - time.monotonic():
                break
            await asyncio.sleep(max(0.02, wait))
        return total

    def wake(self) -> None:
        """Something was queued: drain now instead of at the next poll."""
        self._wake.set()

    # --- service -----------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def _loop(self) -> None:
        next_jobs = 0.0
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= next_jobs:
                    await self.run_jobs()
                    next_jobs = time.monotonic() + self.job_interval
                result = await self.drain_once()
            except Exception:
                log.exception("outbox worker round failed; trying again shortly")
                result = DrainResult()
            if result.claimed and not self._stopping.is_set():
                continue
            self._wake.clear()
            waiters = [
                asyncio.ensure_future(self._stopping.wait()),
                asyncio.ensure_future(self._wake.wait()),
            ]
            _, pending = await asyncio.wait(
                waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()

    async def stop(self) -> None:
        """Finish the calls in flight, hand unsent claimed rows back, close the senders."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        for sender in self.senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                await close()


def create_worker(services: Services) -> OutboxWorker | None:
    """The ``udx-bot run`` factory (see udx_bot/runner.py WORKERS): a worker for every
    platform whose token is configured, None when there is none."""
    from udx_bot.platforms.slack_sender import SlackSender
    from udx_bot.platforms.telegram_sender import TelegramSender

    settings = services.settings
    senders: dict[str, Sender] = {}
    telegram = TelegramSender.from_settings(settings)
    if telegram is not None:
        senders["telegram"] = telegram
    slack = SlackSender.from_settings(settings)
    if slack is not None:
        senders["slack"] = slack
    if not senders:
        return None

    worker = OutboxWorker(
        services.store,
        senders,
        telegram_rate=settings.telegram_rate,
        slack_rate=settings.slack_rate,
        clock=services.clock,
    )
    services.outbox.listeners.append(worker.wake)
    return worker
