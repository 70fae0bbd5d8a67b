"""Membership, the use case: invitations (made, listed, revoked, redeemed), requests to join in
approval mode and their decision, and removal. Who is admitted by the mode alone is
udx_bot.admission; this module holds the rules of each act once.

Called by the chat (handlers/invitations.py: /invite, /remove; handlers/membership.py: /start
with a code, the request to join and Approve / Decline) and by the command line
(udx_bot/cli/members.py: ``udx-bot invite``, ``udx-bot remove``).

A code is 12 characters of an alphabet without look-alikes (about 60 bits), random from
:mod:`secrets`; only its SHA-256 is stored, so the database never holds a usable code. Typed
codes are read case-insensitively, with spaces and dashes ignored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import Store
from storage.membership import Invitation, InvitationRefused, MembershipRequest
from storage.participants import Participant

__all__ = ["InvitationRefused"]

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 12
DEFAULT_USES, MAX_USES = 1, 500
DEFAULT_DAYS, MAX_DAYS = 14, 365
MAX_BATCH = 1000  # codes one ``udx-bot invite --csv`` makes
_TYPED_RE = re.compile(rf"^[A-Za-z0-9]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize(typed: str) -> str | None:
    """The code in what was typed, or None when it cannot be one."""
    compact = re.sub(r"[\s\-]", "", typed).upper()
    return compact if _TYPED_RE.match(compact) else None


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def telegram_link(bot_username: str | None, code: str) -> str | None:
    """The deep link Telegram turns into ``/start <code>``; None while the bot's name is not
    known (TELEGRAM_BOT_USERNAME, or the running bot's own)."""
    return f"https://t.me/{bot_username}?start={code}" if bot_username else None


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    code: str  # shown once, never stored


class BadInvitation(ValueError):
    """Uses or days out of range (``which`` is "uses" or "days")."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


async def create(
    store: Store,
    *,
    now: datetime,
    city_id: int | None = None,
    uses: int = DEFAULT_USES,
    days: int = DEFAULT_DAYS,
    created_by: int | None = None,
    count: int = 1,
) -> list[NewInvitation]:
    """``count`` invitations of ``uses`` each, valid for ``days``."""
    if not 1 <= uses <= MAX_USES:
        raise BadInvitation("uses")
    if not 1 <= days <= MAX_DAYS:
        raise BadInvitation("days")
    if not 1 <= count <= MAX_BATCH:
        raise BadInvitation("count")
    made = []
    for _ in range(count):
        code = new_code()
        invitation = await store.membership.invite(
            code_hash(code),
            city_id=city_id,
            uses=uses,
            expires_at=now + timedelta(days=days),
            created_by=created_by,
            now=now,
        )
        made.append(NewInvitation(invitation, code))
    return made


async def redeem(store: Store, typed: str, participant_id: int, *, now: datetime) -> Invitation:
    """Admit the participant with the code they typed; :class:`InvitationRefused` (reason
    unknown, revoked, expired or used) changes nothing."""
    code = normalize(typed)
    if code is None:
        raise InvitationRefused("unknown")
    return await store.membership.redeem(code_hash(code), participant_id, now=now)


@dataclass(frozen=True)
class JoinRequest:
    request: MembershipRequest
    created: bool  # False: it was already waiting
    deciders: list[Participant]  # to be asked (empty when it was already waiting)


async def ask_to_join(store: Store, participant: Participant, *, now: datetime) -> JoinRequest:
    """The person's request to join (approval mode), and who decides it: the coordinators and
    admins of their city, else all of them. After a decline nobody is asked again (the
    declined request is returned): an invitation is the way in then."""
    latest = await store.membership.latest_request(participant.id)
    if latest is not None and latest.status == "declined":
        return JoinRequest(latest, False, [])
    request, created = await store.membership.request(participant.id, participant.city_id, now=now)
    deciders = await store.membership.deciders(participant.city_id) if created else []
    return JoinRequest(request, created, [d for d in deciders if d.id != participant.id])


@dataclass(frozen=True)
class Decision:
    outcome: str  # decided, already (someone decided first), gone (no such request or person)
    request: MembershipRequest | None = None
    person: Participant | None = None


async def decide(
    store: Store, request_id: int, *, approve: bool, decider: Participant, now: datetime
) -> Decision:
    """A coordinator's Approve or Decline. Nobody decides their own request (a forged button
    cannot admit its presser)."""
    request = await store.membership.get_request(request_id)
    if request is None or request.participant_id == decider.id:
        return Decision("gone")
    person = await store.participants.get(request.participant_id)
    if person is None:
        return Decision("gone")
    if request.status != "open":
        return Decision("already", request, person)
    decided = await store.membership.decide(request_id, approve=approve, by=decider.id, now=now)
    if decided is None:
        return Decision("already", request, person)
    return Decision("decided", decided, await store.participants.get(person.id) or person)


async def remove(store: Store, participant_id: int, *, now: datetime) -> bool:
    """End a membership at once (the next update is a stranger's); False when not a member."""
    return await store.membership.remove(participant_id, now=now)
