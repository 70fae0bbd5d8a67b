"""A report's pictures, drawn with matplotlib's Agg canvas (no display, no pyplot state, safe
in a worker thread): the partnerships × the 17 SDGs in the official SDG colours, notes per
partnership over the months, the introduction funnel; and the PDF with a title page, the
tables and the charts (matplotlib's PDF backend).

Every chart is 1200 pixels wide (12 inches at 100 dpi); its height grows with its rows.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from storage.report_data import ReportData
from udx_bot.i18n import Translator
from udx_bot.reference import SDG_RANGE
from udx_bot.reports.report_input import Period
from udx_bot.reports.report_text import (
    active_pairs,
    month_label,
    pair_label,
    period_line,
    sdgs_of,
    title,
    totals_table,
)

DPI = 100
WIDTH = 12.0  # inches: 1200 pixels
# The UN's official SDG colours (the SDG communications guidelines), goal 1 to 17.
SDG_COLOURS = (
    "#E5243B", "#DDA63A", "#4C9F38", "#C5192D", "#FF3A21", "#26BDE2", "#FCC30B", "#A21942",
    "#FD6925", "#DD1367", "#FD9D24", "#BF8B2E", "#3F7E44", "#0A97D9", "#56C02B", "#00689D",
    "#19486A",
)  # fmt: skip
ACTIVITY_LINES = 8  # the busiest partnerships get a line each
TABLE_ROWS_PER_PAGE = 22
MAX_MONTH_LABELS = 24


def heatmap_height(data: ReportData) -> float:
    return max(4.0, 1.8 + 0.4 * max(1, len(active_pairs(data))))


def _figure(height: float) -> Figure:
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def heatmap(data: ReportData, t: Translator) -> Figure:
    """One row per partnership, one column per goal; the deeper the goal's colour, the more
    notes and profiles name it (relative to the most-named cell)."""
    pairs = active_pairs(data)
    fig = _figure(heatmap_height(data))
    ax = fig.add_axes((0.28, 0.12, 0.7, 0.76))
    counts = [sdgs_of(data, p.key) for p in pairs]
    top = max([max(c.values(), default=0) for c in counts] + [1])
    for row, row_counts in enumerate(counts):
        for sdg in SDG_RANGE:
            n = row_counts.get(sdg, 0)
            shade = 0.12 + 0.88 * n / top if n else 0.0
            colour = _blend(SDG_COLOURS[sdg - 1], shade)
            ax.add_patch(_cell(sdg - 1, row, colour))
            if n:
                ax.text(sdg - 0.5, row + 0.5, t.fmt_number(n), ha="center", va="center",
                        fontsize=8, color="white" if shade > 0.5 else "black")  # fmt: skip
    ax.set_xlim(0, 17)
    ax.set_ylim(max(1, len(pairs)), 0)
    ax.set_xticks([n - 0.5 for n in SDG_RANGE], [str(n) for n in SDG_RANGE])
    for label, hex_colour in zip(ax.get_xticklabels(), SDG_COLOURS, strict=True):
        label.set_color(hex_colour)
        label.set_fontweight("bold")
    ax.set_yticks(
        [i + 0.5 for i in range(len(pairs))], [pair_label(p, t) for p in pairs], fontsize=8
    )
    ax.set_xlabel(t._("Sustainable Development Goal (notes and profiles naming it)"))
    fig.suptitle(t._("Which goals each partnership works on"))
    if not pairs:
        ax.text(8.5, 0.5, t._("Nothing to show in this range."), ha="center", va="center")
    return fig


def _blend(hex_colour: str, shade: float) -> tuple[float, float, float]:
    r, g, b = to_rgb(hex_colour)
    return (1 - shade * (1 - r), 1 - shade * (1 - g), 1 - shade * (1 - b))


def _cell(x: int, y: int, colour: tuple[float, float, float]) -> Rectangle:
    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="#cccccc", linewidth=0.5)


def activity(data: ReportData, t: Translator) -> Figure:
    """Notes per month for the busiest partnerships."""
    fig = _figure(6.0)
    ax = fig.add_axes((0.08, 0.15, 0.6, 0.75))
    busiest = sorted(active_pairs(data), key=lambda p: (-data.total(p.key).notes, p.label))[
        :ACTIVITY_LINES
    ]
    xs = list(range(len(data.months)))
    marker = "o" if len(xs) <= MAX_MONTH_LABELS else None
    for pair in busiest:
        counts = [data.stats(pair.key, m).notes for m in data.months]
        ax.plot(xs, counts, marker=marker, label=pair_label(pair, t))
    step = max(1, math.ceil(len(xs) / MAX_MONTH_LABELS))  # a long range labels every n-th month
    ax.set_xticks(xs[::step], [month_label(m, t) for m in data.months[::step]], rotation=30,
                  fontsize=8)  # fmt: skip
    ax.set_ylabel(t._("Notes"))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(t._("Notes per partnership and month"))
    if busiest:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    else:
        ax.text(0.5, 0.5, t._("Nothing to show in this range."), ha="center",
                transform=ax.transAxes)  # fmt: skip
    return fig


def funnel(data: ReportData, t: Translator) -> Figure:
    """Requested, accepted, met, with an outcome."""
    counts = data.funnel()
    fig = _figure(4.0)
    ax = fig.add_axes((0.25, 0.12, 0.7, 0.75))
    steps = [
        (t._("requested"), counts.requested),
        (t._("accepted"), counts.accepted),
        (t._("met"), counts.met),
        (t._("with an outcome"), counts.outcome),
    ]
    widest = max(counts.requested, 1)
    for y, (_, n) in enumerate(steps):
        ax.barh(y, n, color="#19486A")
        ax.text(n, y, " " + t.fmt_number(n), va="center")
    ax.set_yticks(range(len(steps)), [label for label, _ in steps])
    ax.invert_yaxis()
    ax.set_xlim(0, widest * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(t._("Introductions, from request to outcome"))
    return fig


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def charts(data: ReportData, t: Translator) -> dict[str, Figure]:
    """The charts by their file name's ending."""
    return {"sdgs": heatmap(data, t), "activity": activity(data, t), "funnel": funnel(data, t)}


