"""What ``POST /slack/events`` accepts before Bolt sees a request.

Bolt parses the body when it builds its request, before it checks the signature, and trusts the
shape of what it parsed: broken JSON, an array, invalid UTF-8, ``payload=%7Bnope``, a timestamp
``abc`` or a ``block_actions`` without ``user`` made it raise, so the client got 500 and the log a
traceback. Here, in this order:

1. the signature (``v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")`` over the raw bytes, as
   https://docs.slack.dev/authentication/verifying-requests-from-slack/ describes): a missing or
   wrong one, or a timestamp that is not a whole number of seconds within five minutes of now,
   is :class:`Refused` (401). This is the only check; Bolt's own is switched off in HTTP mode;
2. the body: UTF-8, parsed as Slack means it (JSON, a form, or a form's ``payload`` JSON; see
   :func:`parse`) into an object, with the fields our listeners read of the right types; otherwise
   :class:`Unreadable` (400).

The messages of both say what was wrong, never what the body contained.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_sdk.signature import Clock

MAX_AGE_S = 300  # Slack's rule: a request older (or newer) than five minutes is refused
MAX_TIMESTAMP_DIGITS = 12
INTERACTIVE = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
    }
)


class Refused(Exception):
    """Not from Slack: no, a wrong or a stale signature (401)."""


class Unreadable(Exception):
    """Signed, but not a request the app can read (400)."""


def verify(
    secret: str, body: bytes, headers: Mapping[str, str], clock: Clock | None = None
) -> None:
    """Raise :class:`Refused` unless ``body`` carries a valid, fresh signature for ``secret``."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not secret:
        raise Refused("no signing secret is configured")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        raise Refused("the timestamp is not a number of seconds")
    if abs((clock or Clock()).now() - int(timestamp)) > MAX_AGE_S:
        raise Refused("the timestamp is more than five minutes away")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not signature.isascii() or not hmac.compare_digest(expected, signature):
        raise Refused("the signature does not match")


def bolt_request(body: bytes, query: str, headers: Mapping[str, str]) -> AsyncBoltRequest:
    """The verified ``body`` as Bolt's request; :class:`Unreadable` when it cannot be one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8") from None
    normalized = build_normalized_headers(dict(headers))
    try:
        parsed = parse(text, extract_content_type(normalized))
    except ValueError:
        raise Unreadable("the body is not JSON") from None
    check_shape(parsed)
    try:
        request = AsyncBoltRequest(body=text, query=query, headers=normalized)
        if request.body != parsed:  # Bolt's reading of a form that says "payload" (see parse)
            request.body = parsed
            request.context = build_async_context(AsyncBoltContext({}), parsed)
    except Exception as error:  # Bolt read a field of an unexpected type
        raise Unreadable(f"Bolt cannot read it ({type(error).__name__})") from None
    return request


def parse(text: str, content_type: str | None) -> Any:
    """The body as Slack means it: JSON, a form's ``payload`` field as JSON (interactions), or
    the form (slash commands). Bolt's own reading takes any form in which the word "payload"
    occurs (``text=payload+management``) for an interaction and, finding no ``payload`` field,
    reads it as empty; the command was dropped."""
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return json.loads(form["payload"])
    return form


def check_shape(body: Any) -> None:
    """The fields Bolt and our listeners read have the types Slack sends."""
    if not isinstance(body, dict):
        raise Unreadable("the body is not an object")
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Unreadable("an event without an event object")
    elif kind in INTERACTIVE:
        user = body.get("user")
        if not isinstance(user, dict) or not _text(user.get("id")):
            raise Unreadable(f"a {kind} payload without a user")
        actions = body.get("actions")
        if kind == "block_actions" and (
            not isinstance(actions, list)
            or not actions
            or not all(isinstance(action, dict) for action in actions)
        ):
            raise Unreadable("a block_actions payload without actions")
        if kind in ("view_submission", "view_closed") and not isinstance(body.get("view"), dict):
            raise Unreadable(f"a {kind} payload without a view")
    elif "command" in body and not (_text(body.get("command")) and _text(body.get("user_id"))):
        raise Unreadable("a slash command without a command or user_id")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)
