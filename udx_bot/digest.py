"""Composing a participant's weekly digest in their language (filled in as features land)."""

from __future__ import annotations

from datetime import datetime

from storage.participants import Participant
from udx_bot.context import Services
from udx_bot.types import Reply, Section


async def build_digest(
    services: Services, participant: Participant, *, since: datetime, until: datetime
) -> list[Reply] | None:
    """The digest for ``since``..``until``; None for a week with nothing new (unless
    UDX_DIGEST_EMPTY=send, which sends a short "quiet week")."""
    t = services.translator_for(participant)
    sections: list[Section] = []
    if not sections:
        if services.settings.digest_empty != "send":
            return None
        sections.append(Section(t._("A quiet week in the network: nothing new for you.")))
    heading = t._("Your weekly digest, {start} – {end}").format(
        start=t.fmt_date(since, "medium"), end=t.fmt_date(until, "medium")
    )
    return [Reply(sections=[Section(sections[0].text, heading), *sections[1:]], ephemeral=False)]
