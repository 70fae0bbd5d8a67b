"""/announce: coordinators reach the whole network (or part of it) on every platform.

``/announce [audience] <text> [at YYYY-MM-DD HH:MM]`` shows a preview with the audience size and
Send / Cancel buttons (the draft is stored, nothing goes out before Send); Send fans out through
the outbox, or schedules it, and gives the announcement its number. ``/announce status`` shows
the latest announcements by number with delivery counts; ``/announce cancel <n>`` (``stornieren``)
cancels a scheduled one. A first word naming a subcommand never becomes an announcement's text.

This module is the chat's side only: it reads the command (udx_bot/announcements.py) and words
the results as replies with buttons; the rules are the use case's
(udx_bot/usecases/announcements.py), which the command line and the scheduler call as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from udx_bot.announcements import USAGE, Subcommand, parse_draft, subcommand
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_, Translator
from udx_bot.router import Router
from udx_bot.translation import TranslationError, glossary, other_language
from udx_bot.typed import is_row_id
from udx_bot.types import Button, Reply, Section
from udx_bot.usecases import announcements as use
from udx_bot.usecases.announcements import (
    Audience,
    Outcome,
    Standing,
    author_label,
    message_for,
    texts_of,
)

router = Router()
STATUS_LIMIT = 5


@dataclass(frozen=True)
class _Draft(CallbackData, prefix="ann"):
    """A preview's buttons: ``ann:send:<id>`` and ``ann:cancel:<id>`` (the same data as the
    hand-built buttons before them, so previews already in chats still work). Data no kind reads,
    or an id no row can have, gets the router's "no longer active" notice."""

    announcement_id: int

    def __post_init__(self) -> None:
        if not is_row_id(self.announcement_id):
            raise ValueError(self.announcement_id)


@dataclass(frozen=True)
class SendDraft(_Draft, action="send"):
    pass


@dataclass(frozen=True)
class DropDraft(_Draft, action="cancel"):
    pass


@router.command(
    "announce",
    help=N_("Send an announcement to the network (coordinators)"),
    usage=N_("/announce [audience] <text> [at YYYY-MM-DD HH:MM]"),
    role="coordinator",
    aliases=("ankuendigen", "ankündigen"),
)
async def announce(ctx: Context) -> Reply:
    args = ctx.args.strip()
    if not args:
        raise UserError(ctx._("Usage: {usage}").format(usage=ctx._(USAGE)))
    sub = subcommand(args)
    if sub is not None:
        return await _subcommand(ctx, sub)
    cities = await ctx.store.cities.all()
    city_names = {c.id: ctx.t.city(c.name) for c in cities}
    draft = parse_draft(args, ctx.t, cities, now=ctx.now(), tz=ctx.t.tz)
    translated = await _translate_draft(ctx, draft)
    audience_text = draft.audience.describe(ctx.t, city_names)
    preview = await use.preview(
        ctx.store,
        ctx.services.clock,
        draft,
        author_id=ctx.participant.id,
        author_name=ctx.participant.name,
        default_language=ctx.settings.default_language,
    )
    if preview.announcement_id is None:
        return Reply.text(
            ctx._(
                "Nobody matches this audience ({audience}): no registered participant the bot "
                "can reach. Nothing was sent."
            ).format(audience=audience_text)
        )
    n = preview.reach
    lines = [
        ctx._("To: {audience}").format(audience=audience_text),
        ctx.ngettext("{n} recipient", "{n} recipients", n).format(n=ctx.t.fmt_number(n)),
    ]
    if draft.scheduled_at is not None:
        lines.append(ctx._("Goes out on {when}.").format(when=ctx.t.fmt_when(draft.scheduled_at)))
    if len(draft.texts) == 2:
        lines.append(ctx._("Everyone receives the text in their language (German or English)."))
        if translated:
            lines.append(
                ctx._(
                    "The other language's version is machine-translated: to change it, send "
                    "/announce again with both texts (de: … en: …)."
                )
            )
    else:
        lines.append(ctx._("Everyone receives this text as written."))
    # every version the message has, the reader's own first, each as its readers see it
    versions = sorted(draft.texts, key=lambda language: language != ctx.t.language)
    as_read = [
        section
        for language in versions
        for section in message_for(
            language, {language: draft.texts[language]}, ctx.participant.name,
            ctx.settings.network_name,
        ).sections
    ]  # fmt: skip
    send_label = ctx._("Schedule") if draft.scheduled_at is not None else ctx._("Send")
    return Reply(
        sections=[Section("\n".join(lines), heading=ctx._("Preview")), *as_read],
        buttons=[
            [
                Button(send_label, SendDraft(preview.announcement_id).pack(), "primary"),
                Button(ctx._("Cancel"), DropDraft(preview.announcement_id).pack(), "danger"),
            ]
        ],
    )


