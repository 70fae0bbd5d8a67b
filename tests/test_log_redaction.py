"""No token or secret in the log at DEBUG: the real PTB Application (webhook mode, so the secret
is used) against FakeTelegram and a signed Slack request, with every logger at DEBUG and the
filter ``udx-bot`` installs on the root handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import aiohttp
import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.slack_support import SECRET as SLACK_SECRET
from tests.slack_support import TOKEN as SLACK_TOKEN
from tests.slack_support import fake_slack as fake_slack  # the fixture
from tests.slack_support import harness
from tests.support import Cli
from tests.telegram_support import feature_router
from udx_bot import log_redaction
from udx_bot.config import Settings
from udx_bot.context import Services
from udx_bot.log_redaction import RedactingFilter
from udx_bot.platforms.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramService
from udx_bot.web import build_app, start_server

BOT_TOKEN = "7012345678:AAHx-realistic_Token-0123456789abcdef"
HOOK_SECRET = "whsec-9d8c7b6a5f4e3d2c1b0a"
DB_PASSWORD = "db-pa55word-xyz"


@dataclass
class Log:
    stream: io.StringIO
    handler: logging.Handler

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def log() -> Iterator[Log]:
    """Everything logged at DEBUG, as the root handler of ``udx-bot -v`` writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet = {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
    try:
        yield Log(stream, handler)
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def _settings(services: Services, **values: str) -> Settings:
    return replace(
        services.settings,
        database_url=f"postgresql+asyncpg://bot:{DB_PASSWORD}@db.example/udx",
        **values,  # type: ignore[arg-type]
    )


async def test_a_telegram_run_at_debug_logs_no_token_or_secret(
    services: Services, log: Log
) -> None:
    services.router.include(feature_router())
    async with FakeTelegram(token=BOT_TOKEN) as fake:
        services.settings = replace(
            _settings(services),
            telegram_bot_token=BOT_TOKEN,
            telegram_api_base_url=fake.base_url,
            telegram_webhook_url="https://bot.example/telegram/webhook",
            telegram_webhook_secret=HOOK_SECRET,
        )
        log_redaction.install(services.settings, [log.handler])
        for name in ("httpx", "httpcore"):  # every library at DEBUG, as -v would make it
            logging.getLogger(name).setLevel(logging.DEBUG)
        service = TelegramService(services)
        web_runner, port = await start_server(build_app(service.routes()), 0, host="127.0.0.1")
        await service.start()
        for name in ("httpx", "httpcore"):  # start() quietens them; undo that for the test
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            async with aiohttp.ClientSession() as session:
                update = fake.make_update_dict(501, "/echo hello")
                async with session.post(
                    url, json=update, headers={SECRET_HEADER: HOOK_SECRET}
                ) as response:
                    assert response.status == 200
            assert fake.visible_texts(501) == ["You wrote\nhello"]
            logging.getLogger("udx_bot.test").debug(
                "as a library might: %s and %s", f"{fake.base_url}{BOT_TOKEN}/getMe", HOOK_SECRET
            )
            try:
                raise RuntimeError(f"failed calling {fake.base_url}{BOT_TOKEN}/sendMessage")
            except RuntimeError:
                logging.getLogger("telegram.ext").exception("an error with the URL in it")
        finally:
            await service.stop()
            await web_runner.cleanup()
    text = log.text
    assert "Set Bot API URL" in text and "sendMessage" in text  # PTB did log at DEBUG
    assert "[redacted]" in text
    token_secret = BOT_TOKEN.split(":")[1]
    for secret in (BOT_TOKEN, token_secret, HOOK_SECRET, DB_PASSWORD):
        assert secret not in text


async def test_a_slack_request_at_debug_logs_no_token_or_secret(
    services: Services, fake_slack: FakeSlack, log: Log
) -> None:
    services.settings = replace(
        _settings(services), slack_bot_token=SLACK_TOKEN, slack_signing_secret=SLACK_SECRET
    )
    log_redaction.install(services.settings, [log.handler])
    fake_slack.add_user("U0SAM", locale="en-US", real_name="Sam Lee")
    async for h in harness(services, fake_slack):
        assert (await h.command("U0SAM", "help")).status == 200
        await h.settle()
        logging.getLogger("slack_sdk").debug("headers: Bearer %s", SLACK_TOKEN)
    text = log.text
    assert "slack" in text.lower()
    for secret in (SLACK_TOKEN, SLACK_SECRET, DB_PASSWORD):
        assert secret not in text


def test_the_filter_redacts_token_shapes_it_was_not_told() -> None:
    redacting = log_redaction.RedactingFilter()
    line = (
        "POST https://api.telegram.org/bot123456789:AAEabcdefghijklmnopqrstuvwxyz012/getMe "
        "xoxb-1234-5678-abcdefgh xapp-1-A0-123-abcdef postgresql://u:hunter22@host/db"
    )
    assert redacting.redact(line) == (
        "POST https://api.telegram.org/bot[redacted]/getMe [redacted] [redacted] "
        "postgresql://u:[redacted]@host/db"
    )
    assert redacting.redact("update 100001 handled in 0:00:01") == (
        "update 100001 handled in 0:00:01"
    )


def test_udx_bot_installs_it_on_the_root_handlers(cli: Cli, sqlite_url: str) -> None:
    root = logging.getLogger()
    try:
        env = {"DATABASE_URL": sqlite_url, "TELEGRAM_WEBHOOK_SECRET": HOOK_SECRET}
        assert cli("migrate", env=env).returncode == 0
        installed = [f for h in root.handlers for f in h.filters if isinstance(f, RedactingFilter)]
        assert root.handlers and len(installed) == len(root.handlers)
        assert HOOK_SECRET in installed[0].secrets
    finally:
        for handler in root.handlers:
            for f in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
                handler.removeFilter(f)
