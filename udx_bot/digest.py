"""Composing a participant's weekly digest in their language: new notes from their partner
cities, then notes on their SDGs or department elsewhere, new people who match them, the week's
announcements and their open introduction requests.

The week's data is loaded once (:meth:`storage.digests.DigestReadRepository.week`) and each
digest is composed from it in memory, so a run over 10,000 participants stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from storage.digests import DigestAnnouncement, DigestNote, WeekData
from storage.participants import Participant
from udx_bot.context import Services
from udx_bot.i18n import Translator
from udx_bot.matching import counterpart_key, is_match
from udx_bot.outbox import delivery_identity
from udx_bot.translation import text_hash
from udx_bot.types import Reply, Section
from udx_bot.usecases.announcements import Audience, author_label, recipients

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
    t: Translator | None = None,
    named: set[int] | None = None,
) -> list[Reply] | None:
    """The digest for ``since``..``until``; None for a week with nothing new (unless
    UDX_DIGEST_EMPTY=send, which sends a short "quiet week"). ``t``: the reader's translator;
    by default their chosen language, else the language of the account it is delivered to.
    ``named`` collects the ids of the other people the digest names (its outbox subjects)."""
    run = run or await DigestRun.load(services, since, until, readers=[participant.id])
    if t is None:
        identity = None
        if participant.language is None:  # no choice made: their platform's language
            accounts = await services.store.participants.identities(participant.id)
            identity = delivery_identity(participant, accounts)
        t = services.translator_for(participant, identity)
    sections = compose(t, participant, run, since, until, named)
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


@dataclass(frozen=True)
class Reading:
    """One reader's view of a run's week: what every digest section is made from (what several
    sections need is worked out once)."""

    t: Translator
    reader: Participant
    run: DigestRun
    since: datetime
    until: datetime
    named: set[int] = field(default_factory=set)  # people the sections name (see build_digest)

    @cached_property
    def partners(self) -> set[int]:
        return self.run.week.partners.get(self.reader.city_id or -1, set())

    def during(self, at: datetime | None) -> bool:
        """``at`` falls in this digest's week."""
        return at is not None and self.since <= at < self.until

    @cached_property
    def fresh_notes(self) -> list[DigestNote]:
        """Notes written in the week by someone else."""
        since, until, me = self.since, self.until, self.reader.id  # locals: a hot loop
        return [
            n for n in self.run.week.notes if since <= n.created_at < until and n.author_id != me
        ]


def compose(
    t: Translator,
    reader: Participant,
    run: DigestRun,
    since: datetime,
    until: datetime,
    named: set[int] | None = None,
) -> list[Section]:
    """The digest's sections in order (see SECTIONS); those with nothing to say are left out.
    Whom they name is added to ``named``."""
    reading = Reading(t, reader, run, since, until, set() if named is None else named)
    return [section for make in SECTIONS if (section := make(reading)) is not None]


def partner_notes(r: Reading) -> Section | None:
    partners = r.partners
    found = [n for n in r.fresh_notes if n.city_id in partners]
    if not found:
        return None
    return _notes_section(
        r,
        found,
        r.t.ngettext(
            "{count} new note from your partner cities",
            "{count} new notes from your partner cities",
            len(found),
        ),
    )


def notes_elsewhere(r: Reading) -> Section | None:
    """Notes from cities other than the partner cities (the reader's own included) on the
    reader's SDGs or department, the closest first."""
    partners, reader = r.partners, r.reader
    mine = set(reader.sdgs)
    found = [
        n
        for n in r.fresh_notes
        if n.city_id not in partners and (mine & set(n.sdgs) or n.department == reader.department)
    ]
    if not found:
        return None
    found.sort(
        key=lambda n: (
            -(len(mine & set(n.sdgs)) + (n.department == reader.department)),
            -n.created_at.timestamp(),
        )
    )
    return _notes_section(
        r,
        found,
        r.t.ngettext(
            "{count} new note on your SDGs or field",
            "{count} new notes on your SDGs or field",
            len(found),
        ),
    )


