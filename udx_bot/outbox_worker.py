"""The outbox worker: delivers queued messages at the platforms' speed limits, loses nothing.

How it works (one :meth:`OutboxWorker.drain_once`):

1. claim up to ``batch`` due rows atomically, with a lease in the worker's name
   (storage/outbox_claims.py): rows claimed by a worker that dies are claimed again once the
   lease has passed, or at once when a worker of the same name (``UDX_WORKER_NAME``) starts,
   and two workers never claim the same row;
2. send each row in its own task, part by part (the platform messages its transport's
   ``parts()`` makes of it, from the first one not delivered yet; each delivered part is
   recorded, so none is ever sent twice), through its platform's :class:`Route`: the
   transport and the rate limits the wiring hands over (``udx_bot/outbox_wiring.py``: Telegram
   ``UDX_TELEGRAM_RATE`` overall and 1/s per chat, Slack ``UDX_SLACK_RATE`` per channel; the
   worker itself knows no platform). Pacing reserves time slots
   (``next = max(next, now) + 1/rate``), so the configured rate is reached and never exceeded
   while several HTTP calls are in flight; a row whose chat is busy for longer than
   ``max_wait`` goes back to the queue for later instead of holding the batch up. Every part
   takes its own slot;
3. mark a row ``sent`` as soon as the platform accepted its last part (one write per message,
   so a worker killed mid fan-out re-sends at most the messages in flight), retry transient
   failures with exponential backoff (a 429's ``retry_after`` is honoured and does not count
   as an attempt), mark permanent failures ``failed`` and block the identity (``blocked_at``)
   so nothing more is sent to it until the person writes again. A failure that leaves open
   whether the platform has the message (the answer was lost or unreadable) is never retried:
   the row becomes ``uncertain`` (logged, counted), so one send never turns into several;
   when that was not its last part, the parts after it are still sent (they certainly were
   not shown), and the row becomes ``uncertain`` after the last one.
   (What a failure means for its row: udx_bot/outbox_outcomes.py.)

The service (``udx-bot run``) loops over ``drain_once`` and wakes up at once when a message is
queued in the same process (periodic jobs, such as releasing scheduled announcements, live in
udx_bot/scheduler.py).
Several workers on one PostgreSQL: each platform has one sender at a time, the worker holding
its advisory lock (storage/locks.py :class:`~storage.locks.Leadership`); the others claim no
rows of that platform and take over when the sender stops or dies (its connection closes; the
rows it had claimed come back when their lease has passed). So the limits above hold for the
whole deployment, not per process. On SQLite there is one worker per file (the runner's lock
file).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from storage import Store
from storage.locks import Leadership
from storage.outbox_claims import OutboxMessage
from udx_bot import metrics
from udx_bot.clock import Clock
from udx_bot.context import Services
from udx_bot.delivery import (
    DeliveryError,
    Part,
    Target,
    TransientError,
    Transport,
    UncertainDelivery,
)
from udx_bot.outbox_outcomes import (
    BACKOFF_BASE_S,
    MAX_ATTEMPTS,
    DrainResult,
    Outcomes,
    PlatformLimits,
)
from udx_bot.pacing import KeyedPace, Pace
from udx_bot.types import Reply

log = logging.getLogger(__name__)

DEFAULT_BATCH_RATE = 30.0  # messages/s a batch is sized for when no route has an overall limit


@dataclass(frozen=True)
class Route:
    """How the worker reaches one platform: its transport, and its limits in messages per
    second over all chats (``rate``) and per chat (``per_chat_rate``); None: no limit.
    ``only_to``: the user ids the transport reaches when it reaches only some (the console: the
    person at the keyboard); the others' messages stay queued for a transport that does."""

    transport: Transport
    rate: float | None = None
    per_chat_rate: float | None = None
    only_to: frozenset[str] | None = None


