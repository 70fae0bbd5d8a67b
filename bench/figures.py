"""The figures: each a coroutine that measures one thing and returns ``{key: value}`` plus
notes (why a value is null, how it was measured)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bench.generate import Network
from bench.sqlfloor import Replayer, Statement, capture
from udx_bot.context import Services
from udx_bot.types import Actor, Incoming, Reply

os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22: durations as timedelta, no warning

NOT_AVAILABLE = "not available in this build"


@dataclass(frozen=True)
class Config:
    participants: int = 10_000
    notes: int = 100_000
    repetitions: int = 5  # each figure is the median over these
    calls: int = 200  # router calls per repetition and command
    floor_samples: int = 50  # router calls whose SQL is replayed for the floor
    telegram_updates: int = 300  # updates per repetition through the PTB Application
    fanout: int = 1_500
    seed: int = 20261125
    rtt_ms: float = 80.0  # the slow fake Bot API's delay per call (bench/telegram_rtt.py)
    rtt_chats: int = 200  # distinct people sending at once
    rtt_per_chat: int = 3  # updates each of them sends
    rtt_serial_updates: int = 60  # updates measured with concurrency off
    # the many-people bursts, each figure the median over them (one burst's rate swings by a
    # quarter from run to run on this 2-core machine)
    rtt_repetitions: int = 3

    @classmethod
    def quick(cls, fanout: int | None = None) -> Config:
        # a smoke run (CI, tests/test_bench.py): every step once, small and fast; its figures
        # say nothing about speed
        return cls(
            participants=300,
            notes=2_000,
            repetitions=2,
            calls=20,
            floor_samples=6,
            telegram_updates=30,
            fanout=30 if fanout is None else fanout,
            rtt_ms=20.0,
            rtt_chats=20,
            rtt_per_chat=2,
            rtt_serial_updates=4,
            rtt_repetitions=1,
        )


@dataclass
class Figures:
    values: dict[str, float | int | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def unavailable(self, keys: Sequence[str], reason: str) -> None:
        for key in keys:
            self.values[key] = None
            self.notes[key] = reason


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median_of(values: Sequence[float]) -> float:
    """The median, rounded as the figures are (one decimal)."""
    return round(statistics.median(values), 1)


def of_bursts(rounds: int) -> str:
    """How a many-people figure was taken, for its note: "one burst", "median of 3 bursts"."""
    return "one burst" if rounds == 1 else f"median of {rounds} bursts"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


@contextmanager
def _errors_logged(name: str) -> Iterator[list[logging.LogRecord]]:
    """Collect ERROR records of ``name`` (the router logs a failing handler there)."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(logging.ERROR)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def _failure(records: list[logging.LogRecord]) -> str:
    record = records[0]
    detail = ""
    if record.exc_info and record.exc_info[1] is not None:
        detail = f": {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
    return f"the handler failed on the generated data ({record.getMessage()}{detail})"


def actor_for(network: Network, pid: int) -> Actor:
    user_id = network.user_ids[pid]
    return Actor("telegram", user_id, language_code=network.languages[pid], chat_id=user_id)


# --- latency through the router, and its SQL floor --------------------------------------------

COMMANDS: dict[str, Callable[[Network, int], str]] = {
    "find": lambda network, i: "/find",
    "notes": lambda network, i: "/notes",
    "search": lambda network, i: "/search " + network.search_terms[i % len(network.search_terms)],
}


