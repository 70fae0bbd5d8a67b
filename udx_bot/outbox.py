"""Messages to people who did not just ask for them (announcements, digests, introductions).

Handlers never send to a third person directly: they render the message in the recipient's
language and put it in the outbox, which a worker drains at the platforms' speed limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from storage import Store
from storage.participants import Identity, Participant
from udx_bot.clock import Clock
from udx_bot.types import Reply


def delivery_identity(participant: Participant, identities: Sequence[Identity]) -> Identity | None:
    """Where a participant's messages go: the platform they chose, else their first identity,
    the console last (it shows them only when the person next opens it: udx_bot/platforms/
    console_transport.py). Blocked identities (the platform refused delivery for good) are
    skipped.
    """
    usable = sorted(
        (i for i in identities if i.blocked_at is None), key=lambda i: i.platform == "console"
    )
    if participant.deliver_platform:
        for ident in usable:
            if ident.platform == participant.deliver_platform:
                return ident
    return usable[0] if usable else None


class Outbox:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        # called after something was queued (the worker in this process wakes up at once)
        self.listeners: list[Callable[[], None]] = []

    def notify(self) -> None:
        for listener in self.listeners:
            listener()

    async def send(
        self,
        participant: Participant,
        replies: Sequence[Reply],
        *,
        key: str,
        kind: str,
        ref_id: int | None = None,
        not_before: datetime | None = None,
        subjects: Iterable[int] = (),
    ) -> bool:
        """Queue ``replies`` for ``participant`` under a unique ``key``; ``subjects``: the
        other people the message names (erasing one of them deletes it).

        Returns False when nothing was queued: the key was used before, or the person has no
        identity the bot can deliver to.
        """
        identity = delivery_identity(
            participant, await self.store.participants.identities(participant.id)
        )
        if identity is None:
            return False
        queued = await self.store.outbox.enqueue(
            key=key,
            kind=kind,
            platform=identity.platform,
            user_id=identity.user_id,
            chat_id=identity.chat_id,
            payload=[r.to_json() for r in replies],
            participant_id=participant.id,
            ref_id=ref_id,
            not_before=not_before,
            subjects=subjects,
            now=self.clock(),
        )
        if queued:
            self.notify()
        return queued
