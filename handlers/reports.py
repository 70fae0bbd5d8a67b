"""/report [from] [to] [#City] [pdf]: what the partnerships did, for coordinators and admins;
/export notes|participants|introductions [csv|json]: the records as a file.

The figures as text, then three charts as pictures (Telegram photos, Slack files), each with
its numbers as text beside it; ``pdf`` sends the PDF for a funder's report instead of the
pictures. Dates as in udx_bot/reports (2026-10-01, 01.10.2026, 2026-10); without dates, the last
six months. ``#City``: only that city's partnerships.
"""

from __future__ import annotations

import asyncio

from storage.report_data import ReportData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_, Translator
from udx_bot.reports import chart_text, exports
from udx_bot.reports.report_input import Period, ReportInputError, build, find_city, period
from udx_bot.reports.report_text import made_on, period_line, summary, title
from udx_bot.router import Router
from udx_bot.types import Document, Reply, Section

router = Router()
USAGE = N_("/report [from] [to] [#City] [pdf]")


@router.command(
    "report",
    help=N_("What the partnerships did, in figures and charts (coordinators)"),
    usage=USAGE,
    role="coordinator",
    aliases=("bericht",),
)
async def report(ctx: Context) -> list[Reply]:
    words, _, city_text = ctx.args.partition("#")
    tokens = words.split()
    city_words = city_text.split()
    as_pdf = any(w.casefold() == "pdf" for w in tokens + city_words)
    tokens = [w for w in tokens if w.casefold() != "pdf"]
    city_name = " ".join(w for w in city_words if w.casefold() != "pdf")
    if len(tokens) > 2 or (city_text and not city_name):
        raise UserError(ctx._("Usage: {usage}").format(usage=ctx._(USAGE)))
    today = ctx.now().astimezone(ctx.t.tz).date()
    try:
        first, last = ([*tokens, None, None])[:2]
        span = period(first, last, ctx.t, today)
        city = find_city(city_name, await ctx.store.cities.all(), ctx.t) if city_name else None
    except ReportInputError as error:
        raise UserError(error.message) from None
    data = await build(ctx.store, span, {city.id} if city else None)
    network = ctx.settings.network_name
    head = Section(period_line(span, ctx.t), heading=title(ctx.t, network))
    replies = [
        Reply(sections=[head, *(Section(text, h or None) for h, text in summary(data, ctx.t))])
    ]
    if as_pdf:
        made = made_on(ctx.t, ctx.now())
        content = await asyncio.to_thread(_pdf, data, span, ctx.t, network, made)
        document = Document("report.pdf", content, "application/pdf")
        replies.append(Reply(sections=[Section(ctx._("The report as a PDF."))], document=document))
        return replies
    pictures = await asyncio.to_thread(_pictures, data, ctx.t)
    headings, texts = chart_text.headings(ctx.t), chart_text.descriptions(data, ctx.t)
    for name, content in pictures.items():
        replies.append(
            Reply(
                sections=[Section(texts[name], heading=headings[name])],
                document=Document(f"report-{name}.png", content, "image/png"),
            )
        )
    return replies


def _pictures(data: ReportData, t: Translator) -> dict[str, bytes]:
    from udx_bot.reports import charts  # matplotlib loads on the first report, not at start

    return {name: charts.png(figure) for name, figure in charts.charts(data, t).items()}


def _pdf(data: ReportData, span: Period, t: Translator, network: str, made: str) -> bytes:
    from udx_bot.reports import charts

    return charts.pdf(data, span, t, network, made)


EXPORT_USAGE = N_("/export notes|participants|introductions [csv|json]")
_KINDS = {
    "notes": "notes",
    "notizen": "notes",
    "participants": "participants",
    "people": "participants",
    "teilnehmende": "participants",
    "introductions": "introductions",
    "vorstellungen": "introductions",
}
_MIME = {"csv": "text/csv", "json": "application/json"}


@router.command(
    "export",
    help=N_("Notes, participants or introductions as a CSV or JSON file (coordinators)"),
    usage=EXPORT_USAGE,
    role="coordinator",
    aliases=("exportieren",),
)
async def export_command(ctx: Context) -> Reply:
    kind, fmt = "notes", "csv"
    for word in ctx.args.casefold().split():
        if word in _KINDS:
            kind = _KINDS[word]
        elif word in _MIME:
            fmt = word
        else:
            raise UserError(
                ctx._("I can't export “{word}”. Usage: {usage}").format(
                    word=word, usage=ctx._(EXPORT_USAGE)
                )
            )
    records = await exports.rows(ctx.store, kind, ctx.t)
    day = ctx.now().date().isoformat()
    document = Document(f"{kind}-{day}.{fmt}", exports.render(records, fmt), _MIME[fmt])
    count = len(records)
    text = ctx.ngettext(
        "{n} record. People who asked for it appear only by city and department.",
        "{n} records. People who asked for it appear only by city and department.",
        count,
    ).format(n=ctx.t.fmt_number(count))
    return Reply(sections=[Section(text)], document=document)
