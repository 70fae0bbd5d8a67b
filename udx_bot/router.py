"""The router: maps commands, button presses and awaited input to handlers, checks registration
and roles, turns a domain error into a localized reply and never lets an exception reach the
person as a traceback.

Each feature module in handlers/ owns a :class:`Router` and registers its commands on it; the
app includes them all into one (see handlers/__init__.py)::

    router = Router()

    @router.command("note", help=N_("Log what your department learned"), usage=N_("/note <text>"))
    async def note(ctx: Context) -> Reply: ...

    @router.callback("notes")            # buttons whose data is "notes:<anything>"
    async def notes_page(ctx: Context) -> Reply: ...   # ctx.args == "<anything>"

    @router.input("note:text")           # the next plain message after ctx.wait_for("note:text")
    async def note_text(ctx: Context) -> Reply: ...    # ctx.args == the message
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from udx_bot.context import Context, Services, UserError
from udx_bot.i18n import N_
from udx_bot.types import Incoming, Reply

log = logging.getLogger(__name__)

HandlerResult = Reply | list[Reply] | None
Handler = Callable[[Context], Awaitable[HandlerResult]]

_COMMAND_RE = re.compile(r"^/([A-Za-z][A-Za-z0-9_]*)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Route:
    name: str
    handler: Handler
    help: str = ""  # marked with N_, translated when shown
    usage: str = ""  # marked with N_, e.g. "/note <text>"
    registered: bool = True  # only for people whose profile has city and department
    role: str = "participant"  # the least role allowed
    menu: bool = True  # listed in /help and the platforms' command menus


class Router:
    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.callbacks: dict[str, Route] = {}
        self.inputs: dict[str, Route] = {}
        self._aliases: dict[str, str] = {}

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
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            _add(self.commands, name, Route(name, handler, help, usage, registered, role, menu))
            for alias in aliases:
                self._aliases[alias] = name
            return handler

        return register

    def callback(
        self, prefix: str, *, registered: bool = True, role: str = "participant"
    ) -> Callable[[Handler], Handler]:
        if ":" in prefix:
            raise ValueError("a callback prefix is the part of the data before the first ':'")

        def register(handler: Handler) -> Handler:
            _add(self.callbacks, prefix, Route(prefix, handler, registered=registered, role=role))
            return handler

        return register

    def input(self, state: str, *, registered: bool = False) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            _add(self.inputs, state, Route(state, handler, registered=registered))
            return handler

        return register

    def include(self, other: Router) -> None:
        for name, route in other.commands.items():
            _add(self.commands, name, route)
        for prefix, route in other.callbacks.items():
            _add(self.callbacks, prefix, route)
        for state, route in other.inputs.items():
            _add(self.inputs, state, route)
        self._aliases.update(other._aliases)

    def resolve(self, name: str) -> Route | None:
        name = name.lower()
        return self.commands.get(self._aliases.get(name, name))

    def menu(self) -> list[Route]:
        return [r for r in self.commands.values() if r.menu]

    # Dispatch ---------------------------------------------------------------------------------
    async def dispatch(self, services: Services, incoming: Incoming) -> list[Reply]:
        """Handle one update; always returns replies for the person, never raises."""
        actor = incoming.actor
        try:
            if incoming.update_id is not None and not await services.store.updates.first_time(
                actor.platform, incoming.update_id, now=services.clock()
            ):
                log.info("update %s:%s seen before, skipped", actor.platform, incoming.update_id)
                return []
            participant, identity = await services.store.participants.touch(
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
            t = services.translator_for(None, actor)
            return [Reply.text(t._(_FAILED))]
        ctx = Context(
            services, incoming, participant, identity, services.translator_for(participant, actor)
        )
        try:
            return _as_list(await self._route(ctx))
        except UserError as error:
            return [Reply.text(error.message)]
        except Exception:
            log.exception("handler failed on a %s update", actor.platform)
            return [Reply.text(ctx._(_FAILED))]

    async def _route(self, ctx: Context) -> HandlerResult:
        incoming = ctx.incoming
        if incoming.callback is not None:
            prefix, _, rest = incoming.callback.partition(":")
            route = self.callbacks.get(prefix)
            if route is None:
                return Reply.text(ctx._(_STALE_BUTTON))
            ctx.args = rest
            return await self._run(route, ctx)

        text = incoming.text.strip()
        if not text:
            return None
        match = _COMMAND_RE.match(text)
        conversation = await ctx.store.conversations.get(ctx.participant.id)
        if match is None and conversation is not None and conversation.state in self.inputs:
            ctx.args = text
            return await self._run(self.inputs[conversation.state], ctx)

        if match:
            name, args = match.group(1), (match.group(2) or "").strip()
        else:
            # Commands typed without the slash ("note …" in a Slack DM).
            first, _, rest = text.partition(" ")
            name, args = first, rest.strip()
        route = self.resolve(name)
        if route is None:
            if match:
                return Reply.text(
                    ctx._(
                        "I don't know the command /{name}. Send /help to see what I can do."
                    ).format(name=name)
                )
            return Reply.text(ctx._("I didn't understand that. Send /help to see what I can do."))
        if conversation is not None:
            await ctx.stop_waiting()  # a new command ends whatever the bot was waiting for
        ctx.command = route.name
        ctx.args = args
        return await self._run(route, ctx)

    async def _run(self, route: Route, ctx: Context) -> HandlerResult:
        if route.registered and not ctx.participant.registered:
            return Reply.text(
                ctx._("Please set up your profile first: send /start (it takes a minute).")
            )
        if not ctx.participant.has_role(route.role):
            if route.role == "admin":
                return Reply.text(ctx._("Sorry, only admins of the network can do that."))
            return Reply.text(
                ctx._("Sorry, only coordinators and admins of the network can do that.")
            )
        return await route.handler(ctx)


_FAILED = N_("Sorry, something went wrong on our side. It has been logged; please try again.")
_STALE_BUTTON = N_("That button is no longer active. Send /help to start again.")


def _add(table: dict[str, Route], key: str, route: Route) -> None:
    if key in table and table[key].handler is not route.handler:
        raise ValueError(f"{key!r} is registered twice")
    table[key] = route


def _as_list(result: HandlerResult) -> list[Reply]:
    if result is None:
        return []
    return result if isinstance(result, list) else [result]
