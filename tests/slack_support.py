"""The real Bolt app behind the project's aiohttp server, Web API calls going to FakeSlack.

``SlackHarness`` builds the payloads Slack sends (slash command, events, block actions, view
submissions), signs them with the signing secret and POSTs them to ``/slack/events`` on a real
server bound to 127.0.0.1 port 0; ``await h.settle()`` waits for the work the service does after
acknowledging.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from tests.fakes.slack_api import TEAM_ID, FakeSlack, sign_slack_request
from udx_bot.context import Services
from udx_bot.platforms.slack import SlackService
from udx_bot.web import build_app, start_server

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-udx-test"


@dataclass
class Sent:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class SlackHarness:
    fake: FakeSlack
    service: SlackService
    url: str
    session: aiohttp.ClientSession
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- sending -------------------------------------------------------------------------------
    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        secret: str | None = SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Sent:
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if secret is not None:
            all_headers.update(sign_slack_request(secret, body, timestamp))
        async with self.session.post(self.url, data=body, headers=all_headers) as response:
            return Sent(response.status, await response.text())

    async def command(
        self, user_id: str, text: str, *, key: str | None = None, in_dm: bool = False
    ) -> Sent:
        """``/udx <text>`` in a channel (``in_dm``: in the person's DM with the app); answers go
        to ``fake.response_url(key)`` (default: the user id)."""
        n = next(self._ids)
        form = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "udx-test",
            "channel_id": f"D{user_id}" if in_dm else "C0GENERAL",
            "channel_name": "directmessage" if in_dm else "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/udx",
            "text": text,
            "api_app_id": "A0UDX",
            "response_url": self.fake.response_url(key or user_id),
            "trigger_id": f"trigger-{n}",
        }
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> Sent:
        body = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0UDX",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0UDXBOT", "is_bot": True}],
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return await self.post(json.dumps(body).encode(), "application/json", headers=headers)

    async def dm(self, user_id: str, text: str, *, event_id: str | None = None) -> Sent:
        n = next(self._ids)
        event = {
            "type": "message",
            "channel": f"D{user_id}",
            "channel_type": "im",
            "user": user_id,
            "text": text,
            "ts": f"1700001000.{n:06d}",
            "event_ts": f"1700001000.{n:06d}",
        }
        return await self.event(event, event_id=event_id)

    async def interaction(self, payload: dict[str, Any]) -> Sent:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def press(
        self,
        user_id: str,
        element: dict[str, Any],
        *,
        selected: list[dict[str, Any]] | None = None,
        container: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Sent:
        """A ``block_actions`` payload for a rendered element (a button or a multi-select)."""
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": element["action_id"],
            "block_id": "b1",
            "action_ts": "1700002000.000001",
        }
        if element["type"] == "button":
            action["value"] = element["value"]
            action["text"] = element["text"]
        else:
            action["selected_options"] = selected or []
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0UDX",
            "token": "legacy",
            "team": {"id": TEAM_ID, "domain": "udx-test"},
            "trigger_id": f"trigger-{next(self._ids)}",
            "container": container
            or {
                "type": "message",
                "message_ts": "1700000999.000001",
                "channel_id": "C0GENERAL",
                "is_ephemeral": True,
            },
            "actions": [action],
        }
        if payload["container"]["type"] == "message":
            payload["channel"] = {"id": payload["container"]["channel_id"]}
            payload["response_url"] = self.fake.response_url(key or user_id)
        return await self.interaction(payload)

    async def submit(self, user_id: str, view: dict[str, Any], value: str) -> Sent:
        """Submit an opened modal (as recorded by FakeSlack) with ``value`` typed in."""
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "udx-test"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0UDX",
            "token": "legacy",
            "trigger_id": f"trigger-{next(self._ids)}",
            "view": {
                **view,
                "state": {
                    "values": {"udx_input": {"value": {"type": "plain_text_input", "value": value}}}
                },
            },
        }
        return await self.interaction(payload)

    # --- waiting -------------------------------------------------------------------------------
    async def settle(self) -> None:
        """Wait for the work the service does after acknowledging."""
        await self.service.drain()


def elements(blocks: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Interactive elements of one kind ("button", "multi_static_select") in rendered blocks."""
    return [
        e
        for b in blocks
        if b.get("type") == "actions"
        for e in b.get("elements", [])
        if e.get("type") == kind
    ]


def button(blocks: list[dict[str, Any]], label_part: str) -> dict[str, Any]:
    for element in elements(blocks, "button"):
        if label_part.casefold() in element["text"]["text"].casefold():
            return element
    labels = [e["text"]["text"] for e in elements(blocks, "button")]
    raise AssertionError(f"no button with {label_part!r}: {labels}")


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(token=TOKEN) as fake:
        yield fake


async def harness(services: Services, fake: FakeSlack) -> AsyncIterator[SlackHarness]:
    service = SlackService(services, token=TOKEN, signing_secret=SECRET, api_url=fake.api_url)
    app: web.Application = build_app(service.routes())
    runner, port = await start_server(app, 0, host="127.0.0.1")
    await service.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield SlackHarness(fake, service, f"http://127.0.0.1:{port}/slack/events", session)
    finally:
        await service.stop()
        await runner.cleanup()
