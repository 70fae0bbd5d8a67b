"""Typed button data, in the spirit of aiogram's ``CallbackData``: one small frozen dataclass per
kind of button, packed into the button's data and unpacked when it is pressed.

    @dataclass(frozen=True)
    class NotePage(CallbackData, prefix="notes", action="page"):
        page: int
        sdg: int | None = None

    NotePage(page=2, sdg=13).pack()          # "notes:page:2:13"
    NotePage.unpack("notes:page:2:13")       # NotePage(page=2, sdg=13)

    @router.callback(NotePage)               # the router unpacks it for the handler
    async def turn(ctx: Context, data: NotePage) -> Reply: ...

The wire format is ``<prefix>[:<action>]:<field>:<field>…``: the prefix routes the press to its
feature (the router's table), the action names the kind within it (readable words; a kind whose
prefix has only one kind may leave it out). Fields are ``int`` (digits), ``str``, ``int | None`` or
``str | None`` (None is empty) and ``tuple[int, ...]`` of numbers 0–63 (a hex bit mask, so all 17
SDGs take five characters). Empty fields at the end are left out; the last field, when it is a
``str``, takes the rest of the data (it may hold ``:``). :meth:`CallbackData.pack` checks the
64-byte budget of Telegram (the tightest platform); :meth:`CallbackData.fits` asks first.

Buttons in messages sent long ago still reach the bot. A kind lists the action names it had before
in ``old=(…)`` and still reads them; a kind whose layout changed reads the old layout in
:meth:`CallbackData.unpack_legacy`. A kind validates itself in ``__post_init__`` (raising
ValueError): data that no kind of its prefix reads is stale, and the router answers it with the
prefix's ``stale`` notice (``Reply.notify``) or, when the feature gives none, its own.
"""

from __future__ import annotations

import dataclasses
import string
import types
import typing
from typing import Any, ClassVar, Self

from udx_bot.typed import MAX_ROW_ID
from udx_bot.types import CALLBACK_DATA_MAX_BYTES

SEP = ":"
MAX_MASK_VALUE = 63  # a tuple[int, ...] field holds numbers 0..63 as a bit mask


