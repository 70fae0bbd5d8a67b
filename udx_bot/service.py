"""What ``udx-bot run`` (and ``web`` and ``worker``, each its part) starts: platform adapters
and background workers, side by side.

A module contributes a factory ``(services) -> Service | None`` (None when its settings are
absent) and is listed in udx_bot/runner.py. Services that receive HTTP (Slack's Events API, the
Telegram webhook) return aiohttp routes, mounted on one server at ``$PORT`` next to /healthz.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from udx_bot.context import Services


class Service(Protocol):
    name: str

    def routes(self) -> list[web.RouteDef]:
        """HTTP routes to mount on the shared web server (often none)."""
        ...

    async def start(self) -> None:
        """Start and return; keep running in background tasks."""
        ...

    async def stop(self) -> None:
        """Stop cleanly: finish or hand back work in flight; called once, on shutdown."""
        ...


ServiceFactory = Callable[[Services], Service | None]
