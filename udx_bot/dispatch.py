"""The steps of the router's chain that speak to the person (the others, which every update
passes, are in udx_bot/middleware.py): who is writing, what went wrong, which route the update
goes to, and whether the person may use it. udx_bot/router.py registers routes and runs the
chain; the order of the steps is documented there.
"""

from __future__ import annotations

import logging
import re

from udx_bot import admission
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.middleware import (
    Middleware,
    Next,
    Request,
    clean_input,
    conversation,
    deduplicate,
    measure,
    respond,
)
from udx_bot.typed import shorten
from udx_bot.types import Reply

log = logging.getLogger(__name__)

_COMMAND_RE = re.compile(r"^/([^\W\d_]\w*)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


async def identity(request: Request, next: Next) -> list[Reply]:
    """The person's participant record (created on first contact) and the update's Context;
    their conversation comes in the same transaction (the conversation step uses it)."""
    services, actor = request.services, request.incoming.actor
    try:
        arrival = await services.store.participants.arrive(
            actor.platform,
            actor.user_id,
            display_name=actor.display_name,
            username=actor.username,
            language_code=actor.language_code,
            chat_id=actor.chat_id,
            now=services.clock(),
        )
    except Exception:
        log.exception("could not load the participant for %s", actor.platform)
        return [Reply.text(services.translator_for(None, actor)._(_FAILED))]
    participant = arrival.participant
    translator = services.translator_for(participant, actor)
    request.context = Context(services, request.incoming, participant, arrival.identity, translator)
    request.conversation, request.conversation_loaded = arrival.conversation, True
    return await next()


async def guard(request: Request, next: Next) -> list[Reply]:
    """A :class:`UserError` becomes its message; any other exception is logged and the person
    gets a localized apology (never a traceback)."""
    try:
        return await next()
    except UserError as error:
        return [Reply.text(error.message)]
    except Exception:
        log.exception("handler failed on a %s update", request.incoming.actor.platform)
        return [Reply.text(request.ctx._(_FAILED))]


async def resolve(request: Request, next: Next) -> list[Reply]:
    """Which route the update goes to: a button's prefix, the awaited input (plain text while the
    bot waits), or a command (with or without the slash; it ends any waiting). Sets
    ``Request.route``, ``ctx.command`` and ``ctx.args``; unknown ones get a hint."""
    ctx, router = request.ctx, request.router
    incoming = ctx.incoming
    if incoming.callback is not None:
        prefix, _, ctx.args = incoming.callback.partition(":")
        kinds = router.buttons.get(prefix, [])
        for route in kinds:
            assert route.kind is not None
            try:
                ctx.callback_data = route.kind.unpack(incoming.callback)
            except ValueError:
                continue
            request.route = route
            return await next()
        # Data no kind reads: an old button, a removed feature's or a forged one.
        stale = [r.kind.stale for r in kinds if r.kind is not None and r.kind.stale]
        return [Reply.notify(ctx._(stale[0] if stale else _STALE_BUTTON))]

    text = incoming.text.strip()
    if not text:
        return []
    match = _COMMAND_RE.match(text)
    waiting = request.conversation
    if match is None and waiting is not None and waiting.state in router.inputs:
        request.route = router.inputs[waiting.state]
        ctx.args = text
        return await next()

    if match:
        name, args = match.group(1), (match.group(2) or "").strip()
    else:
        # Commands typed without the slash ("note …" in a Slack DM).
        first, _, rest = text.partition(" ")
        name, args = first, rest.strip()
    request.route = router.resolve(name)
    if request.route is None:
        if match:
            guess = router.nearest(name)
            if guess is not None:
                unknown = ctx._(
                    "I don't know the command /{name}. Did you mean /{guess}? Send /help to "
                    "see what I can do."
                )
            else:
                unknown = ctx._(
                    "I don't know the command /{name}. Send /help to see what I can do."
                )
            return [Reply.text(unknown.format(name=shorten(name), guess=guess))]
        return [Reply.text(ctx._("I didn't understand that. Send /help to see what I can do."))]
    if waiting is not None:
        await ctx.stop_waiting()  # a new command ends whatever the bot was waiting for
    ctx.command = request.route.name
    ctx.args = args
    return await next()


async def access(request: Request, next: Next) -> list[Reply]:
    """The route's conditions: membership (a stranger may use only ``strangers`` routes, see
    udx_bot/admission.py), a complete profile (``registered``) and the least ``role``."""
    ctx, route = request.ctx, request.route
    if route is None:
        return await next()
    if not await admission.admitted(ctx) and not route.strangers:
        return [Reply.text(await admission.refusal(ctx))]
    if route.registered and not ctx.participant.registered:
        return [
            Reply.text(ctx._("Please set up your profile first: send /start (it takes a minute)."))
        ]
    if not ctx.participant.has_role(route.role):
        if route.role == "admin":
            return [Reply.text(ctx._("Sorry, only admins of the network can do that."))]
        return [
            Reply.text(ctx._("Sorry, only coordinators and admins of the network can do that."))
        ]
    return await next()


async def handle(request: Request) -> list[Reply]:
    """The end of the chain: the route's handler."""
    if request.route is None:
        return []
    return _as_list(await request.route.handler(request.ctx))


EVERY_UPDATE: tuple[Middleware, ...] = (clean_input, deduplicate, measure, respond)
DEFAULT_MIDDLEWARE: tuple[Middleware, ...] = (
    identity,
    guard,
    conversation,
    resolve,
    access,
)


_FAILED = N_("Sorry, something went wrong on our side. It has been logged; please try again.")
_STALE_BUTTON = N_("That button is no longer active. Send /help to start again.")


def _as_list(result: Reply | list[Reply] | None) -> list[Reply]:
    if result is None:
        return []
    return result if isinstance(result, list) else [result]