async def latency(
    services: Services, network: Network, config: Config, replayer: Replayer
) -> Figures:
    figures = Figures()
    rng = random.Random(config.seed)
    readers = rng.sample(network.participant_ids, min(100, len(network.participant_ids)))
    for command, text_for in COMMANDS.items():
        keys = [f"{command}_p50_ms", f"{command}_p99_ms", f"{command}_sql_p50_ms"]
        if services.router.resolve(command) is None:
            figures.unavailable(keys, f"/{command}: {NOT_AVAILABLE}")
            continue

        def incoming(i: int, command: str = command, text_for: Any = text_for) -> Incoming:
            pid = readers[i % len(readers)]
            return Incoming(actor_for(network, pid), text=text_for(network, i))

        async def dispatch(i: int) -> list[Reply]:
            return await services.router.dispatch(services, incoming(i))

        with _errors_logged("udx_bot.dispatch") as failures:
            for i in range(len(readers)):  # warm-up: every reader once
                await dispatch(i)
        if failures:
            figures.unavailable(keys, _failure(failures))
            continue

        p50s, p99s = [], []
        for rep in range(config.repetitions):
            samples = []
            for i in range(config.calls):
                started = time.perf_counter()
                await dispatch(rep * config.calls + i)
                samples.append(time.perf_counter() - started)
            p50s.append(percentile(samples, 50))
            p99s.append(percentile(samples, 99))

        captured: list[list[Statement]] = []
        for i in range(config.floor_samples):
            with capture(services.store.db.engine) as recorded:
                await dispatch(i)
            captured.append(recorded.statements)
        floors = []
        for _rep in range(config.repetitions):
            floors.append(percentile([await replayer.run(s) for s in captured], 50))

        figures.values[keys[0]] = _ms(statistics.median(p50s))
        figures.values[keys[1]] = _ms(statistics.median(p99s))
        figures.values[keys[2]] = _ms(statistics.median(floors))
        figures.extra[f"{command}_statements_per_call"] = statistics.median(
            len(s) for s in captured
        )
        figures.extra[f"{command}_slowest_sql"] = await slowest_statement(replayer, captured)
    return figures


async def slowest_statement(
    replayer: Replayer, captured: Sequence[Sequence[Statement]]
) -> dict[str, Any]:
    """Where a command's SQL time goes: the statement with the largest median replay time."""
    per_position: dict[int, list[float]] = {}
    for statements in captured:
        timings: list[float] = []
        await replayer.run(statements, timings)
        for position, seconds in enumerate(timings):
            per_position.setdefault(position, []).append(seconds)
    if not per_position:
        return {}
    position, samples = max(per_position.items(), key=lambda item: statistics.median(item[1]))
    # runs may differ in length (a first update reads what later ones find cached)
    example = next(statements for statements in captured if len(statements) > position)
    sql = " ".join(example[position].sql.split())
    return {"ms": _ms(statistics.median(samples)), "sql": sql[:300]}


# --- updates per second through the real python-telegram-bot Application -----------------------

BOT_TOKEN = "123456:BENCHMARK-offline-token"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "UDX Bench Bot",
    "username": "udx_bench_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


def _recording_request_class() -> type:
    from telegram.request import BaseRequest, RequestData

    class RecordingRequest(BaseRequest):
        """Answers every Bot API call from memory (no network) and records the methods."""

        def __init__(self) -> None:
            self.calls: list[str] = []
            self._message_ids = 0

        @property
        def read_timeout(self) -> float | None:
            return None

        async def initialize(self) -> None:
            pass

        async def shutdown(self) -> None:
            pass

        async def do_request(
            self,
            url: str,
            method: str,
            request_data: RequestData | None = None,
            read_timeout: Any = None,
            write_timeout: Any = None,
            connect_timeout: Any = None,
            pool_timeout: Any = None,
        ) -> tuple[int, bytes]:
            name = url.rsplit("/", 1)[-1]
            self.calls.append(name)
            params = request_data.parameters if request_data is not None else {}
            result: Any = True
            if name == "getMe":
                result = BOT_USER
            elif name.startswith(("send", "edit", "copy")):
                self._message_ids += 1
                chat_id = params.get("chat_id", 1)
                result = {
                    "message_id": self._message_ids,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private", "first_name": "User"},
                    "from": BOT_USER,
                    "text": str(params.get("text", "")),
                }
            elif name == "getUpdates":
                result = []
            return 200, json.dumps({"ok": True, "result": result}).encode()

    return RecordingRequest


