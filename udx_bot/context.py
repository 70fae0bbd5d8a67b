"""What a handler gets: the services of the running bot and the context of one update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from storage import Store
from storage.participants import Identity, Participant
from udx_bot.callback_data import CallbackData
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.i18n import Translator, babel_locale, normalize_language
from udx_bot.outbox import Outbox
from udx_bot.translation import Backend, backend_from_settings
from udx_bot.translation.job import TranslationState
from udx_bot.types import Actor, Incoming

if TYPE_CHECKING:
    from udx_bot.router import Router


class UserError(Exception):
    """A problem with what the person asked for; the message is already in their language and is
    shown to them as it is. Raising it means nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Services:
    """Everything a running bot shares, whichever platforms it serves."""

    settings: Settings
    store: Store
    router: Router
    clock: Clock
    outbox: Outbox = field(init=False)
    # platform -> the bot's user name there (for invitation links), filled by the adapters
    bot_names: dict[str, str] = field(default_factory=dict)
    # the machine translation service (UDX_TRANSLATE); None: off, no text leaves the machine
    translation: Backend | None = field(init=False)
    translation_state: TranslationState = field(init=False, default_factory=TranslationState)

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.store, self.clock)
        self.translation = backend_from_settings(self.settings)

    async def close(self) -> None:
        """Close the translation service's connections and the database."""
        if self.translation is not None:
            await self.translation.close()
        await self.store.close()

    def translator_for(
        self, participant: Participant | None, actor: Actor | Identity | None = None
    ) -> Translator:
        """The reader's translator: their chosen language, else the platform's, else the
        default; their locale from language and city; their timezone (the city's by default)."""
        language_code = actor.language_code if actor is not None else None
        language = (
            (participant.language if participant else None)
            or normalize_language(language_code)
            or self.settings.default_language
        )
        locale = babel_locale(language, participant.country if participant else None, language_code)
        tz = (participant.effective_timezone if participant else None) or (
            self.settings.default_timezone
        )
        return Translator(language, locale, tz)

    async def translator_for_actor(self, actor: Actor) -> Translator:
        """The translator for a person known by their platform identity, for an adapter's own
        words (a modal's buttons, a hint); it looks them up and stores nothing."""
        participant = await self.store.participants.by_identity(actor.platform, actor.user_id)
        return self.translator_for(participant, actor)


@dataclass
class Context:
    """One update being handled: who, in which language, and what they asked."""

    services: Services
    incoming: Incoming
    participant: Participant
    identity: Identity
    t: Translator
    command: str | None = None  # the command's name, without the slash
    args: str = ""  # the text after the command, a callback's data after its prefix, or the input
    callback_data: CallbackData | None = None  # a typed button's data, unpacked (see Router)

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def actor(self) -> Actor:
        return self.incoming.actor

    def now(self) -> datetime:
        return self.services.clock()

    # Shortcuts so handlers read like gettext code (and Babel extracts ``ctx._("…")``).
    def _(self, message: str) -> str:
        return self.t._(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.t.ngettext(singular, plural, n)

    async def reload(self) -> Participant:
        """Fetch the participant again after a change, and rebind the translator."""
        participant = await self.store.participants.get(self.participant.id)
        if participant is None:
            raise LookupError("participant vanished")  # erased while handling: not expected
        self.participant = participant
        self.t = self.services.translator_for(participant, self.actor)
        return participant

    async def wait_for(self, state: str, data: dict[str, object] | None = None) -> None:
        """Take the person's next plain message as input for ``state`` (see Router.input)."""
        await self.store.conversations.set(
            self.participant.id, state, dict(data or {}), now=self.now()
        )

    async def stop_waiting(self) -> None:
        await self.store.conversations.clear(self.participant.id)
