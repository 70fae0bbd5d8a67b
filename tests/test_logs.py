"""LOG_LEVEL and LOG_FORMAT=json: one JSON object per line, made of the redacted record (no
token, no secret, not even in a traceback); bad values are refused naming the variable."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from udx_bot import log_redaction, logs
from udx_bot.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7012345678:AAHx-realistic_Token-0123456789abcdef"


def test_json_lines_are_redacted_like_text_lines() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    log_redaction.install(Settings(telegram_bot_token=TOKEN), handlers=[handler])
    logger = logging.getLogger("udx_bot.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"refused: {TOKEN}")
        except RuntimeError:
            logger.exception("sending failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    documents = [json.loads(line) for line in lines]
    assert len(documents) == 2
    assert documents[0]["level"] == "WARNING" and documents[0]["logger"] == "udx_bot.test_logs"
    assert "getMe" in documents[0]["message"] and documents[0]["time"].endswith("+00:00")
    assert "RuntimeError" in documents[1]["exc"]
    assert TOKEN not in stream.getvalue() and "7012345678:" not in stream.getvalue()


def test_log_settings_are_checked() -> None:
    assert Settings.from_env({}).log_level is None
    assert Settings.from_env({}).log_format == "text"
    settings = Settings.from_env({"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON"})
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of DEBUG, INFO"):
        Settings.from_env({"LOG_LEVEL": "loud"})
    with pytest.raises(ConfigError, match="LOG_FORMAT must be text or json"):
        Settings.from_env({"LOG_FORMAT": "xml"})


def test_the_command_line_logs_json_at_log_level(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "LOG_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'logs.sqlite3'}",
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
        TELEGRAM_BOT_TOKEN=TOKEN,
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-m", "udx_bot", "migrate"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines  # alembic says what it runs, at INFO
    assert all(json.loads(line)["level"] == "INFO" for line in lines)
    assert TOKEN not in result.stderr
