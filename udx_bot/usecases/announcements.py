"""Announcements, the use case: whom an announcement reaches, its way from draft to sent, and
the fan-out to the outbox; its rules live here once.

Called by the chat command (handlers/announcements.py: the preview with Send / Cancel,
``/announce status`` and ``cancel``), by the command line (udx_bot/cli/announce.py) and by the
scheduler, which releases scheduled announcements when their time has come
(udx_bot/scheduler.py). The ``/announce`` input (audience words, a time, both languages,
subcommands) is read by udx_bot/announcements.py; each caller words the results itself.

The way of an announcement: ``draft`` (a preview, without a number) -> ``scheduled`` or
``sending`` (now it has its number) -> ``sent``; a draft can be dropped and a scheduled one
cancelled (both ``cancelled``). Every step is one conditional transition in storage, so a double
click or a second process never sends anything twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage import Store
from storage.announcements import Announcement, Recipient
from storage.outbox import NewMessage, StatusCounts
from udx_bot.clock import Clock
from udx_bot.i18n import LANGUAGES, Translator, normalize_language
from udx_bot.outbox import Outbox
from udx_bot.types import Reply, Section

KIND = "announcement"


@dataclass(frozen=True)
class Audience:
    sdgs: tuple[int, ...] = ()
    city_ids: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return not (self.sdgs or self.city_ids or self.departments or self.languages)

    def to_json(self) -> dict[str, Any]:
        return {
            "sdgs": list(self.sdgs),
            "cities": list(self.city_ids),
            "departments": list(self.departments),
            "languages": list(self.languages),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            sdgs=tuple(int(n) for n in data.get("sdgs", ())),
            city_ids=tuple(int(n) for n in data.get("cities", ())),
            departments=tuple(str(d) for d in data.get("departments", ())),
            languages=tuple(str(x) for x in data.get("languages", ())),
        )

    def describe(self, t: Translator, city_names: dict[int, str]) -> str:
        if self.everyone:
            return t._("all registered participants")
        parts: list[str] = []
        if self.sdgs:
            parts.append(t.fmt_list([t.sdg_label(n) for n in self.sdgs], style="or"))
        if self.city_ids:
            parts.append(
                t.fmt_list([city_names.get(c, f"#{c}") for c in self.city_ids], style="or")
            )
        if self.departments:
            parts.append(t.fmt_list([t.department(d) for d in self.departments], style="or"))
        if self.languages:
            names = {"de": t._("German speakers"), "en": t._("English speakers")}
            parts.append(t.fmt_list([names[x] for x in self.languages], style="or"))
        return " · ".join(parts)


@dataclass
class Draft:
    audience: Audience
    texts: dict[str, str] = field(default_factory=dict)  # language -> text
    scheduled_at: datetime | None = None  # UTC


def recipient_language(recipient: Recipient, default: str) -> str:
    return recipient.language or normalize_language(recipient.language_code) or default


async def recipients(
    store: Store,
    audience: Audience,
    default_language: str,
    *,
    among: Sequence[int] | None = None,
) -> list[Recipient]:
    """Who ``audience`` reaches (the one audience rule: fan-out, preview and digests);
    ``among`` limits the answer to these participants."""
    found = await store.announcements.recipients(
        sdgs=audience.sdgs,
        city_ids=audience.city_ids,
        departments=audience.departments,
        among=among,
    )
    if audience.languages:
        found = [r for r in found if recipient_language(r, default_language) in audience.languages]
    return found


def texts_of(announcement: Announcement) -> dict[str, str]:
    texts = {}
    if announcement.text_de:
        texts["de"] = announcement.text_de
    if announcement.text_en:
        texts["en"] = announcement.text_en
    return texts


def author_label(t: Translator, author_name: str) -> str:
    """Who an announcement is from, where it is listed (digest, status): its author, or
    "Coordinators" / "Koordination" for one without an author (``udx-bot announce``)."""
    return author_name or t._("Coordinators")


def message_for(language: str, texts: dict[str, str], author_name: str, network: str) -> Reply:
    """The announcement as a recipient reads it: their language, else the other one, under a
    header that says who sends it in which network."""
    t = Translator(language)
    body = texts.get(language) or next(iter(texts.values()))
    heading = t._("📣 Announcement from {name} ({network})").format(
        name=author_name or t._("the coordinators"), network=network
    )
    return Reply(sections=[Section(body, heading=heading)], ephemeral=False)


# --- the steps --------------------------------------------------------------------------------


class Outcome(StrEnum):
    SCHEDULED = "scheduled"  # confirmed: it goes out at its time
    SENDING = "sending"  # confirmed: queued for every recipient
    DROPPED = "dropped"  # the draft was dropped; nothing was sent
    CANCELLED = "cancelled"  # the scheduled announcement will not be sent
    UNKNOWN = "unknown"  # no such announcement (a draft: or not the author's)
    CLOSED = "closed"  # no longer a draft: sent, scheduled or dropped before
    TAKEN = "taken"  # another press or process changed it first
    PAST = "past"  # its time passed before it was confirmed
    ALREADY_CANCELLED = "already cancelled"
    ALREADY_SENT = "already sent"  # sent or on its way: too late to cancel


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    announcement: Announcement | None = None  # as it was when the step ended
    queued: int = 0  # recipients it was queued for (SENDING)


@dataclass(frozen=True)
class Preview:
    reach: int  # how many recipients the audience has now
    announcement_id: int | None  # the stored draft; None when nobody is reached or on a dry run


@dataclass(frozen=True)
class Standing:
    """One announcement of ``/announce status`` and its deliveries so far."""

    announcement: Announcement
    counts: StatusCounts


async def preview(
    store: Store,
    clock: Clock,
    draft: Draft,
    *,
    author_id: int | None,
    author_name: str,
    default_language: str,
    keep: bool = True,
) -> Preview:
    """Count whom ``draft`` reaches and store it as a draft to confirm, or, with ``keep``
    False (a dry run), only count. Nobody reached: nothing is stored."""
    found = await recipients(store, draft.audience, default_language)
    if not found or not keep:
        return Preview(len(found), None)
    announcement_id = await store.announcements.create(
        author_id=author_id,
        author_name=author_name,  # "": shown as "the coordinators" in each reader's language
        audience=draft.audience.to_json(),
        text_de=draft.texts.get("de"),
        text_en=draft.texts.get("en"),
        now=clock(),
        scheduled_at=draft.scheduled_at,
    )
    return Preview(len(found), announcement_id)


async def _own_draft(
    store: Store, announcement_id: int, author_id: int | None
) -> Announcement | Result:
    announcement = await store.announcements.get(announcement_id)
    if announcement is None or announcement.author_id != author_id:
        return Result(Outcome.UNKNOWN)
    if announcement.status != "draft":
        return Result(Outcome.CLOSED, announcement)
    return announcement


async def confirm(
    store: Store,
    outbox: Outbox,
    clock: Clock,
    announcement_id: int,
    *,
    author_id: int | None,
    network: str,
    default_language: str,
) -> Result:
    """The author's draft goes out: scheduled for its time, or queued for everyone now."""
    draft = await _own_draft(store, announcement_id, author_id)
    if isinstance(draft, Result):
        return draft
    if draft.scheduled_at is not None:
        if draft.scheduled_at <= clock():
            return Result(Outcome.PAST, draft)
        if not await store.announcements.transition(draft.id, "scheduled", expect=("draft",)):
            return Result(Outcome.TAKEN)
        return Result(Outcome.SCHEDULED, await store.announcements.get(draft.id))
    if not await store.announcements.transition(draft.id, "sending", expect=("draft",)):
        return Result(Outcome.TAKEN)
    sending = await store.announcements.get(draft.id)
    assert sending is not None
    queued = await fan_out(
        store, outbox, clock, sending, network=network, default_language=default_language
    )
    return Result(Outcome.SENDING, sending, queued)


