"""The log: where it goes (stderr), how much (``LOG_LEVEL``, ``-v``) and in which shape
(``LOG_FORMAT``: ``text``, the default, or ``json``, one JSON object per line for a log
collector). Set up once by ``udx_bot.cli.main``, which then installs the redaction filter
(udx_bot/log_redaction.py) on the same handler: a JSON line is made of the redacted record, so
no token or secret reaches it either.

Below DEBUG nothing periodic is logged: APScheduler's "Running job" lines stay at WARNING, the
web server keeps no access log (health probes, scrapes), the scheduler's own ticks are DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")
# chatty at INFO with every tick of every job
QUIET_BELOW_DEBUG = ("apscheduler",)


class JsonFormatter(logging.Formatter):
    """One object per line: time (UTC, ISO 8601), level, logger, message, and the traceback
    (``exc``) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            # the record's own timestamp (when it was logged), not a clock read here
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exc"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: int, log_format: str = "text", stream: IO[str] | None = None) -> None:
    """Log records at ``level`` and above to ``stream`` (stderr) in ``log_format``. Like
    ``logging.basicConfig``, it leaves a root logger that has handlers already alone."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    if level > logging.DEBUG:
        for name in QUIET_BELOW_DEBUG:
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)
