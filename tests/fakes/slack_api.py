"""A fake Slack Web API server for the real ``slack_sdk`` ``AsyncWebClient`` and Bolt.

Usage::

    async with FakeSlack() as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
        await client.chat_postMessage(channel="U123", text="hi")
        assert fake.posted("DU123")[0]["text"] == "hi"

The client sends form fields, query parameters (GET methods such as ``users.info``) or JSON
(``chat.postMessage``, ``views.*``); all are accepted and merged into ``Call.params``. JSON
strings in form fields (``blocks``, ``view``) are decoded.

Direct messages: ``conversations.open(users="U123")`` returns channel ``"DU123"``, and posting to
a user id posts into that DM channel (as Slack does).

``/response_url/<key>`` records what Bolt's ``respond()`` posts (:meth:`FakeSlack.response_url`,
:meth:`FakeSlack.responses`).

Files (``files_upload_v2``): ``files.getUploadURLExternal`` hands out an upload URL on this
server, the client POSTs the bytes there, ``files.completeUploadExternal`` shares them into
``channel_id`` (:meth:`FakeSlack.files`); a file whose bytes never arrived is ``file_not_found``.

``delay`` makes every call wait that many seconds before it is answered (the benchmark's slow
Slack, :mod:`bench.slow_slack_api`).

Limits and failures: ``per_channel_rate`` (token bucket with ``per_channel_burst``) for
``chat.postMessage`` -> HTTP 429, ``Retry-After`` header and ``{"ok": false, "error":
"ratelimited"}`` (``count_429``); ``fail[channel_or_user] = "channel_not_found"`` (or any error
string, e.g. ``"account_inactive"``) -> HTTP 200 with ``ok: false`` as Slack does; an int (500,
502, 503) -> that HTTP status. Failures match the ``channel``, ``user``, ``users`` parameters and
the resolved DM channel. :meth:`FakeSlack.answer_badly_next` makes the next ``chat.postMessage``
calls to a channel answer badly (see :data:`tests.fakes.BAD_ANSWERS`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import itertools
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import (
    BAD_ANSWERS,
    SLOW_ANSWER_S,
    FakeServer,
    TokenBucket,
    answer_badly,
    read_request,
)

__all__ = [
    "Call",
    "FakeSlack",
    "SlackUser",
    "message_text",
    "sign_slack_request",
    "visible_mrkdwn",
]

TEAM_ID = "T0UDXTEST"
BOT_USER_ID = "U0UDXBOT"
BOT_ID = "B0UDXBOT"

_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata"})
_DATE_FALLBACK = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_ERROR_NAMES = {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable"}


def sign_slack_request(
    secret: str, body: bytes, timestamp: int | str | None = None
) -> dict[str, str]:
    """``X-Slack-Signature`` and ``X-Slack-Request-Timestamp`` headers for ``body``.

    The signature is ``"v0=" + hex(HMAC-SHA256(secret, f"v0:{ts}:{body}"))``; ``timestamp``
    defaults to now (pass an old one to test the 300-second check).
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": ts}


def visible_mrkdwn(text: str) -> str:
    """Roughly what Slack shows for mrkdwn: escapes undone (date fallbacks, links, entities)."""
    text = _DATE_FALLBACK.sub(r"\1", text)
    text = _LINK.sub(r"\2", text)
    return html.unescape(text).replace("\u00ad", "")


def message_text(message: dict[str, Any]) -> str:
    """The visible text of a posted message: its section/header blocks, else ``text``."""
    parts: list[str] = []
    for block in message.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") in ("section", "header"):
            text = block.get("text") or {}
            if text.get("type") == "mrkdwn":
                parts.append(visible_mrkdwn(str(text.get("text", ""))))
            else:
                parts.append(str(text.get("text", "")))
    if parts:
        return "\n".join(parts)
    return visible_mrkdwn(str(message.get("text") or ""))


@dataclass
class Call:
    """One request the fake received (``method`` like ``"chat.postMessage"``)."""

    method: str
    params: dict[str, Any]
    status: int = 200
    response: Any = None

    @property
    def ok(self) -> bool:
        return (
            self.status == 200 and isinstance(self.response, dict) and bool(self.response.get("ok"))
        )


