"""Configuration from the environment only, validated once at start-up.

A missing or malformed setting raises :class:`ConfigError` whose message is one line naming the
variable; the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from udx_bot.platform_ids import PlatformIdError, parse_platform_id

LANGUAGES = ("de", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
REGISTRATION_MODES = ("invite", "approval", "open")
MAX_CONCURRENT = 1024  # UDX_CONCURRENT_UPDATES at most
TRANSLATE_BACKENDS = ("off", "libretranslate", "deepl")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///udx.sqlite3"
    port: int = 8080
    port_given: bool = False  # PORT was set: serve /healthz even with no webhook routes
    default_language: str = "en"
    default_timezone: str = "UTC"
    network_name: str = "Urban Diplomacy Exchange"
    admins: tuple[str, ...] = ()
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    telegram_rate: float = 30.0  # messages per second, overall
    slack_rate: float = 1.0  # messages per second, per channel
    digest_catchup_hours: float = 24.0
    digest_empty: str = "skip"  # "skip" or "send"
    outbox_retention_days: float = 30.0  # delivered messages are deleted after this many days
    # updates processed at once per platform (different chats; one chat's stay in order); the
    # database pool is sized to it (see handlers_at_once)
    concurrent_updates: int = 64
    # the outbox worker's name in its leases (UDX_WORKER_NAME, else DYNO, else host and
    # directory): a worker of the same name that starts takes over its claims at once
    worker_name: str | None = None
    log_level: str | None = None  # LOG_LEVEL; None: the command's own (INFO for the bot)
    log_format: str = "text"  # LOG_FORMAT: text, or json (one object per line)
    dyno: str | None = None  # DYNO: set on Heroku, whose filesystem is ephemeral
    # who gets in (udx_bot.admission): UDX_REGISTRATION, "invite" when read from the
    # environment; settings made in code (tests, the benchmark) admit everyone
    registration: str = "open"
    slack_require_invite: bool = False  # UDX_SLACK_REQUIRE_INVITE=1
    telegram_bot_username: str | None = None  # for invitation links; the bot's own once running
    # machine translation of notes (udx_bot/translation): UDX_TRANSLATE, off by default
    translate: str = "off"
    translate_url: str | None = None  # UDX_TRANSLATE_URL: the LibreTranslate server
    translate_api_key: str | None = None  # UDX_TRANSLATE_API_KEY: LibreTranslate's, optional
    deepl_api_key: str | None = None  # DEEPL_API_KEY
    deepl_server_url: str | None = None  # DEEPL_SERVER_URL: DeepL's own unless set

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        def number(name: str, default: float, *, minimum: float = 0.0) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a number, got {raw!r}") from None
            if value <= minimum:
                raise ConfigError(f"{name} must be greater than {minimum:g}, got {raw!r}")
            return value

        database_url = normalize_database_url(get("DATABASE_URL") or cls.database_url)

        port_raw = get("PORT")
        port = cls.port
        if port_raw is not None:
            if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
                raise ConfigError(f"PORT must be a TCP port number (1-65535), got {port_raw!r}")
            port = int(port_raw)

        language = (get("UDX_DEFAULT_LANGUAGE") or cls.default_language).lower()
        if language not in LANGUAGES:
            raise ConfigError(f"UDX_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")

        timezone = get("UDX_DEFAULT_TIMEZONE") or cls.default_timezone
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                "UDX_DEFAULT_TIMEZONE must be an IANA timezone like Europe/Berlin, "
                f"got {timezone!r}"
            ) from None

        admins: list[str] = []
        for admin in (get("UDX_ADMINS") or "").split(","):
            if admin.strip():
                try:
                    admins.append(str(parse_platform_id(admin)))
                except PlatformIdError as error:
                    raise ConfigError(
                        f"UDX_ADMINS must list PLATFORM:ID entries: {error}"
                    ) from None

        webhook_url = get("TELEGRAM_WEBHOOK_URL")
        webhook_secret = get("TELEGRAM_WEBHOOK_SECRET")
        if webhook_url is not None:
            _require_url("TELEGRAM_WEBHOOK_URL", webhook_url)
            if webhook_secret is None:
                raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL")
        if webhook_secret is not None and not _SECRET_TOKEN_RE.match(webhook_secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )

        app_token = get("SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")

        telegram_base = get("TELEGRAM_API_BASE_URL") or cls.telegram_api_base_url
        _require_url("TELEGRAM_API_BASE_URL", telegram_base)
        slack_api = get("SLACK_API_URL") or cls.slack_api_url
        _require_url("SLACK_API_URL", slack_api)
        if not slack_api.endswith("/"):
            slack_api += "/"

        digest_empty = (get("UDX_DIGEST_EMPTY") or "skip").lower()
        if digest_empty not in ("skip", "send"):
            raise ConfigError(f"UDX_DIGEST_EMPTY must be skip or send, got {digest_empty!r}")

        log_level = get("LOG_LEVEL")
        if log_level is not None:
            log_level = log_level.upper()
            if log_level not in LOG_LEVELS:
                raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be text or json, got {log_format!r}")
        registration = (get("UDX_REGISTRATION") or "invite").lower()
        if registration not in REGISTRATION_MODES:
            raise ConfigError(
                f"UDX_REGISTRATION must be one of {', '.join(REGISTRATION_MODES)}, "
                f"got {registration!r}"
            )
        require_invite = (get("UDX_SLACK_REQUIRE_INVITE") or "0").lower()
        if require_invite not in ("0", "1", "true", "false", "yes", "no"):
            raise ConfigError(f"UDX_SLACK_REQUIRE_INVITE must be 0 or 1, got {require_invite!r}")
        bot_username = (get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None
        concurrent_raw = get("UDX_CONCURRENT_UPDATES")
        concurrent = cls.concurrent_updates
        if concurrent_raw is not None:
            if not concurrent_raw.isdigit() or not 1 <= int(concurrent_raw) <= MAX_CONCURRENT:
                raise ConfigError(
                    f"UDX_CONCURRENT_UPDATES must be a whole number from 1 to {MAX_CONCURRENT}, "
                    f"got {concurrent_raw!r}"
                )
            concurrent = int(concurrent_raw)
        translate = (get("UDX_TRANSLATE") or "off").lower()
        if translate not in TRANSLATE_BACKENDS:
            raise ConfigError(
                f"UDX_TRANSLATE must be one of {', '.join(TRANSLATE_BACKENDS)}, got {translate!r}"
            )
        translate_url = get("UDX_TRANSLATE_URL")
        if translate == "libretranslate" and translate_url is None:
            raise ConfigError("UDX_TRANSLATE_URL must be set with UDX_TRANSLATE=libretranslate")
        if translate_url is not None:
            _require_url("UDX_TRANSLATE_URL", translate_url)
        if translate == "deepl" and get("DEEPL_API_KEY") is None:
            raise ConfigError("DEEPL_API_KEY must be set with UDX_TRANSLATE=deepl")
        deepl_server = get("DEEPL_SERVER_URL")
        if deepl_server is not None:
            _require_url("DEEPL_SERVER_URL", deepl_server)

        return cls(
            database_url=database_url,
            port=port,
            port_given=port_raw is not None,
            default_language=language,
            default_timezone=timezone,
            network_name=get("UDX_NETWORK_NAME") or cls.network_name,
            admins=tuple(admins),
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=telegram_base,
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=webhook_secret,
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_app_token=app_token,
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_api_url=slack_api,
            telegram_rate=number("UDX_TELEGRAM_RATE", cls.telegram_rate),
            slack_rate=number("UDX_SLACK_RATE", cls.slack_rate),
            digest_catchup_hours=number("UDX_DIGEST_CATCHUP_HOURS", cls.digest_catchup_hours),
            digest_empty=digest_empty,
            outbox_retention_days=number("UDX_OUTBOX_RETENTION_DAYS", cls.outbox_retention_days),
            concurrent_updates=concurrent,
            worker_name=get("UDX_WORKER_NAME") or get("DYNO") or default_worker_name(),
            log_level=log_level,
            log_format=log_format,
            dyno=get("DYNO"),
            registration=registration,
            slack_require_invite=require_invite in ("1", "true", "yes"),
            telegram_bot_username=bot_username,
            translate=translate,
            translate_url=translate_url,
            translate_api_key=get("UDX_TRANSLATE_API_KEY"),
            deepl_api_key=get("DEEPL_API_KEY"),
            deepl_server_url=deepl_server,
        )

    @property
    def handlers_at_once(self) -> int:
        """How many updates may be worked on at once in this process: ``concurrent_updates``
        for each platform configured (Telegram and Slack have a bound each), at least one's."""
        platforms = sum(1 for token in (self.telegram_bot_token, self.slack_bot_token) if token)
        return self.concurrent_updates * max(1, platforms)

    def redact(self, text: str) -> str:
        """``text`` with every configured token and secret replaced by ***."""
        for secret in (
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
            self.translate_api_key,
            self.deepl_api_key,
        ):
            if secret:
                text = text.replace(secret, "***")
        return text