_FROM = {
    "de": N_("(automatically translated from German)"),
    "en": N_("(automatically translated from English)"),
}


async def _translate_draft(ctx: Context, draft: use.Draft) -> bool:
    """A text in one language only gets the other language's version by machine translation
    (glossary applied, marked as translated), when translation is configured; True if it did.
    The service failing leaves the draft as written."""
    backend = ctx.services.translation
    if backend is None or len(draft.texts) != 1:
        return False
    ((source, text),) = draft.texts.items()
    target = other_language(source)
    try:
        (done,) = await backend.translate([glossary.protect(text, source)], source, target)
    except TranslationError:
        return False
    marker = Translator(target)._(_FROM[source])
    draft.texts[target] = f"{glossary.restore(done, target)}\n\n{marker}"
    return True


@router.callback(SendDraft, role="coordinator")
async def send_draft(ctx: Context, data: SendDraft) -> Reply:
    result = await use.confirm(
        ctx.store,
        ctx.services.outbox,
        ctx.services.clock,
        data.announcement_id,
        author_id=ctx.participant.id,
        network=ctx.settings.network_name,
        default_language=ctx.settings.default_language,
    )
    return _pressed(ctx, result)


@router.callback(DropDraft, role="coordinator")
async def drop_draft(ctx: Context, data: DropDraft) -> Reply:
    result = await use.drop(ctx.store, data.announcement_id, author_id=ctx.participant.id)
    return _pressed(ctx, result)


def _pressed(ctx: Context, result: use.Result) -> Reply:
    """A repeated or stale press answers with a notice and leaves the message as it is."""
    announcement = result.announcement
    match result.outcome:
        case Outcome.UNKNOWN:
            return Reply.notify(ctx._("This draft is not yours or no longer exists."))
        case Outcome.CLOSED:
            return Reply.notify(
                ctx._("This announcement was already sent or cancelled. /announce status shows it.")
            )
        case Outcome.TAKEN:
            return Reply.notify(ctx._("This announcement was already sent or cancelled."))
        case Outcome.DROPPED:
            return Reply.text(ctx._("Cancelled. Nothing was sent."), edit=True)
        case Outcome.PAST:
            assert announcement is not None and announcement.scheduled_at is not None
            raise UserError(
                ctx._("{when} is in the past. Choose a time in the future.").format(
                    when=ctx.t.fmt_when(announcement.scheduled_at)
                )
            )
        case Outcome.SCHEDULED:
            assert announcement is not None and announcement.scheduled_at is not None
            return Reply.text(
                ctx._(
                    "Scheduled for {when} as #{n}. /announce status shows it; "
                    "/announce cancel {n} cancels it."
                ).format(when=ctx.t.fmt_when(announcement.scheduled_at), n=announcement.number),
                edit=True,
            )
    n = result.queued
    return Reply.text(
        ctx.ngettext(
            "Sending to {n} recipient. /announce status shows the delivery.",
            "Sending to {n} recipients. /announce status shows the delivery.",
            n,
        ).format(n=ctx.t.fmt_number(n)),
        edit=True,
    )