def pdf_pages(data: ReportData) -> int:
    """How many pages :func:`pdf` makes: title, tables, three charts."""
    rows = 1 + len(active_pairs(data))
    return 1 + math.ceil(rows / TABLE_ROWS_PER_PAGE) + 3


def pdf(data: ReportData, span: Period, t: Translator, network: str, made: str) -> bytes:
    """The funder's attachment: a title page, the totals table, the charts."""
    buffer = io.BytesIO()
    with _pages(buffer) as pages:
        cover = _figure(8.5)
        cover.text(0.5, 0.62, title(t, network), ha="center", fontsize=20, wrap=True)
        cover.text(0.5, 0.52, period_line(span, t), ha="center", fontsize=14)
        cover.text(0.5, 0.44, made, ha="center", fontsize=10, color="#555555")
        pages.savefig(cover)  # type: ignore[no-untyped-call]
        header, rows = totals_table(data, t)
        for start in range(0, len(rows), TABLE_ROWS_PER_PAGE):
            page = table_page(header, rows[start : start + TABLE_ROWS_PER_PAGE], t)
            pages.savefig(page)  # type: ignore[no-untyped-call]
        for fig in charts(data, t).values():
            pages.savefig(fig)  # type: ignore[no-untyped-call]
    return buffer.getvalue()


def table_page(header: list[str], rows: list[list[str]], t: Translator) -> Figure:
    """One page of the totals table; long headings wrap."""
    page = _figure(8.5)
    ax = page.add_axes((0.02, 0.05, 0.96, 0.85))
    ax.axis("off")
    labels = [textwrap.fill(h, 14, break_long_words=False) for h in header]
    widths = [0.2] + [0.8 / (len(header) - 1)] * (len(header) - 1)
    table = ax.table(cellText=rows, colLabels=labels, colWidths=widths, loc="upper center")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table.scale(1, 1.5)
    for (row, _), cell in table.get_celld().items():
        if row == 0:
            cell.set_height(cell.get_height() * 2.2)  # room for wrapped headings
    page.suptitle(t._("Totals per partnership"))
    return page


@contextmanager
def _pages(buffer: io.BytesIO) -> Iterator[PdfPages]:
    pages = PdfPages(buffer, metadata={"Creator": "udx-bot", "CreationDate": None})
    try:
        yield pages
    finally:
        pages.close()  # type: ignore[no-untyped-call]