def _update(update_id: int, user_id: str, language: str, text: str) -> dict[str, Any]:
    uid = int(user_id)
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": uid, "type": "private", "first_name": "User"},
        "from": {"id": uid, "is_bot": False, "first_name": "User", "language_code": language},
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


@contextmanager
def _offline_builder(request_class: type) -> Iterator[list[Any]]:
    """While active, every ``ApplicationBuilder.build()`` gets the offline request and the
    built applications are collected (so the project's adapter builds its own Application and
    the benchmark drives that one)."""
    from telegram.ext import ApplicationBuilder

    built: list[Any] = []
    original = ApplicationBuilder.build

    def build(self: Any) -> Any:
        self.request(request_class())
        self.get_updates_request(request_class())
        app = original(self)
        built.append(app)
        return app

    ApplicationBuilder.build = build  # type: ignore[method-assign]
    try:
        yield built
    finally:
        ApplicationBuilder.build = original  # type: ignore[method-assign]


def _project_application(services: Services, request_class: type) -> Any:
    """The Application the project's Telegram adapter builds (with its handlers), offline."""
    from udx_bot.platforms.telegram import service as telegram_service

    settings = dataclasses.replace(services.settings, telegram_bot_token=BOT_TOKEN)
    adapter_services = dataclasses.replace(services, settings=settings)
    with _offline_builder(request_class) as built:
        adapter = telegram_service(adapter_services)
    assert adapter is not None and built
    return built[-1]


