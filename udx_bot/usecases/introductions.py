"""An introduction request nobody answered: once it has expired (after 14 days), the requester
hears of it, in their language, with a suggestion of whom else to ask (the best counterpart
/find would list, whom they have not asked before). Run by the hourly housekeeping job
(udx_bot/scheduler.py); the outbox key makes it once per request, whichever process runs it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.participants import Participant
from udx_bot.context import Services
from udx_bot.i18n import Translator
from udx_bot.matching import counterpart_query
from udx_bot.outbox import delivery_identity
from udx_bot.types import Reply

# Requests that expired longer ago are not announced any more (a bot that was down for weeks
# does not send stale news; the outbox forgets delivered messages after 30 days).
NOTICE_WINDOW = timedelta(days=7)


async def announce_expired(services: Services) -> int:
    """Queue the notice for every request that expired within NOTICE_WINDOW and has not had
    one; returns how many were queued."""
    store, now = services.store, services.clock()
    queued = 0
    for intro in await store.introductions.recently_expired(now, within=NOTICE_WINDOW):
        requester = await store.participants.get(intro.requester_id)
        target = await store.participants.get(intro.target_id)
        if requester is None or target is None or not requester.member:
            continue
        identity = delivery_identity(requester, await store.participants.identities(requester.id))
        t = services.translator_for(requester, identity)
        other = await suggestion(services, requester, now, exclude={target.id})
        lines = [
            t._("Your introduction request to {name} expired on {date} without an answer.").format(
                name=target.name, date=t.fmt_date(intro.expires_at())
            )
        ]
        if other is not None:
            lines.append(
                t._("You could ask {name} ({place}) instead: /intro {number}").format(
                    name=other.name, place=_place(t, other), number=other.id
                )
            )
        else:
            lines.append(t._("Send /find to see other counterparts."))
        subjects = [target.id] + ([other.id] if other is not None else [])
        if await services.outbox.send(
            requester,
            [Reply.text("\n".join(lines), heading=t._("Introduction request"))],
            key=f"intro:{intro.id}:expired",
            kind="introduction",
            ref_id=intro.id,
            subjects=subjects,
        ):
            queued += 1
    return queued


async def suggestion(
    services: Services, reader: Participant, now: datetime, *, exclude: set[int]
) -> Participant | None:
    """The best counterpart for ``reader`` as /find ranks them, leaving out ``exclude``, demo
    profiles, paused people and everyone the reader has asked or been asked by before (above
    all those either of them called "Not a fit", udx_bot/usecases/meetings.py: never again)."""
    store = services.store
    exclude = exclude | await store.meetings.not_a_fit(reader.id)
    page = await store.counterparts.rank(counterpart_query(reader), page=0)
    for item in page.items:
        person = item.participant
        if person.id in exclude or person.is_demo or person.paused(now):
            continue
        if await store.introductions.between(reader.id, person.id, now):
            continue
        return person
    return None


def _place(t: Translator, person: Participant) -> str:
    return ", ".join(x for x in (t.city(person.city_name), t.department(person.department)) if x)
