"""/announce: coordinators reach the whole network (or part of it) on every platform.

``/announce [audience] <text> [at YYYY-MM-DD HH:MM]`` shows a preview with the audience size and
Send / Cancel buttons (the draft is stored, nothing goes out before Send); Send fans out through
the outbox, or schedules it, and gives the announcement its number. ``/announce status`` shows
the latest announcements by number with delivery counts; ``/announce cancel <n>`` (``stornieren``)
cancels a scheduled one. A first word naming a subcommand never becomes an announcement's text.
Parsing and fan-out live in udx_bot/announcements.py (shared with the command line).
"""

from __future__ import annotations

from udx_bot.announcements import (
    USAGE,
    Audience,
    fan_out,
    message_for,
    parse_draft,
    recipients,
    subcommand,
    texts_of,
)
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Button, Reply, Section

router = Router()
STATUS_LIMIT = 5


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
        return await _subcommand(ctx, *sub)
    cities = await ctx.store.cities.all()
    city_names = {c.id: c.name for c in cities}
    draft = parse_draft(args, ctx.t, cities, now=ctx.now(), tz=ctx.t.tz)
    audience_text = draft.audience.describe(ctx.t, city_names)
    found = await recipients(ctx.store, draft.audience, ctx.settings.default_language)
    if not found:
        return Reply.text(
            ctx._(
                "Nobody matches this audience ({audience}): no registered participant the bot "
                "can reach. Nothing was sent."
            ).format(audience=audience_text)
        )
    announcement_id = await ctx.store.announcements.create(
        author_id=ctx.participant.id,
        author_name=ctx.participant.name,
        audience=draft.audience.to_json(),
        text_de=draft.texts.get("de"),
        text_en=draft.texts.get("en"),
        now=ctx.now(),
        scheduled_at=draft.scheduled_at,
    )
    n = len(found)
    lines = [
        ctx._("To: {audience}").format(audience=audience_text),
        ctx.ngettext("{n} recipient", "{n} recipients", n).format(n=ctx.t.fmt_number(n)),
    ]
    if draft.scheduled_at is not None:
        lines.append(
            ctx._("Goes out on {when}.").format(when=ctx.t.fmt_datetime(draft.scheduled_at))
        )
    if len(draft.texts) == 2:
        lines.append(ctx._("Everyone receives the text in their language (German or English)."))
    else:
        lines.append(ctx._("Everyone receives this text as written."))
    preview = message_for(
        ctx.t.language, draft.texts, ctx.participant.name, ctx.settings.network_name
    )
    send_label = ctx._("Schedule") if draft.scheduled_at is not None else ctx._("Send")
    return Reply(
        sections=[Section("\n".join(lines), heading=ctx._("Preview")), *preview.sections],
        buttons=[
            [
                Button(send_label, f"ann:send:{announcement_id}", "primary"),
                Button(ctx._("Cancel"), f"ann:cancel:{announcement_id}", "danger"),
            ]
        ],
    )


