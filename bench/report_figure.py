"""``report_build_s``: the coordinators' report over the whole generated year (every note), as
``udx-bot report --format md`` builds it: the figures counted by the database
(storage/reports.py), then the tables in Markdown. The charts are timed apart, in the note."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from bench.figures import Config, Figures
from bench.generate import Network
from udx_bot.context import Services
from udx_bot.i18n import Translator
from udx_bot.reports.report_input import Period, build
from udx_bot.reports.report_text import markdown


async def reports(services: Services, network: Network, config: Config) -> Figures:
    from udx_bot.reports import charts  # matplotlib, only now (as the bot loads it)

    figures = Figures()
    now = services.clock()
    span = Period((now - timedelta(days=366)).date(), now.date())
    t = Translator("en")
    times = []
    for _rep in range(min(config.repetitions, 3)):
        started = time.perf_counter()
        data = await build(services.store, span)
        markdown(data, span, t, services.settings.network_name)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    for figure in charts.charts(data, t).values():
        charts.png(figure)
    drawn = time.perf_counter() - started
    notes = data.total(None).notes
    figures.values["report_build_s"] = round(statistics.median(times), 3)
    figures.notes["report_build_s"] = (
        f"udx_bot.reports, {notes:,} notes in {len(data.months)} months and "
        f"{len(data.pairs)} partnerships, SQL and Markdown; the three PNG charts took "
        f"{drawn:.2f} s more"
    )
    return figures
