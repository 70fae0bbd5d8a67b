"""The chat commands, written once for every platform: one module per feature, each with its own
:class:`~udx_bot.router.Router`. Handlers never import a platform library."""

from __future__ import annotations

import importlib

from udx_bot.router import Router

FEATURES = (
    "help",
    "onboarding",
    "profile",
    "link",
    "privacy",
    "notes",
    "counterparts",
    "introductions",
    "announcements",
    "digest",
    "home",
)


def build_router() -> Router:
    """One router with every feature's commands."""
    root = Router()
    for name in FEATURES:
        module = importlib.import_module(f"handlers.{name}")
        root.include(module.router)
    return root
