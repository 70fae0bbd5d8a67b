"""Finding the feature code a figure measures, without hard-wiring one shape of its API.

The features the benchmark measures (counterparts, notes, digests, the outbox worker, the
Telegram adapter) are built in parallel; a figure looks its code up by module and name and calls
it with arguments bound by parameter name. When nothing fits, the figure is reported as not
available, with the reason, rather than measured on a stand-in.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any


class NotAvailable(Exception):
    """The code a figure measures is not in this build (the message says what is missing)."""


def find(candidates: Iterable[str]) -> tuple[str, Any] | None:
    """The first ``"module:attribute"`` that imports; (its name, the object) or None."""
    for path in candidates:
        module_name, _, attr = path.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            if error.name is not None and module_name.startswith(error.name):
                continue  # the module (or its package) does not exist
            raise
        value = getattr(module, attr, None)
        if value is not None:
            return path, value
    return None


def bind(
    func: Callable[..., Any], available: Mapping[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Arguments for ``func`` from ``available`` by parameter name; NotAvailable when a required
    one has no value."""
    signature = inspect.signature(func)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, param in signature.parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in available:
            if param.kind is param.POSITIONAL_ONLY:
                args.append(available[name])
            else:
                kwargs[name] = available[name]
        elif param.default is param.empty:
            raise NotAvailable(f"cannot call {_name(func)}{signature}: nothing for {name!r}")
    return args, kwargs


async def call(func: Callable[..., Any], available: Mapping[str, Any]) -> Any:
    """Call ``func`` (sync or async) with arguments bound by name."""
    args, kwargs = bind(func, available)
    result = func(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", repr(func))