async def drop(store: Store, announcement_id: int, *, author_id: int | None) -> Result:
    """The author drops their draft (a preview nobody sends)."""
    draft = await _own_draft(store, announcement_id, author_id)
    if isinstance(draft, Result):
        return draft
    await store.announcements.transition(draft.id, "cancelled", expect=("draft",))
    return Result(Outcome.DROPPED, draft)


async def cancel(store: Store, number: int) -> Result:
    """Scheduled announcement #``number`` will not be sent."""
    announcement = await store.announcements.by_number(number)
    if announcement is None:
        return Result(Outcome.UNKNOWN)
    if announcement.status == "cancelled":
        return Result(Outcome.ALREADY_CANCELLED, announcement)
    if announcement.status != "scheduled" or not await store.announcements.transition(
        announcement.id, "cancelled", expect=("scheduled",)
    ):
        return Result(Outcome.ALREADY_SENT, announcement)
    return Result(Outcome.CANCELLED, announcement)


async def status(store: Store, limit: int) -> list[Standing]:
    """The latest ``limit`` announcements (sent, scheduled, cancelled), newest first."""
    latest = await store.announcements.recent(limit)
    counts = await store.outbox.counts(KIND, [a.id for a in latest])
    return [Standing(a, counts[a.id]) for a in latest]


async def fan_out(
    store: Store,
    outbox: Outbox,
    clock: Clock,
    announcement: Announcement,
    *,
    network: str,
    default_language: str,
) -> int:
    """Queue one outbox message per recipient (idempotent: keys ``ann:{id}:{participant}``)
    and mark the announcement sent. Returns how many recipients it was queued for."""
    audience = Audience.from_json(announcement.audience)
    found = await recipients(store, audience, default_language)
    texts = texts_of(announcement)
    payloads = {
        language: json.dumps(
            [message_for(language, texts, announcement.author_name, network).to_json()],
            ensure_ascii=False,
        )
        for language in LANGUAGES
    }
    messages = [
        NewMessage(
            key=f"ann:{announcement.id}:{r.participant_id}",
            kind=KIND,
            platform=r.platform,
            user_id=r.user_id,
            chat_id=r.chat_id,
            payload=payloads[recipient_language(r, default_language)],
            participant_id=r.participant_id,
            ref_id=announcement.id,
        )
        for r in found
    ]
    now = clock()
    await store.outbox.enqueue_many(messages, now=now)
    await store.announcements.transition(announcement.id, "sent", expect=("sending",), sent_at=now)
    outbox.notify()
    return len(messages)


async def release_due(
    store: Store, outbox: Outbox, clock: Clock, *, network: str, default_language: str
) -> int:
    """Fan out scheduled announcements whose time has come (and any fan-out interrupted by a
    crash); safe to run in several processes at once. Returns how many were released."""
    released = 0
    for announcement in await store.announcements.due(clock()):
        if announcement.status == "scheduled" and not await store.announcements.transition(
            announcement.id, "sending", expect=("scheduled",)
        ):
            continue  # another process took it
        await fan_out(
            store, outbox, clock, announcement, network=network, default_language=default_language
        )
        released += 1
    return released
