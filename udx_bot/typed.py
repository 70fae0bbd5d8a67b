"""What a person typed, made safe to use: the one place for numbers that name a row and for the
characters that are never stored; and :func:`shorten`, what of a typed text an answer repeats.

A number a person types (``/intro 42``, ``/note delete #7``, ``/announce cancel 3``) or a button
carries becomes a row id only through :func:`typed_number` and :func:`is_row_id`: ASCII digits
(no sign, no ``1_000``, no other scripts' digits), and 1 to :data:`MAX_ROW_ID`, the largest id
both databases store (PostgreSQL's INTEGER). A larger number names no row; handing it to the
database would fail in the driver (``/intro 2147483648`` on PostgreSQL, 2^63 on SQLite).

:func:`clean` is what the router's first middleware (``udx_bot.middleware.clean_input``) does to
every update's text, button data and the person's name before anything reads them: C0 control
characters other than newline and tab are removed (PostgreSQL refuses NUL in text), ``\\r\\n`` and
a lone ``\\r`` become ``\\n``, DEL and C1 controls go too, and a lone surrogate (JSON can carry
``"\\ud800"``, which no UTF-8 database stores) becomes U+FFFD.
"""

from __future__ import annotations

import re

MAX_ROW_ID = 2**31 - 1
MAX_ECHO = 60  # characters of what someone typed that an answer repeats ("I don't know …")

_DIGITS = re.compile(r"[0-9]{1,30}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def typed_number(text: str) -> int | None:
    """The number in ``text`` (``"42"``, ``"#42"``, spaces around), or None when it is not one."""
    digits = text.strip().removeprefix("#")
    return int(digits) if _DIGITS.fullmatch(digits) else None


def is_row_id(number: int) -> bool:
    """Whether ``number`` can name a row (1 to :data:`MAX_ROW_ID`)."""
    return 1 <= number <= MAX_ROW_ID


def row_id(text: str) -> int | None:
    """The row id ``text`` names, or None when it is not a number or no row can have it."""
    number = typed_number(text)
    return number if number is not None and is_row_id(number) else None


def clean(text: str) -> str:
    """``text`` without the characters that are never stored (see the module notes)."""
    if text.isprintable() or not text:
        return text  # the common case: nothing to do
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` as an answer repeats it: at most ``limit`` characters, cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