class CallbackData:
    """The base of every button kind; subclass it with ``prefix=``, ``action=`` (readable),
    ``old=`` (action names of buttons already sent) and ``stale=`` (an ``N_``-marked notice for
    a press of this prefix that no kind reads), and decorate with ``@dataclass(frozen=True)``.
    A subclass inherits what it does not say (a feature's base class can set prefix and stale)."""

    prefix: ClassVar[str] = ""
    action: ClassVar[str] = ""
    old_actions: ClassVar[tuple[str, ...]] = ()
    stale: ClassVar[str] = ""

    def __init_subclass__(
        cls,
        *,
        prefix: str | None = None,
        action: str | None = None,
        old: tuple[str, ...] = (),
        stale: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is not None:
            if not prefix or SEP in prefix:
                raise ValueError(f"a callback prefix is a word without {SEP!r}: {prefix!r}")
            cls.prefix = prefix
        if action is not None:
            if SEP in action:
                raise ValueError(f"a callback action has no {SEP!r}: {action!r}")
            cls.action = action
        cls.old_actions = old
        if stale is not None:
            cls.stale = stale

    # Packing ------------------------------------------------------------------------------------
    def pack(self) -> str:
        """The button data; ValueError when it is over the platforms' budget."""
        data = self._packed()
        if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(f"callback data over {CALLBACK_DATA_MAX_BYTES} bytes: {data!r}")
        return data

    def fits(self) -> bool:
        """Whether the packed data is within the budget (for data that grows with input)."""
        return len(self._packed().encode()) <= CALLBACK_DATA_MAX_BYTES

    def _packed(self) -> str:
        specs = self.layout()
        values = [_encode(kind, getattr(self, name)) for name, kind in specs]
        for (name, _), value in zip(specs[:-1], values[:-1], strict=True):
            if SEP in value:
                raise ValueError(f"{type(self).__name__}.{name} may not contain {SEP!r}")
        while values and values[-1] == "":
            values.pop()
        head = [self.prefix, self.action] if self.action else [self.prefix]
        return SEP.join(head + values)

    @classmethod
    def layout(cls) -> tuple[tuple[str, str], ...]:
        """The fields and how each is written; TypeError for a kind that cannot be packed
        (no prefix, not a dataclass, an unsupported field type). The router asks at
        registration, so such a kind fails at import, not at the first press."""
        if not cls.prefix:
            raise TypeError(f"{cls.__name__} has no callback prefix")
        return _fields(cls)

    # Unpacking ----------------------------------------------------------------------------------
    @classmethod
    def unpack(cls, data: str) -> Self:
        """The button whose data is ``data``; ValueError when ``data`` is not one of this kind
        (another prefix or action, a malformed or invalid field)."""
        prefix, _, rest = data.partition(SEP)
        if prefix != cls.prefix:
            raise ValueError(f"not a {cls.__name__}: {data!r}")
        try:
            return cls._unpack_rest(rest)
        except ValueError:
            return cls.unpack_legacy(rest)

    @classmethod
    def unpack_legacy(cls, rest: str) -> Self:
        """Override to read an older layout of this kind (``rest`` follows the prefix)."""
        raise ValueError(f"not a {cls.__name__}: {rest!r}")

    @classmethod
    def _unpack_rest(cls, rest: str) -> Self:
        if cls.action:
            action, _, rest = rest.partition(SEP)
            if action != cls.action and action not in cls.old_actions:
                raise ValueError(f"not a {cls.__name__} action: {action!r}")
        specs = _fields(cls)
        if not specs:
            if rest:
                raise ValueError(f"{cls.__name__} takes no fields: {rest!r}")
            return cls()
        parts = rest.split(SEP, len(specs) - 1) if rest else []
        parts += [""] * (len(specs) - len(parts))
        pairs = zip(specs, parts, strict=True)
        return cls(**{name: _decode(kind, part) for (name, kind), part in pairs})


# Fields -----------------------------------------------------------------------------------------
_Spec = tuple[str, str]  # (field name, "int" | "str" | "int?" | "str?" | "ints")


_SPECS: dict[type, tuple[_Spec, ...]] = {}


def _fields(cls: type) -> tuple[_Spec, ...]:
    """The kind's fields and how each is written (read once per kind)."""
    if cls not in _SPECS:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass")
        hints = typing.get_type_hints(cls)
        _SPECS[cls] = tuple(
            (f.name, _kind(cls, f.name, hints[f.name])) for f in dataclasses.fields(cls)
        )
    return _SPECS[cls]


def _kind(cls: type, name: str, hint: object) -> str:
    if hint is int or hint is str:
        return hint.__name__  # type: ignore[attr-defined]
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 2:
        inner = next((a for a in args if a is not type(None)), None)
        if type(None) in args and inner in (int, str):
            return f"{inner.__name__}?"  # type: ignore[union-attr]
    if typing.get_origin(hint) is tuple and args == (int, Ellipsis):
        return "ints"
    raise TypeError(f"{cls.__name__}.{name}: unsupported callback field type {hint!r}")


def _encode(kind: str, value: object) -> str:
    if value is None:
        return ""
    if kind == "ints":
        numbers = typing.cast(tuple[int, ...], value)
        if any(not 0 <= n <= MAX_MASK_VALUE for n in numbers):
            raise ValueError(f"numbers 0 to {MAX_MASK_VALUE} only: {numbers!r}")
        return format(sum(1 << n for n in set(numbers)), "x") if numbers else ""
    if kind.startswith("int"):
        number = typing.cast(int, value)
        if number < 0:
            raise ValueError(f"no negative numbers in callback data: {number}")
        return str(number)
    return str(value)


def _decode(kind: str, text: str) -> object:
    if kind == "ints":
        if text and not all(c in string.hexdigits for c in text):
            raise ValueError(f"not a bit mask: {text!r}")
        mask = int(text, 16) if text else 0
        return tuple(n for n in range(MAX_MASK_VALUE + 1) if mask & (1 << n))
    if text == "" and kind.endswith("?"):
        return None
    if kind.startswith("int"):
        if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ROW_ID)):
            raise ValueError(f"not a number: {text!r}")
        number = int(text)
        if number > MAX_ROW_ID:  # a forged button: no row, page or SDG is that large
            raise ValueError(f"too large: {text!r}")
        return number
    return text
