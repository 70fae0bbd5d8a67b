"""A fake Telegram Bot API server for the real python-telegram-bot ``Bot``/``Application``.

Usage::

    async with FakeTelegram() as fake:
        bot = Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url)
        # or ApplicationBuilder().token(TOKEN).base_url(fake.base_url)
        #                         .base_file_url(fake.base_file_url).build()
        fake.push_message(42, "/start")          # a user types; getUpdates returns it
        ...
        assert "Welcome" in fake.sent_messages(42)[-1]

PTB posts to ``{base_url}{token}/{method}`` with form fields (multipart when uploading a file);
nested values such as ``reply_markup`` arrive as JSON strings and are decoded here, so
``Call.params`` holds plain Python values (``chat_id`` as int, ``reply_markup`` as dict, an
uploaded document as :class:`~tests.fakes.UploadedFile`).

Like Telegram, the fake answers ``editMessageText`` with 400 "message is not modified" when
text and keyboard are unchanged, and ``getUpdates`` with 409 while a webhook is set.

Limits and failures (for outbox tests) apply to the sending methods (:data:`SEND_METHODS`):
``global_rate`` (messages per second over a sliding ``rate_window``), ``per_chat_rate`` (a
token bucket with ``per_chat_burst``) -> HTTP 429 with ``parameters.retry_after`` (PTB raises
``RetryAfter``; counted in ``count_429``); ``fail[chat_id] = 403`` (blocked by the user, PTB
``Forbidden``), ``400`` (chat not found), ``500``/``502`` apply to every call naming that chat
until removed; :meth:`FakeTelegram.fail_next` fails only the next few.
:meth:`FakeTelegram.answer_badly_next` makes the next sending calls to a chat answer badly
(see :data:`tests.fakes.BAD_ANSWERS`): accepted but answered with garbage or a dropped
connection, or refused with an empty 502.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

from tests.fakes import (
    BAD_ANSWERS,
    SLOW_ANSWER_S,
    FakeServer,
    SlidingWindow,
    TokenBucket,
    UploadedFile,
    answer_badly,
    read_request,
)

__all__ = ["SEND_METHODS", "Call", "FakeTelegram", "visible_text"]

ChatId = int | str

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage"})
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "data",
        "description",
        "short_description",
        "name",
        "title",
        "action",
        "emoji",
        "document",
        "photo",
        "business_connection_id",
    }
)
_ERRORS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_TAG = re.compile(r"<[^>]*>")


def visible_text(text: str, parse_mode: str | None = "HTML") -> str:
    """What a Telegram user sees of an HTML-formatted text: tags removed, entities decoded."""
    if (parse_mode or "").upper() != "HTML":
        return text
    return html.unescape(_TAG.sub("", text))


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _chat_key(value: Any) -> ChatId | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else text


def _keyboard(markup: Any) -> list[list[tuple[str, str]]] | None:
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    return [
        [(str(b.get("text", "")), str(b.get("callback_data", b.get("url", "")))) for b in row]
        for row in markup["inline_keyboard"]
    ]


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    chat_id: ChatId | None
    status: int = 200
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _User:
    id: int
    first_name: str
    username: str | None
    language_code: str | None
    last_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class _Stored:
    message: dict[str, Any]
    html: str = ""
    markup: Any = None
    parse_mode: str | None = None
    history: list[str] = field(default_factory=list)


class FakeTelegram(FakeServer):
    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 7000001,
        bot_username: str = "udx_test_bot",
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float = 3,
        rate_window: float = 1.0,
        retry_after: int | None = None,
        fail: dict[ChatId, int] | None = None,
    ) -> None:
        """``token`` None accepts any token (else 401 for others); ``retry_after`` fixes the
        seconds announced in a 429 (at least 1, as PTB ignores 0), else they are computed."""
        super().__init__()
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "UDX Test Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.per_chat_burst = per_chat_burst
        self.rate_window = rate_window
        self.retry_after = retry_after
        self.fail: dict[ChatId, int] = dict(fail or {})
        self._fail_next: dict[ChatId, list[int]] = {}
        self._bad_next: dict[ChatId, list[str | None]] = {}
        self.calls: list[Call] = []
        self.count_429 = 0
        self.updates: list[dict[str, Any]] = []  # queued, not yet confirmed by an offset
        self.users: dict[int, _User] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self._messages: dict[tuple[ChatId, int], _Stored] = {}
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(100001)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._window: SlidingWindow | None = None
        self._buckets: dict[ChatId, TokenBucket] = {}

    # --- server --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await read_request(request)
        params = {key: _decode(key, value) for key, value in raw.items()}
        chat_id = _chat_key(params.get("chat_id"))
        call = Call(method, params, chat_id)
        bad = self._bad_answer(method, chat_id, peek=True)
        if bad == "empty_502":
            self._bad_answer(method, chat_id)
            call.status = 502
            self.calls.append(call)
            self.changed()
            return answer_badly(request, bad)
        if self.token is not None and request.match_info["token"] != self.token:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            status, body = self._refuse(method, chat_id) or await self._dispatch(method, params)
        call.status = status
        call.result = body.get("result")
        self.calls.append(call)
        self.changed()
        # a bad answer is planned for a call that is accepted (a refused one waits for the next)
        bad = self._bad_answer(method, chat_id) if status == 200 else None
        if bad == "slow":
            await asyncio.sleep(SLOW_ANSWER_S)  # handled (shown), the answer comes too late
        elif bad is not None:
            return answer_badly(request, bad)  # handled (shown), but the answer is bad
        return web.json_response(body, status=status)

    def _bad_answer(self, method: str, chat_id: ChatId | None, *, peek: bool = False) -> str | None:
        if method not in SEND_METHODS or chat_id is None:
            return None
        for key in (chat_id, str(chat_id)):
            pending = self._bad_next.get(key)
            if pending:
                return pending[0] if peek else pending.pop(0)
        return None

    def answer_badly_next(
        self, chat_id: ChatId, how: str = "garbage", times: int = 1, *, after: int = 0
    ) -> None:
        """Answer the next ``times`` sending calls to ``chat_id`` badly (see BAD_ANSWERS), once
        ``after`` more sending calls to it were answered as usual."""
        if how not in BAD_ANSWERS:
            raise ValueError(f"how must be one of {BAD_ANSWERS}")
        self._bad_next.setdefault(chat_id, []).extend([None] * after + [how] * times)

    def _error(self, status: int, description: str | None = None) -> tuple[int, dict[str, Any]]:
        if description is None:
            description = _ERRORS.get(status) or HTTPStatus(status).phrase
        return status, {"ok": False, "error_code": status, "description": description}

    def _too_many(self, wait: float) -> tuple[int, dict[str, Any]]:
        self.count_429 += 1
        seconds = max(1, self.retry_after if self.retry_after is not None else math.ceil(wait))
        status, body = self._error(429, f"Too Many Requests: retry after {seconds}")
        body["parameters"] = {"retry_after": seconds}
        return status, body

    def _refuse(self, method: str, chat_id: ChatId | None) -> tuple[int, dict[str, Any]] | None:
        if chat_id is not None:
            for key in (chat_id, str(chat_id)):
                pending = self._fail_next.get(key)
                if pending:
                    status = pending.pop(0)
                    if status:  # 0: this call passes (``fail_next(after=…)``)
                        return self._too_many(1) if status == 429 else self._error(status)
                    break
                if key in self.fail:
                    status = self.fail[key]
                    return self._too_many(1) if status == 429 else self._error(status)
        if method not in SEND_METHODS:
            return None
        if self.per_chat_rate and chat_id is not None:
            bucket = self._buckets.get(chat_id)
            if bucket is None:
                bucket = TokenBucket(self.per_chat_rate, self.per_chat_burst)
                self._buckets[chat_id] = bucket
            wait = bucket.take()
            if wait:
                return self._too_many(wait)
        if self.global_rate:
            if self._window is None:
                self._window = SlidingWindow(self.global_rate, self.rate_window)
            wait = self._window.take()
            if wait:
                return self._too_many(wait)
        return None

    def fail_next(
        self, chat_id: ChatId, status: int = 500, times: int = 1, *, after: int = 0
    ) -> None:
        """Fail the next ``times`` calls naming ``chat_id`` with ``status`` (429 included),
        once ``after`` more calls naming it went through as usual."""
        self._fail_next.setdefault(chat_id, []).extend([0] * after + [status] * times)

    # --- methods -------------------------------------------------------------------------

    async def _dispatch(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        result = handler(params)
        if hasattr(result, "__await__"):
            result = await result
        if isinstance(result, tuple):
            status, body = result
            return int(status), dict(body)
        return 200, {"ok": True, "result": result}

    def _m_getme(self, params: dict[str, Any]) -> Any:
        return self.bot

    def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            return self._error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self.updates = self.updates[offset:]
        timeout = float(params.get("timeout") or 0)
        if timeout > 0 and not self.updates:
            try:
                await self.wait_until(lambda: bool(self.updates) or self.closing, timeout)
            except TimeoutError:
                pass
        limit = int(params.get("limit") or 100)
        return self.updates[:limit]

    def _chat(self, chat_id: ChatId) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id > 0:
            user = self.users.get(chat_id)
            chat: dict[str, Any] = {"id": chat_id, "type": "private"}
            chat["first_name"] = user.first_name if user else "User"
            if user and user.username:
                chat["username"] = user.username
            return chat
        if isinstance(chat_id, int):
            return {"id": chat_id, "type": "supergroup", "title": "Group"}
        return {"id": -1001000000001, "type": "channel", "title": chat_id, "username": chat_id}

    def _new_message(
        self, chat_id: ChatId, sender: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": sender,
            **{k: v for k, v in fields.items() if v is not None},
        }
        return message

    def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = _chat_key(params.get("chat_id"))
        text = params.get("text")
        if chat_id is None:
            return self._error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(visible_text(text, params.get("parse_mode")).encode("utf-16-le")) > 2 * 4096:
            return self._error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        message = self._new_message(
            chat_id,
            self.bot,
            text=visible_text(text, params.get("parse_mode")),
            reply_markup=markup if _keyboard(markup) is not None else None,
        )
        self._messages[(chat_id, message["message_id"])] = _Stored(
            message, text, markup, params.get("parse_mode"), [text]
        )
        return message

    def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        chat_id = _chat_key(params.get("chat_id"))
        if chat_id is None:
            return self._error(400, "Bad Request: chat_id is empty")
        photo = params.get("photo")
        if not isinstance(photo, UploadedFile) or not photo.content:
            return self._error(400, "Bad Request: there is no photo in the request")
        n = next(self._file_ids)
        size: dict[str, Any] = {"file_id": f"AgACFake{n}", "file_unique_id": f"AQADFake{n}"}
        data = photo.content  # a PNG's IHDR holds its size (other pictures: 0 x 0)
        png = data.startswith(b"\x89PNG")
        width = int.from_bytes(data[16:20], "big") if png else 0
        height = int.from_bytes(data[20:24], "big") if png else 0
        size.update(width=width, height=height, file_size=len(data))
        message = self._new_message(chat_id, self.bot, photo=[size])
        self._messages[(chat_id, message["message_id"])] = _Stored(message)
        return message

    def photos(self, chat_id: ChatId | None = None) -> list[UploadedFile]:
        """Pictures sent with sendPhoto (``.filename``, ``.content``)."""
        return [
            c.params["photo"]
            for c in self.calls
            if c.ok
            and c.method == "sendPhoto"
            and isinstance(c.params.get("photo"), UploadedFile)
            and (chat_id is None or c.chat_id == chat_id)
        ]

    def _m_senddocument(self, params: dict[str, Any]) -> Any:
        chat_id = _chat_key(params.get("chat_id"))
        if chat_id is None:
            return self._error(400, "Bad Request: chat_id is empty")
        document = params.get("document")
        n = next(self._file_ids)
        info: dict[str, Any] = {"file_id": f"BQACAgFake{n}", "file_unique_id": f"AgADFake{n}"}
        if isinstance(document, UploadedFile):
            info.update(
                file_name=document.filename,
                mime_type=document["content_type"],
                file_size=len(document.content),
            )
        elif not document:
            return self._error(400, "Bad Request: there is no document in the request")
        caption = params.get("caption")
        message = self._new_message(
            chat_id,
            self.bot,
            document=info,
            caption=visible_text(caption, params.get("parse_mode")) if caption else None,
        )
        self._messages[(chat_id, message["message_id"])] = _Stored(message)
        return message

    def _edit(self, params: dict[str, Any], *, text: str | None) -> Any:
        if params.get("inline_message_id"):
            return True
        chat_id = _chat_key(params.get("chat_id"))
        message_id = params.get("message_id")
        stored = None
        if chat_id is not None and isinstance(message_id, int):
            stored = self._messages.get((chat_id, message_id))
        if stored is None:
            return self._error(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        new_text = stored.html if text is None else text
        if new_text == stored.html and _keyboard(markup) == _keyboard(stored.markup):
            return self._error(400, _NOT_MODIFIED)
        stored.html, stored.markup = new_text, markup
        stored.history.append(new_text)
        message = stored.message
        if text is not None:
            stored.parse_mode = params.get("parse_mode")
            message["text"] = visible_text(text, stored.parse_mode)
        message["edit_date"] = int(time.time())
        message.pop("reply_markup", None)
        if _keyboard(markup) is not None:
            message["reply_markup"] = markup
        return message

    def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        return self._edit(params, text=text)

    def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        return self._edit(params, text=None)

    def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat_id = _chat_key(params.get("chat_id"))
        if self._messages.pop((chat_id or 0, params.get("message_id") or 0), None) is None:
            return self._error(400, "Bad Request: message to delete not found")
        return True

    def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        return True

    def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        self.commands[self._commands_key(params)] = list(params.get("commands") or [])
        return True

    def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return self.commands.get(self._commands_key(params), [])

    def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url") or ""
        if not url:
            self.webhook = None
            return True
        if not str(url).startswith("https://") and not str(url).startswith("http://127.0.0.1"):
            return self._error(400, "Bad Request: bad webhook: HTTPS url must be provided")
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": params.get("max_connections"),
        }
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook and self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    # --- injecting updates ----------------------------------------------------------------

    def _user(
        self,
        user_id: int,
        language_code: str | None,
        first_name: str | None,
        username: str | None,
        last_name: str | None = None,
    ) -> _User:
        user = self.users.get(user_id)
        if user is None:
            user = _User(user_id, first_name or f"User{user_id}", username, language_code)
            self.users[user_id] = user
        if first_name is not None:
            user.first_name = first_name
        if username is not None:
            user.username = username
        if last_name is not None:
            user.last_name = last_name
        user.language_code = language_code
        return user

    def make_update_dict(
        self,
        user_id: int,
        text: str | None = None,
        *,
        data: str | None = None,
        message_id: int | None = None,
        language_code: str | None = "en",
        first_name: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """A Telegram ``Update`` dict from a person in their private chat (chat id == user id).

        With ``data`` it is a callback query on message ``message_id`` (a message the bot sent
        to that chat, so the callback carries its text and keyboard); else a text message
        (``bot_command`` entity included when the text starts with ``/``). Nothing is queued:
        use this for webhook tests, :meth:`push_message`/:meth:`push_callback` for polling.
        """
        user = self._user(user_id, language_code, first_name, username, last_name).to_dict()
        update: dict[str, Any] = {"update_id": next(self._update_ids)}
        if data is not None:
            stored = self._messages.get((user_id, message_id or 0))
            if stored is not None:
                message = dict(stored.message)
            else:
                message = {
                    "message_id": message_id or next(self._message_ids),
                    "date": int(time.time()),
                    "chat": self._chat(user_id),
                    "from": self.bot,
                    "text": "…",
                }
            update["callback_query"] = {
                "id": str(next(self._callback_ids)),
                "from": user,
                "chat_instance": f"ci{user_id}",
                "data": data,
                "message": message,
            }
            return update
        text = text or ""
        message = self._new_message(user_id, user, text=text)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._messages[(user_id, message["message_id"])] = _Stored(message, text)
        update["message"] = message
        return update

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for ``getUpdates``."""
        self.updates.append(update)
        self.changed()
        return update

    def push_message(
        self,
        user_id: int,
        text: str,
        language_code: str | None = "en",
        first_name: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from ``user_id`` in their private chat; returns the update."""
        return self.push_update(
            self.make_update_dict(
                user_id,
                text,
                language_code=language_code,
                first_name=first_name,
                username=username,
                last_name=last_name,
            )
        )

    def push_callback(
        self,
        user_id: int,
        data: str,
        message_id: int | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Queue a button press (callback query) on ``message_id``; returns the update.

        Without ``message_id`` the last message the bot sent to that chat is used.
        """
        if message_id is None:
            message_id = self.last_message_id(user_id)
        return self.push_update(
            self.make_update_dict(
                user_id, data=data, message_id=message_id, language_code=language_code
            )
        )

    # --- inspecting ------------------------------------------------------------------------

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def _shown(self, chat_id: ChatId | None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.ok
            and c.method in ("sendMessage", "editMessageText")
            and (chat_id is None or c.chat_id == chat_id)
        ]

    def sent_messages(self, chat_id: ChatId | None = None) -> list[str]:
        """Texts (HTML as sent) of successful sendMessage/editMessageText calls, in order."""
        return [str(c.params["text"]) for c in self._shown(chat_id)]

    def visible_texts(self, chat_id: ChatId | None = None) -> list[str]:
        """Like :meth:`sent_messages`, as the user sees them (tags removed, entities decoded)."""
        return [
            visible_text(str(c.params["text"]), c.params.get("parse_mode"))
            for c in self._shown(chat_id)
        ]

    def last_keyboard(self, chat_id: ChatId) -> list[list[tuple[str, str]]] | None:
        """The inline keyboard (rows of (label, callback_data)) of the last message sent or
        edited in ``chat_id``; None when it has none."""
        for call in reversed(self.calls):
            if (
                call.ok
                and call.chat_id == chat_id
                and call.method in ("sendMessage", "editMessageText", "editMessageReplyMarkup")
            ):
                return _keyboard(call.params.get("reply_markup"))
        return None

    def last_message_id(self, chat_id: ChatId) -> int | None:
        """The id of the last message the bot sent to ``chat_id``."""
        for call in reversed(self.calls):
            if call.ok and call.chat_id == chat_id and call.method in SEND_METHODS:
                result = call.result
                if isinstance(result, dict):
                    return int(result["message_id"])
        return None

    def message(self, chat_id: ChatId, message_id: int) -> dict[str, Any] | None:
        """The current state of a message (after edits), as Telegram would return it."""
        stored = self._messages.get((chat_id, message_id))
        return stored.message if stored else None

    def documents(self, chat_id: ChatId | None = None) -> list[UploadedFile]:
        """Files uploaded with sendDocument (``.filename``, ``.content``)."""
        return [
            c.params["document"]
            for c in self.calls
            if c.ok
            and c.method == "sendDocument"
            and isinstance(c.params.get("document"), UploadedFile)
            and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for_messages(
        self, chat_id: ChatId | None = None, count: int = 1, within: float = 5.0
    ) -> list[str]:
        """Wait until at least ``count`` texts were shown in ``chat_id``; returns them all."""
        await self.wait_until(lambda: len(self._shown(chat_id)) >= count, within)
        return self.sent_messages(chat_id)

    async def wait_for_calls(self, method: str, count: int = 1, within: float = 5.0) -> None:
        await self.wait_until(lambda: len(self.calls_to(method)) >= count, within)
