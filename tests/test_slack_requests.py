"""Requests to ``POST /slack/events`` that are not what Slack sends: a bad, missing or stale
signature gets 401, a signed body that cannot be read gets 400, and neither leaves a traceback
(an ERROR record) in the log or reaches the router."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest

from tests.fakes.slack_api import TEAM_ID, FakeSlack, sign_slack_request
from tests.slack_support import SECRET, SlackHarness, harness
from tests.slack_support import fake_slack as fake_slack  # the fixture
from udx_bot.context import Services

USER = "U0SAM"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.fixture
async def h(services: Services, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    fake_slack.add_user(USER, locale="en-US", real_name="Sam Lee")
    async for ready in harness(services, fake_slack):
        yield ready


def _no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]


async def _nothing_happened(h: SlackHarness) -> None:
    await h.settle()
    assert [c.method for c in h.fake.calls if c.method != "auth.test"] == []
    assert h.fake.responses() == []
    assert await h.service.services.store.participants.identity("slack", USER) is None


def _block_actions(**changes: object) -> bytes:
    payload: dict[str, object] = {
        "type": "block_actions",
        "user": {"id": USER, "username": "sam", "team_id": TEAM_ID},
        "api_app_id": "A0UDX",
        "team": {"id": TEAM_ID},
        "container": {"type": "message", "channel_id": "C0GENERAL", "is_ephemeral": True},
        "actions": [{"type": "button", "action_id": "x", "value": "home", "block_id": "b"}],
    }
    payload.update(changes)
    payload = {k: v for k, v in payload.items() if v is not None}
    return urlencode({"payload": json.dumps(payload)}).encode()


MALFORMED = {
    "broken json": (b'{"type": "event_callback", "event": ', JSON),
    "a json array": (b'[{"type": "event_callback"}]', JSON),
    "a json string": (b'"hello"', JSON),
    "invalid utf-8": (b'{"type": "\xff\xfe"}', JSON),
    "invalid utf-8 in a form": (b"command=%2Fudx&text=\xff&user_id=U0SAM", FORM),
    "a payload that is not json": (b"payload=%7Bnope", FORM),
    "a payload that is an array": (b"payload=%5B1%2C2%5D", FORM),
    "block_actions without user": (_block_actions(user=None), FORM),
    "block_actions with a user that is a string": (_block_actions(user="U0SAM"), FORM),
    "an event that is not an object": (
        json.dumps({"type": "event_callback", "event": "message", "event_id": "Ev1"}).encode(),
        JSON,
    ),
    "a message event without user": (
        json.dumps(
            {
                "type": "event_callback",
                "event_id": "Ev2",
                "event": {"type": "message", "channel_type": "im", "channel": "D1", "text": "hi"},
            }
        ).encode(),
        JSON,
    ),
    "a slash command without user_id": (b"command=%2Fudx&text=help", FORM),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
async def test_a_signed_request_that_cannot_be_read_gets_400(
    h: SlackHarness, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    body, content_type = MALFORMED[case]
    caplog.set_level(logging.DEBUG)
    sent = await h.post(body, content_type)
    expected = 200 if case == "a message event without user" else 400  # an event to ignore
    assert sent.status == expected, sent.body
    await _nothing_happened(h)
    _no_errors(caplog)


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "12.5", " 1", "9" * 40, "-0"])
async def test_a_timestamp_that_is_not_a_number_gets_401(
    h: SlackHarness, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    caplog.set_level(logging.DEBUG)
    body = urlencode({"command": "/udx", "text": "help", "user_id": USER}).encode()
    headers = {"Content-Type": FORM, **sign_slack_request(SECRET, body, timestamp)}
    async with h.session.post(h.url, data=body, headers=headers) as response:
        assert response.status == 401
    await _nothing_happened(h)
    _no_errors(caplog)


@pytest.mark.parametrize(
    ("secret", "age"),
    [("wrong-secret", 0), (None, 0), (SECRET, 301), (SECRET, -301)],
    ids=["wrong", "missing", "stale", "future"],
)
async def test_garbage_with_a_bad_signature_gets_401_not_400(
    h: SlackHarness, caplog: pytest.LogCaptureFixture, secret: str | None, age: int
) -> None:
    caplog.set_level(logging.DEBUG)
    sent = await h.post(b"payload=%7Bnope", FORM, secret=secret, timestamp=int(time.time()) - age)
    assert sent.status == 401
    await _nothing_happened(h)
    _no_errors(caplog)
    assert "nope" not in caplog.text  # the body of a refused request is not logged


async def test_a_well_formed_request_still_works(h: SlackHarness) -> None:
    sent = await h.command(USER, "help")
    assert sent.status == 200
    await h.settle()
    assert h.fake.responses(USER)


@pytest.mark.parametrize("text", ["note payload management in Krefeld", "find payload"])
async def test_a_slash_command_whose_text_says_payload_reaches_the_bot(
    h: SlackHarness, text: str
) -> None:
    """Bolt reads a form body containing the word "payload" anywhere as an interactive payload
    and, finding none, as an empty body: the command was silently dropped."""
    sent = await h.command(USER, f"help {text}")
    assert sent.status == 200
    await h.settle()
    answers = h.fake.responses(USER)
    assert answers and "Commands" in json.dumps(answers)
