"""``PLATFORM:ID``, how operators name a person: ``udx-bot grant|revoke``, ``digest preview``,
the ``id`` column of the participants import and ``UDX_ADMINS`` all read it here.

    telegram:123456789     a Telegram user id: an integer
    slack:U024BE7LH        a Slack user id: U or W (Enterprise Grid), then letters and digits
    console:Mike Johnson   a console user, named as the console names them (``udx-bot console
                           --as "Mike Johnson"``, or the login name): any text up to 64 characters

The platform is case-insensitive and Slack ids are upper-cased, as Slack writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLATFORMS = ("telegram", "slack", "console")
MAX_ID_LENGTH = 64  # identities.user_id
EXAMPLES = "telegram:123456789, slack:U024BE7LH or console:Mike Johnson"
_TELEGRAM = re.compile(r"[1-9][0-9]{0,19}")
_SLACK = re.compile(r"[UW][A-Z0-9]{1,30}")


class PlatformIdError(ValueError):
    """Not a valid ``PLATFORM:ID``; the message says why, with an example."""


@dataclass(frozen=True)
class PlatformId:
    platform: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


def parse_platform_id(text: str) -> PlatformId:
    """ "telegram:123456789" -> PlatformId("telegram", "123456789"); raises PlatformIdError."""
    platform, sep, user_id = text.strip().partition(":")
    platform = platform.strip().casefold()
    if not sep or platform not in PLATFORMS:
        raise PlatformIdError(f"{text!r} is not PLATFORM:ID, like {EXAMPLES}")
    if platform == "telegram":
        user_id = user_id.strip()
        if not _TELEGRAM.fullmatch(user_id):
            raise PlatformIdError(
                f"{text!r}: Telegram user ids are whole numbers, like telegram:123456789"
            )
    elif platform == "slack":
        user_id = user_id.strip().upper()
        if not _SLACK.fullmatch(user_id):
            raise PlatformIdError(
                f"{text!r}: Slack user ids start with U or W, then letters and digits, "
                "like slack:U024BE7LH"
            )
    elif (
        not user_id.strip()
        or user_id != user_id.strip()
        or len(user_id) > MAX_ID_LENGTH
        or not user_id.isprintable()
    ):
        raise PlatformIdError(
            f"{text!r}: a console name is 1 to {MAX_ID_LENGTH} printable characters without "
            'spaces at either end, like "console:Mike Johnson"'
        )
    return PlatformId(platform, user_id)
