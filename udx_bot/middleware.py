"""The router's middleware chain, in the style of bolt-python's ``async_process(req, resp, next)``.

An update travels as a :class:`Request` through a list of middleware. A middleware is an async
callable ``(request, next) -> list[Reply]``: it may read or fill in the request, run the rest of
the chain (and at its end the handler) with ``await next()``, change what comes back, or answer
without calling ``next`` at all (a short-circuit). The router's list and its order are described
in udx_bot/router.py; this module holds the mechanism and the steps that say nothing to the person.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from storage.conversations import Conversation
from udx_bot import metrics
from udx_bot.context import Context, Services
from udx_bot.typed import clean
from udx_bot.types import Actor, Incoming, Reply

if TYPE_CHECKING:
    from udx_bot.router import Route, Router

log = logging.getLogger(__name__)

Next = Callable[[], Awaitable[list[Reply]]]
Respond = Callable[[list[Reply]], Awaitable[None]]  # the adapter sends replies to the person
Answer = Callable[[], Awaitable[list[Reply]]]  # the adapter answers an update itself


@dataclass
class Request:
    """One update on its way through the chain; each step fills in what it learned."""

    router: Router  # the one dispatching it
    services: Services
    incoming: Incoming
    respond: Respond | None = None  # given by the adapter: how the replies reach the person
    context: Context | None = None  # identity: the person, their translator
    conversation: Conversation | None = None  # what the bot is waiting for from them, if anything
    conversation_loaded: bool = False  # the identity step read it along with the person
    route: Route | None = None  # resolve: the handler to run

    @property
    def ctx(self) -> Context:
        """The update's Context (from the identity step on)."""
        if self.context is None:
            raise RuntimeError("the identity middleware has not run")
        return self.context


Middleware = Callable[[Request, Next], Awaitable[list[Reply]]]
Terminal = Callable[[Request], Awaitable[list[Reply]]]


async def run_chain(
    chain: Sequence[Middleware], request: Request, terminal: Terminal
) -> list[Reply]:
    """Run ``request`` through ``chain``; the last ``next()`` calls ``terminal``."""
    steps = tuple(chain)  # a middleware added while an update is on its way waits for the next

    async def step(index: int) -> list[Reply]:
        if index == len(steps):
            return await terminal(request)
        return await steps[index](request, lambda: step(index + 1))

    return await step(0)


async def clean_input(request: Request, next: Next) -> list[Reply]:
    """What the person typed, pressed and is called, without the characters never stored (NUL
    and other control characters, lone surrogates: see :func:`udx_bot.typed.clean`), for every
    step and handler after this one."""
    incoming = request.incoming
    actor = incoming.actor
    request.incoming = replace(
        incoming,
        actor=_clean_actor(actor),
        text=clean(incoming.text),
        callback=None if incoming.callback is None else clean(incoming.callback),
        values=None if incoming.values is None else tuple(clean(v) for v in incoming.values),
    )
    return await next()


def _clean_actor(actor: Actor) -> Actor:
    return replace(
        actor,
        user_id=clean(actor.user_id),
        display_name=clean(actor.display_name),
        username=None if actor.username is None else clean(actor.username),
        language_code=None if actor.language_code is None else clean(actor.language_code),
        chat_id=None if actor.chat_id is None else clean(actor.chat_id),
    )


async def deduplicate(request: Request, next: Next) -> list[Reply]:
    """An update whose id was seen before (a webhook's or Events API's retry, a restart before
    the offset was saved) is dropped. If handling it raises (the platform refused the reply), its
    id is forgotten again, so the platform's retry is processed."""
    incoming, services = request.incoming, request.services
    platform, update_id = incoming.actor.platform, incoming.update_id
    if update_id is None:
        return await next()
    updates = services.store.updates
    try:
        first = await updates.first_time(platform, update_id, now=services.clock())
    except Exception:  # handle it anyway: better twice than never
        log.exception("could not record update %s:%s", platform, update_id)
        first = True
    if not first:
        log.info("update %s:%s seen before, skipped", platform, update_id)
        return []
    try:
        return await next()
    except Exception:
        try:
            await updates.forget(platform, update_id)
        except Exception:
            log.exception("could not forget the failed update %s:%s", platform, update_id)
        raise


async def measure(request: Request, next: Next) -> list[Reply]:
    """Count the update by platform and command, and time it until its replies are handed over
    (``/metrics``: udx_updates_total, udx_reply_seconds)."""
    platform = request.incoming.actor.platform
    started = time.perf_counter()
    try:
        return await next()
    finally:
        metrics.REPLY_SECONDS.labels(platform).observe(time.perf_counter() - started)
        command = request.route.name if request.route is not None else "-"
        metrics.UPDATES.labels(platform, command).inc()


async def respond(request: Request, next: Next) -> list[Reply]:
    """Hand the replies to the adapter's ``respond``; its failures propagate (the update failed)."""
    replies = await next()
    if request.respond is not None:
        await request.respond(replies)
    return replies


async def conversation(request: Request, next: Next) -> list[Reply]:
    """Load what the bot is waiting for from the person (``Request.conversation``), unless the
    identity step read it already."""
    ctx = request.ctx
    if not request.conversation_loaded:
        request.conversation = await ctx.store.conversations.get(ctx.participant.id)
        request.conversation_loaded = True
    return await next()
