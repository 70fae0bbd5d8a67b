"""Composing a participant's weekly digest in their language: new notes from their partner
cities, then notes on their SDGs or department elsewhere, new people who match them, the week's
announcements and their open introduction requests.

The week's data is loaded once (:meth:`storage.digests.DigestReadRepository.week`) and each
digest is composed from it in memory, so a run over 10,000 participants stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from storage.digests import DigestNote, WeekData
from storage.participants import Participant
from udx_bot.context import Services
from udx_bot.i18n import Translator
from udx_bot.matching import counterpart_key, is_match
from udx_bot.types import Reply, Section
from udx_bot.usecases.announcements import Audience, recipients

MAX_NOTES = 5  # per notes section; the rest is counted
MAX_PEOPLE = 3
EXCERPT = 280  # characters of a note's text


@dataclass
class DigestRun:
    """The data of one run, shared by every digest built in it."""

    week: WeekData
    people: dict[int, Participant] = field(default_factory=dict)
    # announcement id -> the participants its audience includes (of the readers asked for)
    audiences: dict[int, frozenset[int]] = field(default_factory=dict)

    @classmethod
    async def load(
        cls,
        services: Services,
        since: datetime,
        until: datetime,
        *,
        readers: Sequence[int] | None = None,
    ) -> DigestRun:
        """The week's data; ``readers``: only they will read this run's digests (None: anyone)."""
        store = services.store
        week = await store.digest_reads.week(since, until)
        wanted = set(week.joined)
        for intro in week.introductions:
            wanted.update((intro.requester_id, intro.target_id))
        audiences = {}
        for ann in week.announcements:
            found = await recipients(
                store,
                Audience.from_json(ann.audience),
                services.settings.default_language,
                among=readers,
            )
            audiences[ann.id] = frozenset(r.participant_id for r in found)
        return cls(week, await store.participants.get_many(wanted), audiences)


async def build_digest(
    services: Services,
    participant: Participant,
    *,
    since: datetime,
    until: datetime,
    run: DigestRun | None = None,
) -> list[Reply] | None:
    """The digest for ``since``..``until``; None for a week with nothing new (unless
    UDX_DIGEST_EMPTY=send, which sends a short "quiet week")."""
    run = run or await DigestRun.load(services, since, until, readers=[participant.id])
    t = services.translator_for(participant)
    sections = compose(t, participant, run, since, until)
    if not sections:
        if services.settings.digest_empty != "send":
            return None
        sections = [Section(t._("A quiet week in the network: nothing new for you."))]
    heading = t._("Your weekly digest, {start} – {end}").format(
        start=t.fmt_date(since, "medium"), end=t.fmt_date(until, "medium")
    )
    title = Section(
        t._("Here is what happened in the {network} for you.").format(
            network=services.settings.network_name
        ),
        heading,
    )
    return [Reply(sections=[title, *sections], ephemeral=False)]


def compose(
    t: Translator, reader: Participant, run: DigestRun, since: datetime, until: datetime
) -> list[Section]:
    week = run.week
    partners = week.partners.get(reader.city_id or -1, set())
    mine = set(reader.sdgs)
    fresh = [n for n in week.notes if since <= n.created_at < until and n.author_id != reader.id]
    from_partners = [n for n in fresh if n.city_id in partners]
    elsewhere = [
        n
        for n in fresh
        if n.city_id not in partners and (mine & set(n.sdgs) or n.department == reader.department)
    ]
    elsewhere.sort(
        key=lambda n: (
            -(len(mine & set(n.sdgs)) + (n.department == reader.department)),
            -n.created_at.timestamp(),
        )
    )
    sections = []
    if from_partners:
        heading = t.ngettext(
            "{count} new note from your partner cities",
            "{count} new notes from your partner cities",
            len(from_partners),
        ).format(count=t.fmt_number(len(from_partners)))
        sections.append(Section(_notes_text(t, from_partners), heading))
    if elsewhere:
        heading = t.ngettext(
            "{count} new note on your SDGs or field elsewhere",
            "{count} new notes on your SDGs or field elsewhere",
            len(elsewhere),
        ).format(count=t.fmt_number(len(elsewhere)))
        sections.append(Section(_notes_text(t, elsewhere), heading))

    newcomers = [
        p
        for pid in week.joined
        if (p := run.people.get(pid)) is not None
        and p.id != reader.id
        and p.registered
        and p.registered_at is not None
        and since <= p.registered_at < until
        and is_match(reader, p, partners)
    ]
    if newcomers:
        newcomers.sort(key=lambda p: counterpart_key(reader, p, partners))
        lines = [_person_line(t, p, reader) for p in newcomers[:MAX_PEOPLE]]
        more = len(newcomers) - MAX_PEOPLE
        if more > 0:
            lines.append(
                t.ngettext(
                    "…and {count} more: see /find", "…and {count} more: see /find", more
                ).format(count=t.fmt_number(more))
            )
        heading = t.ngettext(
            "{count} new colleague who matches you",
            "{count} new colleagues who match you",
            len(newcomers),
        ).format(count=t.fmt_number(len(newcomers)))
        sections.append(Section("\n".join(lines), heading))

    announcements = [
        a
        for a in week.announcements
        if since <= a.sent_at < until and reader.id in run.audiences.get(a.id, ())
    ]
    if announcements:
        lines = []
        for ann in announcements:
            text = (
                (ann.text_de if t.language == "de" else ann.text_en) or ann.text_en or ann.text_de
            )
            first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
            lines.append(f"• {first} ({ann.author_name}, {t.fmt_date(ann.sent_at, 'medium')})")
        sections.append(Section("\n".join(lines), t._("Announcements this week")))

    lines = []
    for intro in week.introductions:
        if intro.target_id == reader.id and (other := run.people.get(intro.requester_id)):
            lines.append(
                t._(
                    "• {name} would like to meet you (asked on {date}): answer in their request."
                ).format(name=other.name, date=t.fmt_date(intro.created_at, "medium"))
            )
        elif intro.requester_id == reader.id and (other := run.people.get(intro.target_id)):
            lines.append(
                t._("• You asked to meet {name} on {date}; no answer yet.").format(
                    name=other.name, date=t.fmt_date(intro.created_at, "medium")
                )
            )
    if lines:
        sections.append(Section("\n".join(lines), t._("Your open introductions")))
    return sections


def _notes_text(t: Translator, found: list[DigestNote]) -> str:
    lines = []
    for note in found[:MAX_NOTES]:
        where = " · ".join(x for x in (note.city_name, t.department(note.department)) if x)
        meta = (
            f"#{note.id} · {note.author_name} · {where} · {t.fmt_date(note.created_at, 'medium')}"
        )
        titles = ", ".join(t.sdg_label(n) for n in note.sdgs)
        excerpt = note.text if len(note.text) <= EXCERPT else note.text[: EXCERPT - 1] + "…"
        lines.append("\n".join(x for x in (meta, titles, excerpt) if x))
    more = len(found) - MAX_NOTES
    if more > 0:
        lines.append(
            t.ngettext(
                "…and {count} more: see /notes", "…and {count} more: see /notes", more
            ).format(count=t.fmt_number(more))
        )
    return "\n\n".join(lines)


def _person_line(t: Translator, person: Participant, reader: Participant) -> str:
    shared = [t.sdg(n) for n in person.sdgs if n in set(reader.sdgs)]
    where = ", ".join(x for x in (person.city_name, t.department(person.department)) if x)
    line = f"• {person.name} ({where})"
    if shared:
        line += " · " + t.fmt_list(shared)
    return line