class OutboxWorker:
    name = "outbox"

    def __init__(
        self,
        store: Store,
        routes: Mapping[str, Route],
        *,
        clock: Clock,
        batch: int | None = None,
        lease: timedelta = timedelta(minutes=5),
        max_wait: float = 5.0,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE_S,
        concurrency: int = 64,
        poll_interval: float = 1.0,
        worker_name: str | None = None,
    ) -> None:
        self.store = store
        self.transports = {platform: route.transport for platform, route in routes.items()}
        self.recipients = {p: r.only_to for p, r in routes.items() if r.only_to is not None}
        self.limits = {
            platform: PlatformLimits(Pace(route.rate), KeyedPace(route.per_chat_rate))
            for platform, route in routes.items()
        }
        fastest = max((r.rate for r in routes.values() if r.rate), default=DEFAULT_BATCH_RATE)
        self.batch = batch or max(20, min(500, int(fastest * 5)))
        self.lease = lease
        self.max_wait = max_wait
        self.outcomes = Outcomes(
            store, clock, self.limits, max_attempts=max_attempts, backoff_base=backoff_base
        )
        self.poll_interval = poll_interval
        self.clock = clock
        self._inflight = asyncio.Semaphore(concurrency)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.worker_name = worker_name
        self._reclaimed = False  # the claims of this name's predecessor were taken over
        # one sender per platform in the deployment (PostgreSQL advisory locks): its pacing
        # is the platform's whole budget
        self.senders = {p: Leadership(store.db, f"outbox:{p}") for p in self.transports}

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
        if self.worker_name and not self._reclaimed:
            taken = await self.store.outbox.reclaim(self.worker_name, now=self.clock())
            self._reclaimed = True
            if taken:
                log.info("outbox: took over %s messages %s claimed before", taken, self.worker_name)
        platforms = [p for p, sender in self.senders.items() if await sender.hold()]
        if not platforms:
            return result  # another worker sends to every platform of this one
        rows = await self.store.outbox.claim(
            now=self.clock(),
            limit=self.batch,
            lease=self.lease,
            platforms=platforms,
            worker=self.worker_name,
            recipients=self.recipients,
        )
        result.claimed = len(rows)
        tasks = []
        now = time.monotonic()
        for row in rows:
            try:
                replies = [Reply.from_json(doc) for doc in row.payload]
                parts = self.transports[row.platform].parts(replies)[row.parts_sent :]
            except Exception as error:  # a bug in rendering: retry, but log loudly
                log.exception("outbox %s: could not render the message", row.id)
                await self.outcomes.failed(
                    row, TransientError(f"{type(error).__name__}: {error}"), result
                )
                continue
            limits = self.limits.get(row.platform)
            slots = [now] * len(parts)
            if limits is not None and parts:
                chat = limits.per_chat.get(row.chat_id or row.user_id)
                wait = chat.peek(now) - now
                if wait > self.max_wait:
                    await self.store.outbox.retry(
                        row.id, at=self.clock() + timedelta(seconds=wait), count_attempt=False
                    )
                    result.deferred += 1
                    continue
                slots = [chat.reserve(now) for _ in parts]  # every part takes the chat's slot
            tasks.append(
                asyncio.create_task(
                    self._deliver(row, list(zip(parts, slots, strict=True)), result)
                )
            )
        await asyncio.gather(*tasks)
        return result

    async def _deliver(
        self, row: OutboxMessage, parts: list[tuple[Part, float]], result: DrainResult
    ) -> None:
        """Send the parts not delivered yet, each at its chat slot, recording each one."""
        limits = self.limits.get(row.platform)
        transport = self.transports[row.platform]
        target = Target(row.user_id, row.chat_id)
        done = row.parts_sent
        last = row.parts_sent + len(parts)
        if not parts:  # nothing (left) to send
            await self.store.outbox.mark_sent([row.id], now=self.clock())
        perhaps: UncertainDelivery | None = None  # a part whose answer was unreadable
        for part, chat_slot in parts:
            await self._sleep_until(chat_slot)
            if limits is not None:
                await limits.overall.acquire(self._stopping)
            if self._stopping.is_set():
                await self.store.outbox.release([row.id], at=self.clock())
                result.deferred += 1
                return
            # a part counts as in flight until it is recorded: a worker killed at any moment
            # re-sends at most ``concurrency`` messages
            async with self._inflight:
                try:
                    sent = await self._send_part(row, transport, target, part, result)
                except UncertainDelivery as error:
                    # probably shown: never again, but the parts after it certainly were not
                    perhaps = error
                    sent = True
                if not sent:
                    return
                done += 1
                if done < last:
                    await self.store.outbox.mark_parts_sent(row.id, done)
                elif perhaps is not None:
                    await self.outcomes.failed(row, perhaps, result)
                    return
                else:
                    await self.store.outbox.mark_sent([row.id], now=self.clock())
        result.sent += 1
        metrics.OUTBOX_SENT.labels(row.platform, row.kind).inc()

    async def _send_part(
        self,
        row: OutboxMessage,
        transport: Transport,
        target: Target,
        part: Part,
        result: DrainResult,
    ) -> bool:
        """One platform message; False when it was not delivered (the row is dealt with).
        Raises :class:`UncertainDelivery` when the platform perhaps has it."""
        try:
            await transport.send_part(target, part)
        except UncertainDelivery:
            raise  # the caller decides: the parts after it are still to be sent
        except DeliveryError as error:
            await self.outcomes.failed(row, error, result)
            return False
        except Exception as error:  # a bug in a transport: retry, but log loudly
            log.exception("outbox %s: unexpected error while sending", row.id)
            await self.outcomes.failed(
                row, TransientError(f"{type(error).__name__}: {error}"), result
            )
            return False
        return True

    async def run_until_idle(self, *, within: float = 60.0) -> DrainResult:
        """Drain until nothing is pending any more (waiting for retries that are due within
        ``within`` seconds); for tests and the command line. Returns the totals."""
        total = DrainResult()
        deadline = time.monotonic() + within
        while not self._stopping.is_set():
            result = await self.drain_once()
            for name in ("claimed", "sent", "retried", "failed", "uncertain", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
            total.errors.extend(result.errors)
            if result.claimed:
                continue
            due = await self.store.outbox.next_due(self.transports)
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
        while not self._stopping.is_set():
            try:
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
        """Finish the calls in flight, hand unsent claimed rows back, close the transports."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        for sender in self.senders.values():
            await sender.release()
        for transport in self.transports.values():
            await transport.close()


def create_worker(services: Services, routes: Mapping[str, Route]) -> OutboxWorker | None:
    """The worker ``udx-bot run`` starts, over the ``routes`` the wiring made for the configured
    platforms (udx_bot/outbox_wiring.py); None when there is none."""

    if not routes:
        return None

    worker = OutboxWorker(
        services.store,
        routes,
        clock=services.clock,
        worker_name=services.settings.worker_name,
    )
    services.outbox.listeners.append(worker.wake)
    return worker