def newcomers(r: Reading) -> Section | None:
    """People registered in the week who match the reader, the best counterparts first."""
    t, reader, partners = r.t, r.reader, r.partners
    found = [
        p
        for pid in r.run.week.joined
        if (p := r.run.people.get(pid)) is not None
        and p.id != reader.id
        and p.registered
        and r.during(p.registered_at)
        and is_match(reader, p, partners)
    ]
    if not found:
        return None
    found.sort(key=lambda p: counterpart_key(reader, p, partners))
    r.named.update(p.id for p in found[:MAX_PEOPLE])
    lines = [_person_line(t, p, reader) for p in found[:MAX_PEOPLE]]
    more = len(found) - MAX_PEOPLE
    if more > 0:
        lines.append(
            t.ngettext("…and {count} more: see /find", "…and {count} more: see /find", more).format(
                count=t.fmt_number(more)
            )
        )
    heading = t.ngettext(
        "{count} new colleague who matches you",
        "{count} new colleagues who match you",
        len(found),
    ).format(count=t.fmt_number(len(found)))
    return Section("\n".join(lines), heading)


def announcements(r: Reading) -> Section | None:
    """The week's announcements whose audience included the reader."""
    t = r.t
    shown = [
        ann
        for ann in r.run.week.announcements
        if r.during(ann.sent_at) and r.reader.id in r.run.audiences.get(ann.id, ())
    ]
    r.named.update(ann.author_id for ann in shown if ann.author_id is not None)
    lines = [
        f"• {_first_line(t, ann)} ({author_label(t, ann.author_name)}, "
        f"{t.fmt_date(ann.sent_at, 'medium')})"
        for ann in shown
    ]
    return Section("\n".join(lines), t._("Announcements this week")) if lines else None


def _first_line(t: Translator, ann: DigestAnnouncement) -> str:
    """The first line of the announcement in the reader's language, else the other one."""
    text = (ann.text_de if t.language == "de" else ann.text_en) or ann.text_en or ann.text_de or ""
    return text.strip().splitlines()[0] if text.strip() else ""


def introductions(r: Reading) -> Section | None:
    """Introduction requests to or from the reader still waiting for an answer."""
    t, reader, people = r.t, r.reader, r.run.people
    lines = []
    for intro in r.run.week.introductions:
        if intro.target_id == reader.id and (other := people.get(intro.requester_id)):
            r.named.add(other.id)
            lines.append(
                t._(
                    "• {name} would like to meet you (asked on {date}): answer in their request."
                ).format(name=other.name, date=t.fmt_date(intro.created_at, "medium"))
            )
        elif intro.requester_id == reader.id and (other := people.get(intro.target_id)):
            r.named.add(other.id)
            lines.append(
                t._("• You asked to meet {name} on {date}; no answer yet.").format(
                    name=other.name, date=t.fmt_date(intro.created_at, "medium")
                )
            )
    return Section("\n".join(lines), t._("Your open introductions")) if lines else None


# The digest's sections, in the order a reader sees them; a new section is one function here.
SECTIONS: tuple[Callable[[Reading], Section | None], ...] = (
    partner_notes,
    notes_elsewhere,
    newcomers,
    announcements,
    introductions,
)


def _notes_section(r: Reading, found: list[DigestNote], heading: str) -> Section:
    """A notes section under ``heading``, which counts them (``{count}``)."""
    r.named.update(n.author_id for n in found[:MAX_NOTES])
    t = r.t
    return Section(_notes_text(t, found, r.reader), heading.format(count=t.fmt_number(len(found))))


def _in_reader_language(
    t: Translator, note: DigestNote, reader: Participant
) -> tuple[str, str | None]:
    """The note's text and no marker, or (the reader being of the other language, and not
    having turned translation off) its translation and the marker saying so."""
    tr = note.translation
    if (
        tr is None
        or not reader.translate
        or note.author_id == reader.id
        or tr.target_language != t.language
        or tr.text_hash != text_hash(note.text, tr.backend)
    ):
        return note.text, None
    if tr.source_language == "de":
        marker = t._("(automatically translated from German; the original: /note show {n})")
    else:
        marker = t._("(automatically translated from English; the original: /note show {n})")
    return tr.text, marker.format(n=note.id)


def _notes_text(t: Translator, found: list[DigestNote], reader: Participant) -> str:
    lines = []
    for note in found[:MAX_NOTES]:
        where = " · ".join(x for x in (t.city(note.city_name), t.department(note.department)) if x)
        meta = (
            f"#{note.id} · {note.author_name} · {where} · {t.fmt_date(note.created_at, 'medium')}"
        )
        titles = ", ".join(t.sdg_label(n) for n in note.sdgs)
        text, marker = _in_reader_language(t, note, reader)
        excerpt = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
        lines.append("\n".join(x for x in (meta, titles, excerpt, marker) if x))
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
    where = ", ".join(x for x in (t.city(person.city_name), t.department(person.department)) if x)
    line = f"• {person.name} ({where})"
    if shared:
        line += " · " + t.fmt_list(shared)
    return line
