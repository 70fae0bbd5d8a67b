"""Membership through the real Bolt app (FakeSlack): workspace members count as invited, unless
UDX_SLACK_REQUIRE_INVITE=1, when a code (``/udx start <code>``) lets them in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tests.fakes.slack_api import FakeSlack, message_text
from tests.slack_support import SlackHarness, harness
from tests.slack_support import fake_slack as fake_slack  # the fixture
from udx_bot.context import Services
from udx_bot.usecases import membership

HARRIET = "UGB0HARRIET"


@pytest.fixture
async def h(services: Services, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    fake_slack.add_user(HARRIET, locale="en-GB", real_name="Harriet Lane")
    async for ready in harness(services, fake_slack):
        yield ready


async def answer(h: SlackHarness, text: str) -> str:
    before = len(h.fake.responses(HARRIET))
    assert (await h.command(HARRIET, text)).status == 200
    await h.settle()
    responses = h.fake.responses(HARRIET)
    assert len(responses) == before + 1, f"no answer to {text!r}"
    return message_text(responses[-1])


async def test_a_workspace_member_is_in_without_an_invitation(
    h: SlackHarness, services: Services
) -> None:
    services.settings = replace(services.settings, registration="invite")
    assert "joining takes an invitation" not in await answer(h, "notes")
    me = await services.store.participants.by_identity("slack", HARRIET)
    assert me is not None and me.member


async def test_with_slack_require_invite_a_code_lets_them_in(
    h: SlackHarness, services: Services
) -> None:
    services.settings = replace(services.settings, registration="invite", slack_require_invite=True)
    assert "joining takes an invitation" in await answer(h, "find")
    assert "joining takes an invitation" in await answer(h, "note heat plans")
    [made] = await membership.create(services.store, now=services.clock())
    welcome = await answer(h, f"start {made.code[:4]}-{made.code[4:8]}-{made.code[8:]}")
    assert "Your invitation is accepted" in welcome
    assert "joining takes an invitation" not in await answer(h, "notes")