_STATUS = {
    "scheduled": N_("scheduled for {when}"),
    "sending": N_("being sent"),
    "sent": N_("sent on {when}"),
    "cancelled": N_("cancelled"),
}


async def _subcommand(ctx: Context, sub: Subcommand) -> Reply:
    if not sub.well_formed:
        raise UserError(_reserved(ctx, sub.name if sub.name == "status" else ctx.args.split()[0]))
    if sub.name == "status":
        return await status(ctx)
    assert sub.number is not None
    return await cancel(ctx, sub.number)


def _reserved(ctx: Context, word: str) -> str:
    return ctx._(
        "{word} is a subcommand: /announce status shows the latest announcements, "
        "/announce cancel <n> cancels scheduled announcement #n. To announce a text that "
        "starts with {word}, put the audience first, e.g. /announce all {word} …"
    ).format(word=word)


async def cancel(ctx: Context, number: int) -> Reply:
    result = await use.cancel(ctx.store, number) if is_row_id(number) else None
    match None if result is None else result.outcome:
        case None | Outcome.UNKNOWN:  # None: no announcement can have that number
            message = ctx._("There is no announcement #{n}. /announce status shows the numbers.")
        case Outcome.ALREADY_CANCELLED:
            message = ctx._("Announcement #{n} was already cancelled.")
        case Outcome.ALREADY_SENT:
            message = ctx._("Announcement #{n} was already sent; it can't be cancelled.")
        case _:
            return Reply.text(
                ctx._("Cancelled announcement #{n}: it will not be sent.").format(n=number)
            )
    raise UserError(message.format(n=number))


async def status(ctx: Context) -> Reply:
    latest = await use.status(ctx.store, STATUS_LIMIT)
    if not latest:
        return Reply.text(ctx._("No announcements yet."), heading=ctx._("Announcements"))
    city_names = {c.id: ctx.t.city(c.name) for c in await ctx.store.cities.all()}
    sections = [_standing(ctx, s, city_names) for s in latest]
    if any(s.counts.failed for s in latest):
        sections.append(
            Section(
                ctx._(
                    "Failed: the person blocked the bot or left the platform; they get messages "
                    "again once they write to the bot."
                )
            )
        )
    if any(s.counts.uncertain for s in latest):
        sections.append(
            Section(
                ctx._(
                    "Unconfirmed: the platform most likely delivered it, but its answer could "
                    "not be read; it is not sent again, so nobody gets it twice."
                )
            )
        )
    return Reply(sections=[Section("", heading=ctx._("Announcements")), *sections])


def _standing(ctx: Context, standing: Standing, city_names: dict[int, str]) -> Section:
    a, c = standing.announcement, standing.counts
    when = a.sent_at if a.status == "sent" else a.scheduled_at
    state = ctx._(_STATUS[a.status]).format(when=ctx.t.fmt_when(when) if when else "")
    texts = texts_of(a)
    excerpt = texts.get(ctx.t.language) or next(iter(texts.values()), "")
    if len(excerpt) > 80:
        excerpt = excerpt[:79] + "…"
    lines = [
        ctx._("To: {audience}").format(
            audience=Audience.from_json(a.audience).describe(ctx.t, city_names)
        ),
        excerpt,
    ]
    if c.total:
        counted = ctx._("{sent} sent · {pending} pending · {failed} failed").format(
            sent=ctx.t.fmt_number(c.sent),
            pending=ctx.t.fmt_number(c.pending),
            failed=ctx.t.fmt_number(c.failed),
        )
        if c.uncertain:
            counted += " · " + ctx._("{n} unconfirmed").format(n=ctx.t.fmt_number(c.uncertain))
        lines.append(counted)
    heading = " · ".join(
        x for x in (f"#{a.number}", author_label(ctx.t, a.author_name), state) if x
    )
    return Section("\n".join(lines), heading=heading)
