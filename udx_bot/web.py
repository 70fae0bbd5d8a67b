"""The one aiohttp server: ``/healthz``, ``/metrics`` and the routes platform services
contribute (Slack events under /slack/events, the Telegram webhook under /telegram/webhook).

``/healthz`` answers 200 ``{"status": "ok"}`` when the database answers, 503
``{"status": "database unavailable"}`` otherwise (a platform restarts or stops routing to the
process). ``/metrics`` is the Prometheus text format (udx_bot/metrics.py). Neither is logged at
INFO (aiohttp's access log is off).

A request body is read up to :data:`MAX_BODY_BYTES`: a larger one gets 413, refused by its
``Content-Length`` before reading, or as soon as a streamed body passes the limit. Slack's and
Telegram's requests are far smaller (a Telegram message is at most 4,096 characters)."""

from __future__ import annotations

from aiohttp import web

from storage import Store
from storage.health import ping
from udx_bot import metrics
from udx_bot.context import Services

MAX_BODY_BYTES = 1024 * 1024
STORE = web.AppKey("store", Store)


async def healthz(request: web.Request) -> web.Response:
    store = request.app.get(STORE)
    if store is not None and not await ping(store.db):
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def metrics_page(request: web.Request) -> web.Response:
    body = await metrics.exposition(request.app.get(STORE))
    response = web.Response(body=body)
    response.headers["Content-Type"] = metrics.CONTENT_TYPE
    return response


def build_app(routes: list[web.RouteDef], services: Services | None = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    if services is not None:
        app[STORE] = services.store
    app.add_routes([web.get("/healthz", healthz), web.get("/metrics", metrics_page), *routes])
    return app


# On stop, requests in progress get this long to finish before their connections are closed
# (within the runner's STOP_TIMEOUT_S; a client that never finishes its upload must not hold it).
SHUTDOWN_TIMEOUT_S = 5.0


async def start_server(
    app: web.Application,
    port: int,
    host: str = "0.0.0.0",
    *,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT_S,
) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the bound port (port 0 picks a free one)."""
    runner = web.AppRunner(
        app, handle_signals=False, access_log=None, shutdown_timeout=shutdown_timeout
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)
