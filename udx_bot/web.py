"""The one aiohttp server: /healthz plus the routes platform services contribute
(Slack events under /slack/events, the Telegram webhook under /telegram/webhook).

A request body is read up to :data:`MAX_BODY_BYTES`: a larger one gets 413, refused by its
``Content-Length`` before reading, or as soon as a streamed body passes the limit. Slack's and
Telegram's requests are far smaller (a Telegram message is at most 4,096 characters)."""

from __future__ import annotations

from aiohttp import web

MAX_BODY_BYTES = 1024 * 1024


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_app(routes: list[web.RouteDef]) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.add_routes([web.get("/healthz", healthz), *routes])
    return app


async def start_server(
    app: web.Application, port: int, host: str = "0.0.0.0"
) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the bound port (port 0 picks a free one)."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)
