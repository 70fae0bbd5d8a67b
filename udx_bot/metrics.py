"""The bot's Prometheus metrics (``GET /metrics`` on the web server, udx_bot/web.py).

Counted where it happens: updates and reply latency by the router's ``measure`` middleware
(udx_bot/middleware.py, every update passes it), outbox sends, failures and 429s by the outbox
worker, digest runs and announcement deliveries by the scheduler's jobs; the outbox depth is
read from the database at each scrape. Each process counts its own (a worker serves
``/metrics`` when ``PORT`` is set).
"""

from __future__ import annotations

import logging

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from storage import Store
from storage.health import outbox_depth

log = logging.getLogger(__name__)

UPDATES = Counter(
    "udx_updates", "Updates handled, by platform and command", ["platform", "command"]
)
REPLY_SECONDS = Histogram(
    "udx_reply_seconds",
    "Time from an update's arrival in the router to its replies being handed over",
    ["platform"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OUTBOX_SENT = Counter(
    "udx_outbox_sent",
    "Outbox messages delivered, by platform and kind (announcement, digest, introduction, ...)",
    ["platform", "kind"],
)
OUTBOX_FAILED = Counter("udx_outbox_failed", "Outbox messages failed for good", ["platform"])
OUTBOX_RATE_LIMITED = Counter(
    "udx_outbox_rate_limited", "Sends the platform refused with 429", ["platform"]
)
OUTBOX_DEPTH = Gauge("udx_outbox_depth", "Outbox messages pending", ["platform"])
DIGEST_RUNS = Counter(
    "udx_digest_runs", "Digests of the scheduler's ticks, by outcome", ["outcome"]
)
ANNOUNCEMENTS = Counter("udx_announcements_released", "Scheduled announcements released")
TRANSLATIONS = Counter(
    "udx_translations", "Note translations by the scheduler's job, by outcome", ["outcome"]
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


async def exposition(store: Store | None) -> bytes:
    """The text format; the outbox depth read now (left as it was if the database fails)."""
    if store is not None:
        try:
            depth = await outbox_depth(store.db)
        except Exception:
            log.debug("metrics: could not read the outbox depth", exc_info=True)
        else:
            for labels in list(OUTBOX_DEPTH._metrics):
                if labels[0] not in depth:
                    OUTBOX_DEPTH.labels(*labels).set(0)
            for platform, n in depth.items():
                OUTBOX_DEPTH.labels(platform).set(n)
    return generate_latest(REGISTRY)