@router.callback("ann", role="coordinator")
async def announce_button(ctx: Context) -> Reply:
    action, _, raw_id = ctx.args.partition(":")
    if not raw_id.isdigit() or action not in ("send", "cancel"):
        return Reply.notify(ctx._("That button is no longer active. Send /help to start again."))
    # A repeated or stale press answers with a notice and leaves the message as it is.
    announcement = await ctx.store.announcements.get(int(raw_id))
    if announcement is None or announcement.author_id != ctx.participant.id:
        return Reply.notify(ctx._("This draft is not yours or no longer exists."))
    if announcement.status != "draft":
        return Reply.notify(
            ctx._("This announcement was already sent or cancelled. /announce status shows it.")
        )
    if action == "cancel":
        await ctx.store.announcements.transition(announcement.id, "cancelled", expect=("draft",))
        return Reply.text(ctx._("Cancelled. Nothing was sent."), edit=True)
    if announcement.scheduled_at is not None:
        if announcement.scheduled_at <= ctx.now():
            raise UserError(
                ctx._("{when} is in the past. Choose a time in the future.").format(
                    when=ctx.t.fmt_datetime(announcement.scheduled_at, "short")
                )
            )
        if not await ctx.store.announcements.transition(
            announcement.id, "scheduled", expect=("draft",)
        ):
            return Reply.notify(ctx._("This announcement was already sent or cancelled."))
        scheduled = await ctx.store.announcements.get(announcement.id)
        assert scheduled is not None and scheduled.number is not None
        return Reply.text(
            ctx._(
                "Scheduled for {when} as #{n}. /announce status shows it; "
                "/announce cancel {n} cancels it."
            ).format(when=ctx.t.fmt_datetime(announcement.scheduled_at), n=scheduled.number),
            edit=True,
        )
    if not await ctx.store.announcements.transition(announcement.id, "sending", expect=("draft",)):
        return Reply.notify(ctx._("This announcement was already sent or cancelled."))
    announcement = await ctx.store.announcements.get(announcement.id)
    assert announcement is not None
    n = await fan_out(ctx.services, announcement)
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


async def _subcommand(ctx: Context, name: str, rest: str) -> Reply:
    if name == "status":
        if rest:
            raise UserError(_reserved(ctx, "status"))
        return await status(ctx)
    number = rest.lstrip("#")
    if not number.isdigit():
        raise UserError(_reserved(ctx, ctx.args.split()[0]))
    return await cancel(ctx, int(number))


def _reserved(ctx: Context, word: str) -> str:
    return ctx._(
        "{word} is a subcommand: /announce status shows the latest announcements, "
        "/announce cancel <n> cancels scheduled announcement #n. To announce a text that "
        "starts with {word}, put the audience first, e.g. /announce all {word} …"
    ).format(word=word)


async def cancel(ctx: Context, number: int) -> Reply:
    store = ctx.store
    announcement = await store.announcements.by_number(number)
    if announcement is None:
        raise UserError(
            ctx._("There is no announcement #{n}. /announce status shows the numbers.").format(
                n=number
            )
        )
    if announcement.status == "cancelled":
        raise UserError(ctx._("Announcement #{n} was already cancelled.").format(n=number))
    if announcement.status != "scheduled" or not await store.announcements.transition(
        announcement.id, "cancelled", expect=("scheduled",)
    ):
        raise UserError(
            ctx._("Announcement #{n} was already sent; it can't be cancelled.").format(n=number)
        )
    return Reply.text(ctx._("Cancelled announcement #{n}: it will not be sent.").format(n=number))


async def status(ctx: Context) -> Reply:
    latest = await ctx.store.announcements.recent(STATUS_LIMIT)
    if not latest:
        return Reply.text(ctx._("No announcements yet."), heading=ctx._("Announcements"))
    counts = await ctx.store.outbox.counts("announcement", [a.id for a in latest])
    city_names = {c.id: c.name for c in await ctx.store.cities.all()}
    sections = []
    for a in latest:
        when = a.sent_at if a.status == "sent" else a.scheduled_at
        state = ctx._(_STATUS[a.status]).format(
            when=ctx.t.fmt_datetime(when, "short") if when else ""
        )
        c = counts[a.id]
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
        heading = " · ".join(x for x in (f"#{a.number}", a.author_name, state) if x)
        sections.append(Section("\n".join(lines), heading=heading))
    if any(counts[a.id].failed for a in latest):
        sections.append(
            Section(
                ctx._(
                    "Failed: the person blocked the bot or left the platform; they get messages "
                    "again once they write to the bot."
                )
            )
        )
    if any(counts[a.id].uncertain for a in latest):
        sections.append(
            Section(
                ctx._(
                    "Unconfirmed: the platform most likely delivered it, but its answer could "
                    "not be read; it is not sent again, so nobody gets it twice."
                )
            )
        )
    return Reply(sections=[Section("", heading=ctx._("Announcements")), *sections])