def default_worker_name() -> str:
    """The host and a digest of the working directory: the same for a restart of one
    installation, different for two installations on one host (several workers in one
    installation need UDX_WORKER_NAME each)."""
    digest = hashlib.sha256(os.getcwd().encode()).hexdigest()[:8]
    return f"{socket.gethostname()}-{digest}"[:128]


def _require_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")


# libpq's parameters as hosting providers put them in DATABASE_URL, for asyncpg: sslmode is
# asyncpg's ssl (the same values); those asyncpg has no use for are dropped
_PG_RENAMED = {"sslmode": "ssl"}
_PG_DROPPED = frozenset({"channel_binding", "connect_timeout", "application_name", "pgbouncer"})
_PG_KEPT = frozenset({"ssl", "target_session_attrs", "prepared_statement_cache_size"})
_SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})


def _asyncpg_query(query: str) -> str:
    kept: list[tuple[str, str]] = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        name = _PG_RENAMED.get(name, name)
        if name in _PG_DROPPED:
            continue
        if name not in _PG_KEPT:
            known = ", ".join(sorted({*_PG_RENAMED, *_PG_KEPT, *_PG_DROPPED}))
            raise ConfigError(
                f"DATABASE_URL has a query parameter udx-bot does not know: {name!r} "
                f"(known: {known})"
            )
        if name == "ssl" and value not in _SSL_MODES:
            raise ConfigError(
                f"DATABASE_URL: sslmode must be one of {', '.join(sorted(_SSL_MODES))}, "
                f"got {value!r}"
            )
        kept.append((name, value))
    return urlencode(kept)


