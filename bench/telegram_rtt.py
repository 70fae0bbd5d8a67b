"""Many people at once against a slow Bot API: updates per second, time to reply and per-chat
order through the project's Telegram adapter, with concurrency and without, beside a bare
python-telegram-bot echo bot.

A fake Bot API in its own process (:mod:`bench.slow_bot_api`) answers every call after
``Config.rtt_ms`` (80 ms: a real round trip). Updates go into the ``Application``'s
``update_queue``, as the ``Updater`` puts those it polled; a handler after the adapter's notes
when each update was done. ``chats`` distinct people (200) send ``per_chat`` updates each, all at
once (the rates); then each of them sends one ``/find`` at once, and an update's time to reply is
from its arrival in the queue until it was done.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.figures import BOT_TOKEN, Config, Figures, _update, median_of, of_bursts, percentile
from bench.generate import Network
from udx_bot.context import Services

KEYS = (
    "tg_help_per_s_rtt",
    "tg_help_per_s_serial",
    "tg_find_per_s_rtt",
    "tg_find_per_s_serial",
    "tg_reply_p50_ms",
    "tg_reply_p99_ms",
    "tg_order_violations",
    "tg_echo_per_s_rtt",
    "tg_echo_aiohttp_per_s_rtt",
)


class Recorder:
    """Notes when each update was done (a PTB handler in a group after the adapter's)."""

    def __init__(self) -> None:
        self.done: dict[int, float] = {}
        self.order: dict[int, list[int]] = {}  # chat -> update ids in the order they were done
        self.wanted = 0
        self.all_done = asyncio.Event()

    def expect(self, count: int) -> None:
        self.done.clear()
        self.order.clear()
        self.wanted = count
        self.all_done.clear()

    async def __call__(self, update: Any, _context: Any) -> None:
        self.done[update.update_id] = time.perf_counter()
        chat = update.effective_chat.id if update.effective_chat else 0
        self.order.setdefault(chat, []).append(update.update_id)
        if len(self.done) >= self.wanted:
            self.all_done.set()


@dataclasses.dataclass
class Burst:
    per_s: float
    latencies_ms: list[float]
    violations: int


async def burst(
    app: Any, recorder: Recorder, updates: list[dict[str, Any]], within: float
) -> Burst:
    """Put every update into the queue at once; wait until all are done."""
    from telegram import Update

    recorder.expect(len(updates))
    arrived: dict[int, float] = {}
    started = time.perf_counter()
    for data in updates:
        update = Update.de_json(data, app.bot)
        arrived[update.update_id] = time.perf_counter()
        app.update_queue.put_nowait(update)
    await asyncio.wait_for(recorder.all_done.wait(), within)
    elapsed = max(recorder.done.values()) - started
    latencies = [(recorder.done[i] - arrived[i]) * 1000 for i in arrived]
    violations = sum(
        1 for ids in recorder.order.values() for a, b in itertools.pairwise(ids) if b < a
    )
    return Burst(len(updates) / elapsed, latencies, violations)


class Updates:
    """Update dicts from the network's people, ids never used before."""

    def __init__(self, network: Network, chats: int) -> None:
        self.network = network
        self.pids = network.participant_ids[: max(1, min(chats, len(network.participant_ids)))]
        self.next_id = 50_000_000 + time.time_ns() % 1_000_000 * 1000

    def make(
        self, text: Callable[[int], str], per_chat: int, chats: int | None = None
    ) -> list[Any]:
        pids = self.pids[: chats or len(self.pids)]
        found = []
        for _round in range(per_chat):  # round by round: each chat's updates in order
            for i, pid in enumerate(pids):
                self.next_id += 1
                user = self.network.user_ids[pid]
                found.append(_update(self.next_id, user, self.network.languages[pid], text(i)))
        return found


async def _adapter(services: Services, base_url: str, concurrency: int) -> tuple[Any, Recorder]:
    from telegram import Update
    from telegram.ext import TypeHandler

    from udx_bot.platforms.telegram import TelegramService

    settings = dataclasses.replace(
        services.settings,
        telegram_bot_token=BOT_TOKEN,
        telegram_api_base_url=base_url,
        concurrent_updates=concurrency,
    )
    service = TelegramService(dataclasses.replace(services, settings=settings))
    recorder = Recorder()
    service.application.add_handler(TypeHandler(Update, recorder), group=1)
    return service.application, recorder


async def _echo(base_url: str, aiohttp_request: bool) -> tuple[Any, Recorder]:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, TypeHandler, filters

    from udx_bot.platforms.telegram_request import AiohttpRequest

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        await message.reply_text(message.text)

    builder = ApplicationBuilder().token(BOT_TOKEN).base_url(base_url).updater(None)
    if aiohttp_request:
        builder = builder.request(AiohttpRequest(256))
    app = builder.concurrent_updates(256).job_queue(None).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    recorder = Recorder()
    app.add_handler(TypeHandler(Update, recorder), group=1)
    return app, recorder


async def _measure(
    made: tuple[Any, Recorder], bursts: list[list[dict[str, Any]]], within: float
) -> list[Burst]:
    app, recorder = made
    results = []
    async with app:
        await app.start()
        try:
            for updates in bursts:
                results.append(await burst(app, recorder, updates, within))
        finally:
            await app.stop()
    return results


async def telegram_rtt(services: Services, network: Network, config: Config) -> Figures:
    figures = Figures()
    try:
        from bench.slow_bot_api import slow_bot_api
    except ImportError:  # pragma: no cover - tests.fakes is part of a checkout
        figures.unavailable(list(KEYS), "tests.fakes is missing (run from a checkout)")
        return figures
    if services.router.resolve("find") is None:
        figures.unavailable(list(KEYS), "/find is not available in this build")
        return figures
    made = Updates(network, config.rtt_chats)
    chats = len(made.pids)
    serial_chats = max(1, min(chats, config.rtt_serial_updates))
    within = 120.0
    async with slow_bot_api(config.rtt_ms) as base_url:
        # warm up: every person's identity is known, the caches are filled
        await _measure(await _adapter(services, base_url, 64), [made.make(_help, 1)], within)
        rounds = max(1, config.rtt_repetitions)
        concurrent = await _measure(
            await _adapter(services, base_url, services.settings.concurrent_updates),
            [
                burst
                for _round in range(rounds)
                for burst in (
                    made.make(_help, config.rtt_per_chat),
                    made.make(_find, config.rtt_per_chat),
                    made.make(_find, 1),  # every chat sends one /find at once: time to reply
                )
            ],
            within,
        )
        serial = await _measure(
            await _adapter(services, base_url, 1),
            [made.make(_help, 1, serial_chats), made.make(_find, 1, serial_chats)],
            within,
        )
        echo = await _measure(
            await _echo(base_url, False), [made.make(_hello, config.rtt_per_chat)], within
        )
        echo_aiohttp = await _measure(
            await _echo(base_url, True), [made.make(_hello, config.rtt_per_chat)], within
        )
    helps, finds, replies = concurrent[0::3], concurrent[1::3], concurrent[2::3]

    figures.values.update(
        {
            "tg_help_per_s_rtt": median_of([b.per_s for b in helps]),
            "tg_help_per_s_serial": round(serial[0].per_s, 1),
            "tg_find_per_s_rtt": median_of([b.per_s for b in finds]),
            "tg_find_per_s_serial": round(serial[1].per_s, 1),
            "tg_reply_p50_ms": median_of([statistics.median(b.latencies_ms) for b in replies]),
            "tg_reply_p99_ms": median_of([percentile(b.latencies_ms, 99) for b in replies]),
            "tg_order_violations": sum(b.violations for b in concurrent),
            "tg_echo_per_s_rtt": round(echo[0].per_s, 1),
            "tg_echo_aiohttp_per_s_rtt": round(echo_aiohttp[0].per_s, 1),
        }
    )
    figures.notes["tg_help_per_s_rtt"] = (
        f"{chats} chats x {config.rtt_per_chat} updates at once, {config.rtt_ms:g} ms per Bot API "
        f"call, UDX_CONCURRENT_UPDATES={services.settings.concurrent_updates}, "
        f"{of_bursts(rounds)}; serial: {serial_chats} updates one at a time"
    )
    figures.notes["tg_reply_p99_ms"] = (
        f"from the update's arrival to its reply being done, {chats} chats sending one /find "
        f"each at once, {of_bursts(rounds)}"
    )
    figures.notes["tg_echo_per_s_rtt"] = (
        "a bare PTB echo bot, concurrent_updates(256), PTB's default (httpx) request; "
        "tg_echo_aiohttp_per_s_rtt: the same on udx-bot's aiohttp request"
    )
    return figures


def _help(_i: int) -> str:
    return "/help"


def _find(_i: int) -> str:
    return "/find"


def _hello(i: int) -> str:
    return f"hello {i}"