def _echo_application(request_class: type) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        await message.reply_text(message.text)

    app = (
        ApplicationBuilder()
        .token(BOT_TOKEN)
        .request(request_class())
        .get_updates_request(request_class())
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def _updates_per_second(
    app: Any, network: Network, config: Config, text_for: Callable[[int], str], first_id: int
) -> float:
    from telegram import Update

    pids = network.participant_ids[: max(1, min(200, len(network.participant_ids)))]
    rates = []
    update_id = first_id
    for _rep in range(config.repetitions):
        started = time.perf_counter()
        for i in range(config.telegram_updates):
            pid = pids[i % len(pids)]
            update_id += 1
            data = _update(update_id, network.user_ids[pid], network.languages[pid], text_for(i))
            await app.process_update(Update.de_json(data, app.bot))
        rates.append(config.telegram_updates / (time.perf_counter() - started))
    return statistics.median(rates)


async def telegram(services: Services, network: Network, config: Config) -> Figures:
    figures = Figures()
    request_class = _recording_request_class()

    echo = _echo_application(request_class)
    async with echo:
        figures.values["telegram_echo_per_s"] = round(
            await _updates_per_second(echo, network, config, lambda i: f"hello {i}", 1), 1
        )
        sent = echo.bot.request.calls.count("sendMessage")  # type: ignore[attr-defined]
    if sent < config.telegram_updates * config.repetitions:
        figures.values["telegram_echo_per_s"] = None
        figures.notes["telegram_echo_per_s"] = f"the echo handler answered only {sent} updates"

    if services.router.resolve("find") is None:
        figures.unavailable(["telegram_find_per_s"], f"/find: {NOT_AVAILABLE}")
        return figures
    app = _project_application(services, request_class)
    figures.notes["telegram_find_per_s"] = "through the project's Telegram adapter"
    with _errors_logged("udx_bot.dispatch") as failures:
        async with app:
            rate = await _updates_per_second(app, network, config, lambda i: "/find", 10_000_000)
            sent = app.bot.request.calls.count("sendMessage")
    if failures:
        figures.unavailable(["telegram_find_per_s"], _failure(failures))
    elif sent < config.telegram_updates * config.repetitions:
        figures.unavailable(
            ["telegram_find_per_s"], f"/find through Telegram answered only {sent} updates"
        )
    else:
        figures.values["telegram_find_per_s"] = round(rate, 1)
    return figures


# --- digests ------------------------------------------------------------------------------------


async def digests(services: Services, network: Network, config: Config) -> Figures:
    """Every participant's digest for the past week, as a digest run builds them: the week's
    data loaded once, then each digest composed (udx_bot.digest)."""
    from udx_bot.digest import DigestRun, build_digest

    figures = Figures()
    store = services.store
    times = []
    built = 0
    for _rep in range(min(config.repetitions, 3)):
        started = time.perf_counter()
        now = services.clock()
        since = now - timedelta(days=7)
        run = await DigestRun.load(services, since, now)
        built = 0
        ids = network.participant_ids
        for start in range(0, len(ids), 500):
            people = await store.participants.get_many(ids[start : start + 500])
            for participant in people.values():
                replies = await build_digest(services, participant, since=since, until=now, run=run)
                built += replies is not None
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    figures.values["digest_build_s"] = round(seconds, 3)
    figures.values["digests_per_s"] = round(len(network.participant_ids) / seconds, 1)
    figures.notes["digest_build_s"] = (
        f"udx_bot.digest, {len(network.participant_ids):,} participants ({built:,} with news), "
        "loading included"
    )
    return figures


# --- outbox fan-out against a rate-limited fake Bot API ------------------------------------------


async def fanout(services: Services, network: Network, config: Config) -> Figures:
    """An announcement to N Telegram recipients through the outbox worker that ``udx-bot run``
    starts, against a fake Bot API that enforces the configured rate with 429s."""
    from udx_bot.outbox_wiring import outbox_service

    figures = Figures()
    keys = ["fanout_rate_fraction", "fanout_lost", "fanout_429"]
    try:
        from tests.fakes.telegram_api import FakeTelegram
    except ImportError:
        figures.unavailable(keys, "tests.fakes is missing (run the benchmark from a checkout)")
        return figures

    recipients = network.participant_ids[: config.fanout]
    rate = services.settings.telegram_rate
    async with FakeTelegram(global_rate=rate, per_chat_rate=1) as fake:
        settings = dataclasses.replace(
            services.settings, telegram_bot_token=BOT_TOKEN, telegram_api_base_url=fake.base_url
        )
        worker = outbox_service(dataclasses.replace(services, settings=settings))
        assert worker is not None
        run_id = f"{time.time_ns()}"
        announcement = Reply.text("Bench announcement: the network meets on Thursday.")
        for pid in recipients:
            await services.store.outbox.enqueue(
                key=f"bench:{run_id}:{pid}",
                kind="announcement",
                now=services.clock(),
                platform="telegram",
                user_id=network.user_ids[pid],
                chat_id=network.user_ids[pid],
                payload=[announcement.to_json()],
                participant_id=pid,
            )
        wanted = {int(network.user_ids[pid]) for pid in recipients}

        def delivered() -> int:
            return sum(
                1 for c in fake.calls if c.ok and c.method == "sendMessage" and c.chat_id in wanted
            )

        deadline = len(recipients) / rate * 3 + 30
        started = time.perf_counter()
        await worker.start()
        try:
            # polling: the condition lives in the fake server, which has no event for it
            while delivered() < len(recipients) and time.perf_counter() - started < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            await asyncio.sleep(0.5)  # late duplicates would show up here
        finally:
            await worker.stop()
        counts: dict[Any, int] = {}
        for c in fake.calls:
            if c.ok and c.method == "sendMessage" and c.chat_id in wanted:
                counts[c.chat_id] = counts.get(c.chat_id, 0) + 1
        lost = sum(1 for chat in wanted if counts.get(chat, 0) != 1)
        achieved = delivered() / elapsed
        figures.values["fanout_rate_fraction"] = round(achieved / rate, 3)
        figures.values["fanout_lost"] = lost
        figures.values["fanout_429"] = fake.count_429
        figures.notes["fanout_rate_fraction"] = (
            f"{len(recipients)} recipients at {rate:g}/s configured: {achieved:.1f}/s achieved "
            "(the outbox worker of udx-bot run, Telegram transport)"
        )
    return figures


# --- memory -------------------------------------------------------------------------------------


def rss() -> Figures:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Figures(values={"rss_mb": round(peak_kb / 1024, 1)})
