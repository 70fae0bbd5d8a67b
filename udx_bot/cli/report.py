"""``udx-bot report [--from DATE] [--to DATE] [--partnership A:B] --format md|csv|json|png|pdf
--output FILE`` (``--language de`` for German labels; png writes three files, FILE-sdgs.png,
FILE-activity.png and FILE-funnel.png)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from storage.report_data import ReportData
from udx_bot.app import database
from udx_bot.clock import Clock
from udx_bot.config import Settings
from udx_bot.i18n import LANGUAGES, Translator
from udx_bot.reports import report_text as text
from udx_bot.reports.report_input import Period, ReportInputError, build, find_pair, period

FORMATS = ("md", "csv", "json", "png", "pdf")


def register(sub: Any) -> None:
    report = sub.add_parser(
        "report",
        help="what the partnerships did, for funders: tables, charts or a PDF",
        description="Per partnership and month: notes, active people, introductions, "
        "announcement deliveries, digest reach; SDGs and departments. Dates are UTC days "
        "(2026-10-01, 01.10.2026 or a month, 2026-10); without --from, the last six months.",
    )
    report.add_argument("--from", dest="first", metavar="DATE")
    report.add_argument("--to", dest="last", metavar="DATE")
    report.add_argument("--partnership", metavar="CITY:PARTNER", help="e.g. Esslingen:Sheboygan")
    report.add_argument("--format", choices=FORMATS, default="md")
    report.add_argument("--output", type=Path, required=True, metavar="FILE")
    report.add_argument("--language", choices=LANGUAGES, help="default: UDX_DEFAULT_LANGUAGE")
    report.set_defaults(run=run_report)


def progress(message: str) -> None:
    print(f"report: {message}", file=sys.stderr, flush=True)


async def run_report(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    t = Translator(args.language or settings.default_language, tz="UTC")
    now = clock()
    async with database(settings) as store:
        try:
            span = period(args.first, args.last, t, now.date())
            pair = await find_pair(store, args.partnership, t) if args.partnership else None
        except ReportInputError as error:
            print(f"udx-bot: {error.message}", file=sys.stderr)
            return 1
        progress(f"counting {span.first} to {span.last}")
        started = time.perf_counter()
        data = await build(store, span, pair=pair)
    progress(f"counted in {time.perf_counter() - started:.2f} s")
    made = text.made_on(t, now)
    try:
        written = write(
            outputs(data, span, t, args.format, args.output, settings.network_name, made)
        )
    except OSError as error:
        print(f"udx-bot: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def outputs(
    data: ReportData, span: Period, t: Translator, fmt: str, out: Path, network: str, made: str
) -> list[tuple[Path, bytes]]:
    """The files of one format: (path, content)."""
    # matplotlib loads when a chart is drawn, not at every start of the command line
    from udx_bot.reports import charts

    if fmt == "png":
        progress("drawing the charts")
        return [
            (out.with_name(f"{out.stem}-{name}{out.suffix or '.png'}"), charts.png(figure))
            for name, figure in charts.charts(data, t).items()
        ]
    if fmt == "pdf":
        progress("drawing the charts")
        return [(out, charts.pdf(data, span, t, network, made))]
    if fmt == "csv":
        return [(out, text.csv_text(data).encode())]
    if fmt == "json":
        return [(out, text.json_text(data, span).encode())]
    return [(out, text.markdown(data, span, t, network).encode())]


def write(files: list[tuple[Path, bytes]]) -> list[Path]:
    for path, content in files:
        path.write_bytes(content)
    return [path for path, _ in files]
