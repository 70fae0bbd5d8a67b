"""The router: maps commands, button presses and awaited input to handlers, checks registration
and roles, turns a domain error into a localized reply and never lets an exception reach the
person as a traceback; all of it as one middleware chain that every platform's updates pass.

Each feature module in handlers/ owns a :class:`Router` and registers its commands on it; the
app includes them all into one (see handlers/__init__.py)::

    router = Router()

    @router.command("note", help=N_("Log what your department learned"), usage=N_("/note <text>"))
    async def note(ctx: Context) -> Reply: ...

    @router.callback(NotePage)           # a typed button (udx_bot/callback_data.py)
    async def notes_page(ctx: Context, data: NotePage) -> Reply: ...   # unpacked for it

    @router.input("note:text")           # the next plain message after ctx.wait_for("note:text")
    async def note_text(ctx: Context) -> Reply: ...    # ctx.args == the message

An adapter only translates: it hands every update to :meth:`Router.dispatch` as a neutral
``Incoming`` (with the platform's update id) and a ``respond`` that sends the replies. The update
then runs through a middleware chain (see udx_bot/middleware.py): three fixed steps every update
passes, then the dispatching router's list ``Router.middleware`` (its steps are in
udx_bot/dispatch.py):

    clean_input    text, button data and names without NUL and other control characters
    deduplicate    an update id seen before is dropped; if handling raises, the id is forgotten
    respond        hands the replies to the adapter's ``respond`` (its failure propagates)
    --- Router.middleware:
    identity       the participant (created on first contact) and the Context
    guard          UserError -> its message; any other exception -> logged, a localized apology
    conversation   what the bot is waiting for from the person (``Request.conversation``)
    resolve        button, awaited input or command -> ``Request.route`` (unknown: a hint;
                   a button no kind of its prefix reads: the prefix's stale notice)
    access         membership (udx_bot.admission: a stranger may use only the routes
                   registered with ``strangers=True``), then the route's ``registered``
                   and ``role`` conditions
    -> the route's handler

An update the adapter answers in its own words (``dispatch(..., answer=...)``: a command in a
Telegram group, a sticker) passes the three fixed steps and then runs ``answer`` instead of the
list, so it is de-duplicated and retried like any other and nothing about the person is stored.

A new cross-cutting concern is one middleware added to the dispatching router's list::

    async def audit(request: Request, next: Next) -> list[Reply]:
        replies = await next()  # or return replies without calling next(): a short-circuit
        log.info("%s ran %s", request.ctx.actor.key, request.ctx.command)
        return replies

    router.middleware.append(audit)  # after access, just before the handler

(``insert(0, ...)`` puts one before identity, where there is no ``request.ctx`` yet.)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from rapidfuzz import fuzz, process

from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, Services
from udx_bot.dispatch import DEFAULT_MIDDLEWARE, EVERY_UPDATE, handle
from udx_bot.middleware import (
    Answer,
    Middleware,
    Request,
    Respond,
    run_chain,
)
from udx_bot.types import Incoming, Reply

log = logging.getLogger(__name__)

HandlerResult = Reply | list[Reply] | None
Handler = Callable[[Context], Awaitable[HandlerResult]]
D = TypeVar("D", bound=CallbackData)
MAX_COMMAND_GUESS = 32  # characters of an unknown command compared with the known ones
ButtonHandler = Callable[[Context, D], Awaitable[HandlerResult]]  # gets its unpacked data


@dataclass(frozen=True)
class Route:
    name: str
    handler: Handler
    help: str = ""  # marked with N_, translated when shown
    usage: str = ""  # marked with N_, e.g. "/note <text>"
    registered: bool = True  # only for people whose profile has city and department
    role: str = "participant"  # the least role allowed
    menu: bool = True  # listed in /help and the platforms' command menus
    kind: type[CallbackData] | None = None  # a typed button's kind
    strangers: bool = False  # open to people who are not (yet) members (udx_bot.admission)


class Router:
    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.buttons: dict[str, list[Route]] = {}  # prefix -> the routes of its typed kinds
        self.inputs: dict[str, Route] = {}
        self._aliases: dict[str, str] = {}
        # The chain of the router that dispatches (a feature router's is not used).
        self.middleware: list[Middleware] = list(DEFAULT_MIDDLEWARE)

    # Registration -------------------------------------------------------------------------
    def command(
        self,
        name: str,
        *,
        help: str = "",
        usage: str = "",
        registered: bool = True,
        role: str = "participant",
        menu: bool = True,
        aliases: tuple[str, ...] = (),
        strangers: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            route = Route(name, handler, help, usage, registered, role, menu, strangers=strangers)
            _add(self.commands, name, route)
            for alias in aliases:
                self._aliases[alias] = name
            return handler

        return register

    def callback(
        self,
        kind: type[D],
        *,
        registered: bool = True,
        role: str = "participant",
        strangers: bool = False,
    ) -> Callable[[ButtonHandler[D]], ButtonHandler[D]]:
        """Buttons of one typed kind (udx_bot/callback_data.py); the handler gets the unpacked
        data. A prefix's kinds are tried in the order registered; data none of them reads gets
        the prefix's stale notice."""
        kind.layout()  # a kind that cannot be packed fails here, at import

        def register(handler: ButtonHandler[D]) -> ButtonHandler[D]:
            async def run(ctx: Context) -> HandlerResult:
                return await handler(ctx, cast(D, ctx.callback_data))

            route = Route(
                kind.__name__, run, registered=registered, role=role, kind=kind,
                strangers=strangers,
            )  # fmt: skip
            _add_kind(self.buttons, route)
            return handler

        return register

    def input(
        self, state: str, *, registered: bool = False, strangers: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            route = Route(state, handler, registered=registered, strangers=strangers)
            _add(self.inputs, state, route)
            return handler

        return register

    def include(self, other: Router) -> None:
        for name, route in other.commands.items():
            _add(self.commands, name, route)
        for routes in other.buttons.values():
            for route in routes:
                _add_kind(self.buttons, route)
        for state, route in other.inputs.items():
            _add(self.inputs, state, route)
        self._aliases.update(other._aliases)

    def resolve(self, name: str) -> Route | None:
        name = name.lower()
        return self.commands.get(self._aliases.get(name, name))

    def nearest(self, name: str) -> str | None:
        """The listed command (or alias) closest to an unknown ``name`` ("halp" -> "help"),
        if one is close enough; commands left out of the menu are never suggested."""
        listed = [n for n, route in self.commands.items() if route.menu]
        listed += [a for a, n in self._aliases.items() if n in listed]
        found = process.extractOne(
            name.lower()[:MAX_COMMAND_GUESS], listed, scorer=fuzz.ratio, score_cutoff=70
        )
        return found[0] if found else None

    def menu(self) -> list[Route]:
        return [r for r in self.commands.values() if r.menu]

    # Dispatch ---------------------------------------------------------------------------------
    async def dispatch(
        self,
        services: Services,
        incoming: Incoming,
        respond: Respond | None = None,
        *,
        answer: Answer | None = None,
    ) -> list[Reply]:
        """Run one update through the chain; returns its replies, after handing them to
        ``respond`` when given. A handler's failure never escapes (the person gets a localized
        message); a failure of ``respond`` or ``answer`` (the platform refused) propagates, and
        the update's id is forgotten so the platform's retry is processed."""
        request = Request(self, services, incoming, respond)
        if answer is not None:
            return await run_chain(EVERY_UPDATE, request, lambda _request: answer())
        return await run_chain((*EVERY_UPDATE, *self.middleware), request, handle)


def _add(table: dict[str, Route], key: str, route: Route) -> None:
    if key in table and table[key].handler is not route.handler:
        raise ValueError(f"{key!r} is registered twice")
    table[key] = route


def _add_kind(table: dict[str, list[Route]], route: Route) -> None:
    assert route.kind is not None
    routes = table.setdefault(route.kind.prefix, [])
    for known in routes:
        if known.kind is route.kind:
            if known is not route:
                raise ValueError(f"{route.kind.__name__} is registered twice")
            return
    routes.append(route)
