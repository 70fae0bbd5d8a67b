"""No token or secret in the log, at any level, from any logger.

``udx-bot`` installs one :class:`RedactingFilter` on the root logger's handlers (see
:func:`install`; ``udx_bot.cli.main`` calls it once the settings are read), so every record that
reaches the log passes it, ours and the libraries' alike: python-telegram-bot's "Set Bot API URL"
and its request URLs (``…/bot<token>/…``), httpx's and aiohttp's lines, slack_sdk's and Bolt's.
It replaces, in the message, its arguments and a traceback's text:

* the configured values: ``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_WEBHOOK_SECRET``,
  ``SLACK_BOT_TOKEN``, ``SLACK_APP_TOKEN``, ``SLACK_SIGNING_SECRET`` and the password in
  ``DATABASE_URL``;
* anything shaped like a token even when it is not configured here: a Telegram bot token
  (``123456:AA…``, also inside ``/bot123456:AA…/``), Slack tokens (``xoxb-…``, ``xapp-…``) and
  a URL's password (``scheme://user:password@host``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from udx_bot.config import Settings

REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}"),  # a Telegram bot token
    re.compile(r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{6,}"),  # Slack tokens
    re.compile(r"(?<=://)([^/\s:@]*):[^/\s@]+@"),  # a URL's user:password@
)
_MIN_SECRET = 6  # shorter configured values are not searched for (they would match words)


class RedactingFilter(logging.Filter):
    """Rewrites each record so that no known secret and nothing shaped like a token remains."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        values = {s for s in secrets if s and len(s) >= _MIN_SECRET}
        self.secrets = sorted(values, key=len, reverse=True)  # the longest first

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(_replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what there is
            message = f"{record.msg} {record.args}"
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _replacement(match: re.Match[str]) -> str:
    if match.re is _PATTERNS[2]:
        return f"{match.group(1)}:{REDACTED}@"
    return REDACTED


def secrets_of(settings: Settings) -> list[str | None]:
    password = urlsplit(settings.database_url).password
    return [
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        password,
    ]


def install(
    settings: Settings, handlers: Iterable[logging.Handler] | None = None
) -> RedactingFilter:
    """Put a filter for ``settings``' secrets on ``handlers`` (the root logger's by default);
    a filter installed before on them is replaced."""
    redacting = RedactingFilter(secrets_of(settings))
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
    return redacting