def normalize_database_url(url: str) -> str:
    """Turn a user-facing DATABASE_URL into the SQLAlchemy async URL.

    Accepts ``sqlite:///relative``, ``sqlite:////absolute``, ``postgresql://…`` and Heroku's
    ``postgres://…``; already-qualified driver URLs pass through. A PostgreSQL URL's
    ``?sslmode=require`` (Render, Neon, Supabase) becomes asyncpg's ``ssl=require``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(
            f"DATABASE_URL must look like sqlite:///udx.sqlite3 or postgresql://…, got {url!r}"
        )
    scheme = scheme.lower()
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        if not rest.startswith("/") or rest == "/":
            raise ConfigError(
                "DATABASE_URL for SQLite must be sqlite:///relative/path or "
                f"sqlite:////absolute/path, got {url!r}"
            )
        return f"sqlite+aiosqlite://{rest}"
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        rest, _, query = rest.partition("?")
        if not rest or (rest.startswith("/") and len(rest) == 1):
            raise ConfigError("DATABASE_URL for PostgreSQL needs a host or a database name")
        query = _asyncpg_query(query)
        return f"postgresql+asyncpg://{rest}" + (f"?{query}" if query else "")
    raise ConfigError(
        f"DATABASE_URL must start with sqlite://, postgresql:// or postgres://, got {scheme}://"
    )
