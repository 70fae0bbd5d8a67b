"""Many people at once on Slack against a slow Slack: how fast each request is acknowledged, how
long until its answer arrives, and commands answered per second, with concurrency and without.

A fake Slack in its own process (:mod:`bench.slow_slack_api`) answers every Web API call and
every ``response_url`` post after ``Config.rtt_ms`` (80 ms: a real round trip). The project's
Slack adapter (the real Bolt ``AsyncApp``) serves ``POST /slack/events`` on its aiohttp server;
``rtt_chats`` distinct people (200), each with a Slack identity of their own, send one signed
``/udx find`` slash command at once, from one aiohttp client session (as many connections as
requests, as Slack opens). A request's ack time is the HTTP response time of its POST (Slack
allows 3 s); its time to reply is from sending it until its first ``response_url`` post arrived
at the fake. Before each measured burst every person sends ``/udx help`` once, so their Slack
profile (``users.info``) is cached, as it is for anyone who used the bot within the hour.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from bench.figures import Config, Figures, median_of, of_bursts, percentile
from bench.generate import Network
from udx_bot.context import Services

KEYS = (
    "slack_ack_p50_ms",
    "slack_ack_p99_ms",
    "slack_reply_p50_ms",
    "slack_reply_p99_ms",
    "slack_find_per_s_rtt",
    "slack_find_per_s_serial",
)
TOKEN = "xoxb-udx-bench"
SECRET = "udx-bench-signing-secret"
TEAM_ID = "T0UDXBENCH"


@dataclasses.dataclass
class Burst:
    per_s: float
    acks_ms: list[float]
    replies_ms: list[float]


async def _slack_people(services: Services, network: Network, count: int) -> list[str]:
    """Slack user ids of the first ``count`` people, each given a Slack identity once."""
    from storage.bulk import BulkLoader
    from storage.tables import identities

    pids = network.participant_ids[: max(1, min(count, len(network.participant_ids)))]
    users = [f"UB{pid:09d}" for pid in pids]
    store = services.store
    if await store.participants.identity("slack", users[0]) is not None:
        return users
    loader = BulkLoader(store.db)
    first = await loader.next_id(identities)
    now = services.clock()
    rows = [
        {
            "id": first + n,
            "participant_id": pid,
            "platform": "slack",
            "user_id": user,
            "chat_id": None,
            "username": None,
            "display_name": f"Bench {user}",
            "language_code": network.languages[pid],
            "created_at": now,
        }
        for n, (pid, user) in enumerate(zip(pids, users, strict=True))
    ]
    await loader.insert(identities, rows)
    await loader.finish()
    return users


@asynccontextmanager
async def _service(services: Services, base_url: str, concurrency: int) -> AsyncIterator[Any]:
    """The Slack adapter with ``UDX_CONCURRENT_UPDATES=concurrency`` on a server of its own;
    yields (service, its events URL)."""
    from udx_bot.platforms.slack import SlackService
    from udx_bot.web import build_app, start_server

    settings = dataclasses.replace(services.settings, concurrent_updates=concurrency)
    service = SlackService(
        dataclasses.replace(services, settings=settings),
        token=TOKEN,
        signing_secret=SECRET,
        api_url=f"{base_url}/api/",
    )
    runner, port = await start_server(build_app(service.routes()), 0, host="127.0.0.1")
    await service.start()
    try:
        yield service, f"http://127.0.0.1:{port}/slack/events"
    finally:
        await service.stop()
        await runner.cleanup()


class Sender:
    """Signed slash commands, all at once, from one client session."""

    def __init__(self, session: Any, base_url: str) -> None:
        from tests.fakes.slack_api import sign_slack_request

        self.session = session
        self.base_url = base_url
        self.sign = sign_slack_request
        self.count = 0
        self.bursts = 0

    async def _one(self, url: str, user: str, text: str, key: str, sent: dict[str, float]) -> float:
        self.count += 1
        form = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "udx-bench",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/udx",
            "text": text,
            "api_app_id": "A0UDX",
            "response_url": f"{self.base_url}/response_url/{key}",
            "trigger_id": f"trigger-{self.count}",
        }
        body = urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self.sign(SECRET, body)}
        sent[key] = time.monotonic()
        async with self.session.post(url, data=body, headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"Slack request answered {response.status}")
        return (time.monotonic() - sent[key]) * 1000

    async def burst(self, url: str, users: list[str], text: str, within: float) -> Burst:
        """Every person sends ``/udx <text>`` at once; waits until each was answered."""
        sent: dict[str, float] = {}
        self.bursts += 1
        prefix = f"b{self.bursts}-"
        keys = [f"{prefix}{user}" for user in users]
        started = time.monotonic()
        acks = await asyncio.gather(
            *(self._one(url, u, text, k, sent) for u, k in zip(users, keys, strict=True))
        )
        query = {"prefix": prefix, "count": str(len(keys)), "within": str(within)}
        async with self.session.get(f"{self.base_url}/bench/arrivals", params=query) as answer:
            arrivals: dict[str, list[float]] = await answer.json()
        missing = [k for k in keys if k not in arrivals]
        if missing:
            raise RuntimeError(f"{len(missing)} of {len(keys)} slash commands got no answer")
        first = {k: min(arrivals[k]) for k in keys}
        replies = [(first[k] - sent[k]) * 1000 for k in keys]
        return Burst(len(keys) / (max(first.values()) - started), list(acks), replies)


async def _measure(
    services: Services,
    sender: Sender,
    base_url: str,
    users: list[str],
    concurrency: int,
    within: float,
    rounds: int = 1,
) -> list[Burst]:
    async with _service(services, base_url, concurrency) as (service, url):
        await sender.burst(url, users, "help", within)  # warm up: profiles cached
        await service.drain()
        measured = []
        for _round in range(rounds):
            measured.append(await sender.burst(url, users, "find", within))
            await service.drain()
    return measured


async def slack_rtt(services: Services, network: Network, config: Config) -> Figures:
    figures = Figures()
    try:
        from bench.slow_slack_api import slow_slack_api
        from tests.fakes import slack_api as _fake  # noqa: F401 - the fake is there
    except ImportError:  # pragma: no cover - tests.fakes is part of a checkout
        figures.unavailable(list(KEYS), "tests.fakes is missing (run from a checkout)")
        return figures
    if services.router.resolve("find") is None:
        figures.unavailable(list(KEYS), "/find is not available in this build")
        return figures
    import aiohttp

    users = await _slack_people(services, network, config.rtt_chats)
    serial_users = users[: max(1, min(len(users), config.rtt_serial_updates))]
    concurrency = services.settings.concurrent_updates
    within = 120.0
    connector = aiohttp.TCPConnector(limit=0)  # one connection per request in flight
    async with (
        slow_slack_api(config.rtt_ms) as base_url,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        sender = Sender(session, base_url)
        rounds = max(1, config.rtt_repetitions)
        concurrent = await _measure(services, sender, base_url, users, concurrency, within, rounds)
        (serial,) = await _measure(services, sender, base_url, serial_users, 1, within)
    acks = [ms for b in concurrent for ms in b.acks_ms] + serial.acks_ms

    figures.values.update(
        {
            "slack_ack_p50_ms": median_of(acks),
            "slack_ack_p99_ms": round(percentile(acks, 99), 1),
            "slack_reply_p50_ms": median_of([statistics.median(b.replies_ms) for b in concurrent]),
            "slack_reply_p99_ms": median_of([percentile(b.replies_ms, 99) for b in concurrent]),
            "slack_find_per_s_rtt": median_of([b.per_s for b in concurrent]),
            "slack_find_per_s_serial": round(serial.per_s, 1),
        }
    )
    figures.notes["slack_ack_p99_ms"] = (
        f"HTTP response time of the signed POST /slack/events (Slack allows 3,000 ms), "
        f"{len(users)} people sending one /udx find each at once, then {len(serial_users)} of "
        "them at once with UDX_CONCURRENT_UPDATES=1"
    )
    figures.notes["slack_reply_p99_ms"] = (
        f"from sending the slash command until its response_url answer arrived, {len(users)} "
        f"people at once, {config.rtt_ms:g} ms per Slack call, "
        f"UDX_CONCURRENT_UPDATES={concurrency}, {of_bursts(rounds)}"
    )
    figures.notes["slack_find_per_s_rtt"] = (
        f"/udx find answered per second, {len(users)} people at once, {of_bursts(rounds)}; "
        f"serial: {len(serial_users)} people at once with UDX_CONCURRENT_UPDATES=1"
    )
    return figures
