"""Many people at once on Slack: every request is acknowledged at once, at most
``UDX_CONCURRENT_UPDATES`` of them are worked on at the same time, and one person's requests are
answered in the order they came. The real Bolt AsyncApp behind our aiohttp server, FakeSlack
recording the answers; the work is counted in a test feature of the real router. On SQLite and
on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from handlers import build_router
from storage import Store
from tests.fakes.slack_api import FakeSlack, message_text
from tests.slack_support import SlackHarness, harness
from tests.slack_support import fake_slack as fake_slack  # the fixture
from tests.support import FakeClock
from udx_bot.config import Settings
from udx_bot.context import Context, Services
from udx_bot.router import Router
from udx_bot.types import Reply

BOUND = 2
PEOPLE = [f"UBUSY{n:02d}" for n in range(10)]
ORDERED = "UORDER"
GERMAN, ENGLISH = "UDE", "UEN"


class Work:
    """The test feature ``/udx work <n>``: counts the requests in work, holds them at a gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.in_work = 0
        self.most = 0
        self.full = asyncio.Event()  # BOUND requests are in work

    def router(self) -> Router:
        router = Router()

        @router.command("work", registered=False)
        async def work(ctx: Context) -> Reply:
            self.in_work += 1
            self.most = max(self.most, self.in_work)
            if self.in_work >= BOUND:
                self.full.set()
            try:
                await self.gate.wait()
                return Reply.text(f"done {ctx.args}")
            finally:
                self.in_work -= 1

        return router


@pytest.fixture
def services(any_store: Store, clock: FakeClock) -> Services:
    """On SQLite and on PostgreSQL, at most BOUND requests in work."""
    settings = Settings(concurrent_updates=BOUND)
    return Services(settings=settings, store=any_store, router=build_router(), clock=clock)


@pytest.fixture
def work() -> Work:
    return Work()


@pytest.fixture
async def h(services: Services, fake_slack: FakeSlack, work: Work) -> AsyncIterator[SlackHarness]:
    services.router.include(work.router())
    fake_slack.add_user(GERMAN, locale="de-DE", real_name="Anna Berg")
    fake_slack.add_user(ENGLISH, locale="en-US", real_name="Sam Lee")
    async for ready in harness(services, fake_slack):
        yield ready


def answers(fake: FakeSlack, user: str) -> list[str]:
    return [message_text(body) for body in fake.responses(user)]


async def test_all_are_acknowledged_at_most_the_bound_in_work_and_one_persons_in_order(
    h: SlackHarness, work: Work
) -> None:
    sent = await asyncio.gather(*(h.command(user, f"work {user}") for user in PEOPLE))
    # every request was acknowledged while the work is held at the gate
    assert [s.status for s in sent] == [200] * len(PEOPLE)
    await asyncio.wait_for(work.full.wait(), 5)
    for n in range(1, 6):  # one person's five quick commands, while the others are busy
        assert (await h.command(ORDERED, f"work {n}")).status == 200
    assert work.in_work == BOUND

    work.gate.set()
    await h.settle()
    assert work.most == BOUND
    for user in PEOPLE:
        assert answers(h.fake, user) == [f"done {user}"]
    assert answers(h.fake, ORDERED) == [f"done {n}" for n in range(1, 6)]


async def test_refused_requests_are_answered_while_the_work_is_full(
    h: SlackHarness, work: Work
) -> None:
    await asyncio.gather(*(h.command(user, "work held") for user in PEOPLE[:BOUND]))
    await asyncio.wait_for(work.full.wait(), 5)
    unsigned = await h.post(
        b"command=%2Fudx&user_id=U1", "application/x-www-form-urlencoded", secret=None
    )
    unreadable = await h.post(b"{not json", "application/json")  # signed
    assert unsigned.status == 401 and unreadable.status == 400
    assert work.in_work == BOUND  # nothing of them was taken into work

    work.gate.set()
    await h.settle()
    assert work.most == BOUND
    assert all(answers(h.fake, user) == ["done held"] for user in PEOPLE[:BOUND])


async def test_waiting_behind_the_bound_people_get_their_own_language(
    h: SlackHarness, work: Work
) -> None:
    await asyncio.gather(*(h.command(user, "work held") for user in PEOPLE[:BOUND]))
    await asyncio.wait_for(work.full.wait(), 5)
    assert (await h.command(GERMAN, "help")).status == 200
    assert (await h.command(ENGLISH, "help")).status == 200
    assert h.fake.responses(GERMAN) == [] and h.fake.responses(ENGLISH) == []  # waiting

    work.gate.set()
    await h.settle()
    assert "Befehle" in answers(h.fake, GERMAN)[0]
    assert "Commands" in answers(h.fake, ENGLISH)[0]


async def test_answers_share_one_session_and_keep_its_connection(h: SlackHarness) -> None:
    for _ in range(3):  # one after the other: the connection is kept alive in between
        await h.command(ENGLISH, "help")
        await h.settle()
    assert len(h.fake.response_peers) == 3
    assert len(set(h.fake.response_peers)) == 1  # one connection, not one per answer
    assert h.service.client.session is not None and not h.service.client.session.closed
