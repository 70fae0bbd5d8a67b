"""The chat commands, written once for every platform: one module per feature, each with its own
:class:`~udx_bot.router.Router`. Handlers never import a platform library."""

from __future__ import annotations

from udx_bot.router import Router


def build_router() -> Router:
    """One router with every feature's commands."""
    from handlers import announcements, help

    root = Router()
    for module in (help, announcements):
        root.include(module.router)
    return root