@dataclass
class SlackUser:
    id: str
    name: str = ""
    real_name: str = ""
    locale: str = "en-US"
    tz: str = "Europe/London"
    tz_offset: int = 0
    is_bot: bool = False
    deleted: bool = False

    def to_dict(self, include_locale: bool) -> dict[str, Any]:
        name = self.name or self.id.lower()
        real = self.real_name or name
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": self.tz_offset,
            "profile": {"real_name": real, "display_name": name, "team": TEAM_ID},
        }
        if include_locale:
            data["locale"] = self.locale
        return data


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


class FakeSlack(FakeServer):
    def __init__(
        self,
        *,
        token: str | None = None,
        per_channel_rate: float | None = None,
        per_channel_burst: float = 3,
        retry_after: int | None = None,
        fail: dict[str, str | int] | None = None,
        delay: float = 0.0,
    ) -> None:
        """``token`` None accepts any bearer token (else ``invalid_auth`` for others).
        ``delay``: seconds every Web API call and ``response_url`` post waits before it is
        answered (a round trip to a far server)."""
        super().__init__()
        self.delay = delay
        self.token = token
        self.per_channel_rate = per_channel_rate
        self.per_channel_burst = per_channel_burst
        self.retry_after = retry_after
        self.fail: dict[str, str | int] = dict(fail or {})
        self.calls: list[Call] = []
        self.count_429 = 0
        self.users: dict[str, SlackUser] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, dict[str, Any]] = {}  # user id -> published App Home view
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> current
        self._posted: list[dict[str, Any]] = []
        self._responses: list[tuple[str, dict[str, Any]]] = []
        self.response_peers: list[Any] = []  # the client's address of each response_url post
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._buckets: dict[str, TokenBucket] = {}
        self._bad_next: dict[str, list[str | None]] = {}
        self._fail_next: dict[str, list[str | int | None]] = {}
        self._uploads: dict[str, dict[str, Any]] = {}  # file id -> announced, perhaps uploaded
        self._files: list[dict[str, Any]] = []  # shared files, in order
        self._file_ids = itertools.count(1)

    def answer_badly_next(
        self, channel: str, how: str = "garbage", times: int = 1, *, after: int = 0
    ) -> None:
        """Answer the next ``times`` ``chat.postMessage`` calls to ``channel`` (a user id means
        their DM) badly (see BAD_ANSWERS), once ``after`` more were answered as usual."""
        if how not in BAD_ANSWERS:
            raise ValueError(f"how must be one of {BAD_ANSWERS}")
        self._bad_next.setdefault(self._dm(channel), []).extend([None] * after + [how] * times)

    def fail_next(
        self, channel: str, error: str | int = 500, times: int = 1, *, after: int = 0
    ) -> None:
        """Refuse the next ``times`` ``chat.postMessage`` calls to ``channel`` with ``error``
        (an HTTP status, 429 included, or a Slack error name), once ``after`` more went
        through as usual."""
        self._fail_next.setdefault(self._dm(channel), []).extend([None] * after + [error] * times)

    def _bad_answer(self, method: str, params: dict[str, Any], *, peek: bool = False) -> str | None:
        if method != "chat.postMessage" or not params.get("channel"):
            return None
        pending = self._bad_next.get(self._dm(str(params["channel"])))
        if not pending:
            return None
        return pending[0] if peek else pending.pop(0)

    # --- server --------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """For ``AsyncWebClient(base_url=...)`` (ends with a slash, as slack_sdk expects)."""
        return f"{self.url}/api/"

    def response_url(self, key: str = "1") -> str:
        """A ``response_url`` to put in a signed interaction payload."""
        return f"{self.url}/response_url/{key}"

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/response_url/{key}", self._handle_response_url)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        return app

    def add_user(self, user_id: str, **fields: Any) -> SlackUser:
        """Create or update a user (``locale="de-DE"``, ``real_name=...``, ``tz=...``)."""
        user = self.users.get(user_id) or SlackUser(user_id)
        for key, value in fields.items():
            setattr(user, key, value)
        self.users[user_id] = user
        return user

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await read_request(request)
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        for key in _JSON_FIELDS & params.keys():
            if isinstance(params[key], str) and params[key][:1] in ("[", "{"):
                params[key] = json.loads(params[key])
        call = Call(method, params)
        bad = self._bad_answer(method, params, peek=True)
        if bad == "empty_502":
            self._bad_answer(method, params)
            call.status = 502
            self.calls.append(call)
            self.changed()
            return answer_badly(request, bad)
        headers: dict[str, str] = {}
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth else str(params.get("token", ""))
        if self.token is not None and token != self.token:
            status, body = 200, {"ok": False, "error": "invalid_auth"}
        elif not token:
            status, body = 200, {"ok": False, "error": "not_authed"}
        else:
            refused = self._refuse(method, params)
            if refused is not None:
                status, body, headers = refused
            else:
                status, body = 200, self._dispatch(method, params)
        call.status, call.response = status, body
        self.calls.append(call)
        self.changed()
        # a bad answer is planned for a call that is accepted (a refused one waits for the next)
        accepted = status == 200 and body.get("ok")
        bad = self._bad_answer(method, params) if accepted else None
        if bad == "slow":
            await asyncio.sleep(SLOW_ANSWER_S)  # handled (posted), the answer comes too late
        elif bad is not None:
            return answer_badly(request, bad)  # handled (posted), but the answer is bad
        return web.json_response(body, status=status, headers=headers)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        transport = request.transport
        self.response_peers.append(transport.get_extra_info("peername") if transport else None)
        self._responses.append((key, body))
        self.changed()
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return web.json_response({"ok": True})

    async def _handle_upload(self, request: web.Request) -> web.Response:
        upload = self._uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        upload["content"] = await request.read()
        self.changed()
        return web.Response(text=f"OK - {len(upload['content'])}")

    @staticmethod
    def _dm(user_or_channel: str) -> str:
        return f"D{user_or_channel}" if user_or_channel.startswith(("U", "W")) else user_or_channel

    def _targets(self, params: dict[str, Any]) -> list[str]:
        keys = []
        for name in ("channel", "channel_id", "user", "user_id"):
            if params.get(name):
                keys.append(str(params[name]))
        if params.get("users"):
            keys.extend(str(params["users"]).split(","))
        keys.extend([self._dm(k) for k in keys])
        return keys

    def _refuse(
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if method == "chat.postMessage" and params.get("channel"):
            pending = self._fail_next.get(self._dm(str(params["channel"])))
            planned = pending.pop(0) if pending else None
            if planned == 429:
                self.count_429 += 1
                seconds = str(max(1, self.retry_after or 1))
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": seconds}
            if isinstance(planned, int):
                return planned, {"ok": False, "error": _ERROR_NAMES.get(planned, "fatal_error")}, {}
            if planned is not None:
                return 200, {"ok": False, "error": planned}, {}
        for key in self._targets(params):
            if key in self.fail:
                error = self.fail[key]
                if isinstance(error, int):
                    name = _ERROR_NAMES.get(error, "fatal_error")
                    return error, {"ok": False, "error": name}, {}
                return 200, {"ok": False, "error": error}, {}
        if method == "chat.postMessage" and self.per_channel_rate and params.get("channel"):
            channel = self._dm(str(params["channel"]))
            bucket = self._buckets.get(channel)
            if bucket is None:
                bucket = TokenBucket(self.per_channel_rate, self.per_channel_burst)
                self._buckets[channel] = bucket
            wait = bucket.take()
            if wait:
                self.count_429 += 1
                seconds = max(1, self.retry_after or math.ceil(wait))
                body = {"ok": False, "error": "ratelimited"}
                return 429, body, {"Retry-After": str(seconds)}
        return None

    # --- methods -------------------------------------------------------------------------

    def _dispatch(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_m_" + method.replace(".", "_").lower(), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(params)
        return result

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://udx-test.slack.com/",
            "team": "UDX Test",
            "user": "udxbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1700000000 + n}.{n:06d}"

    def _record(self, method: str, params: dict[str, Any], channel: str, ts: str) -> dict[str, Any]:
        record = {
            "method": method,
            "channel": channel,
            "requested_channel": str(params.get("channel", "")),
            "ts": ts,
            "text": params.get("text"),
            "blocks": params.get("blocks"),
            "thread_ts": params.get("thread_ts"),
            "user": params.get("user"),
        }
        self._posted.append(record)
        return record

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": ts,
            "text": params.get("text") or "",
            "team": TEAM_ID,
        }
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        return message

    def _check_content(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        blocks = params.get("blocks")
        if isinstance(blocks, list) and len(blocks) > 50:
            return {"ok": False, "error": "invalid_blocks", "errors": ["too many blocks"]}
        return None

    def _m_chat_postmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = self._check_content(params)
        if problem:
            return problem
        channel = self._dm(str(params["channel"]))
        ts = self._next_ts()
        self._record("chat.postMessage", params, channel, ts)
        message = self._message(params, ts)
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_postephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = self._check_content(params)
        if problem:
            return problem
        if not params.get("user"):
            return {"ok": False, "error": "user_not_found"}
        channel = self._dm(str(params["channel"]))
        ts = self._next_ts()
        self._record("chat.postEphemeral", params, channel, ts)
        return {"ok": True, "message_ts": ts}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._dm(str(params.get("channel", "")))
        ts = str(params.get("ts", ""))
        message = self.messages.get((channel, ts))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if params.get("text") is not None:
            message["text"] = params["text"]
        if params.get("blocks") is not None:
            message["blocks"] = params["blocks"]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        self._record("chat.update", params, channel, ts)
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        channel_id = self._dm(users[0]) if len(users) == 1 else "G" + "".join(users)
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        user = self.users.get(user_id) or SlackUser(user_id)
        return {"ok": True, "user": user.to_dict(_truthy(params.get("include_locale")))}

    def _m_files_getuploadurlexternal(self, params: dict[str, Any]) -> dict[str, Any]:
        filename, length = params.get("filename"), str(params.get("length", ""))
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):08d}"
        self._uploads[file_id] = {"id": file_id, "filename": filename, "length": int(length)}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeuploadexternal(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            wanted = json.loads(str(params.get("files") or "[]"))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        found = [self._uploads.get(str(f.get("id"))) for f in wanted if isinstance(f, dict)]
        if not found or any(u is None or "content" not in u for u in found):
            return {"ok": False, "error": "file_not_found"}
        titles = {str(f.get("id")): f.get("title") for f in wanted}
        channel = self._dm(str(params["channel_id"])) if params.get("channel_id") else None
        shared = []
        for upload in found:
            assert upload is not None
            record = {**upload, "title": titles.get(upload["id"]), "channel": channel}
            self._files.append(record)
            shared.append(
                {"id": upload["id"], "name": upload["filename"], "title": record["title"]}
            )
        return {"ok": True, "files": shared}

    def _view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        data = dict(view) if isinstance(view, dict) else {}
        data["id"] = view_id or f"V{next(self._view_ids):08d}"
        data.setdefault("team_id", TEAM_ID)
        data.setdefault("hash", f"{time.time():.6f}")
        self.views[data["id"]] = data
        return data

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return {"ok": True, "view": self._view(params.get("view"))}

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id", ""))
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        previous = self.home.get(user_id)
        view = self._view(params.get("view"), previous["id"] if previous else None)
        self.home[user_id] = view
        return {"ok": True, "view": view}

    def _m_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next(
                (
                    v["id"]
                    for v in self.views.values()
                    if v.get("external_id") == params["external_id"]
                ),
                None,
            )
        if not view_id or view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        return {"ok": True, "view": self._view(params.get("view"), str(view_id))}

    # --- inspecting ------------------------------------------------------------------------

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted, posted ephemerally and updated, in order; each a dict with
        ``method``, ``channel`` (the DM id for a user), ``requested_channel``, ``ts``, ``text``,
        ``blocks``, ``thread_ts``, ``user`` (ephemeral recipient). ``channel`` matches the
        requested or resolved channel (a user id matches their DM)."""
        if channel is None:
            return list(self._posted)
        wanted = {channel, self._dm(channel)}
        return [
            p for p in self._posted if p["channel"] in wanted or p["requested_channel"] in wanted
        ]

    def files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Files shared (``files_upload_v2``), in order: ``id``, ``filename``, ``title``,
        ``content`` (bytes), ``channel`` (a user id matches their DM)."""
        if channel is None:
            return list(self._files)
        return [f for f in self._files if f["channel"] == self._dm(channel)]

    def texts(self, channel: str | None = None) -> list[str]:
        """The visible text of every posted message (see :func:`message_text`)."""
        return [message_text(p) for p in self.posted(channel)]

    def responses(self, key: str | None = None) -> list[dict[str, Any]]:
        """JSON bodies posted to :meth:`response_url` (``key`` filters)."""
        return [body for k, body in self._responses if key is None or k == key]

    async def wait_for_posts(
        self, channel: str | None = None, count: int = 1, within: float = 5.0
    ) -> list[dict[str, Any]]:
        await self.wait_until(lambda: len(self.posted(channel)) >= count, within)
        return self.posted(channel)

    async def wait_for_responses(self, count: int = 1, within: float = 5.0) -> list[dict[str, Any]]:
        await self.wait_until(lambda: len(self._responses) >= count, within)
        return self.responses()
