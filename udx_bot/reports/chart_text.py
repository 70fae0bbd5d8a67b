"""What each chart shows, as text beside it (for screen readers and for copying the numbers)."""

from __future__ import annotations

from storage.report_data import ReportData
from udx_bot.i18n import Translator
from udx_bot.reports.report_text import active_pairs, month_label, pair_label, sdgs_of


def headings(t: Translator) -> dict[str, str]:
    return {
        "sdgs": t._("Which goals each partnership works on"),
        "activity": t._("Notes per partnership and month"),
        "funnel": t._("Introductions, from request to outcome"),
    }


def descriptions(data: ReportData, t: Translator) -> dict[str, str]:
    """The numbers of each chart (keyed like udx_bot.reports.charts.charts)."""
    nothing = t._("Nothing to show in this range.")
    sdg_lines, activity_lines = [], []
    for pair in active_pairs(data):
        counts = sdgs_of(data, pair.key)
        if counts:
            goals = ", ".join(f"SDG {n}: {t.fmt_number(c)}" for n, c in sorted(counts.items()))
            sdg_lines.append(f"{pair_label(pair, t)}: {goals}")
        months = ", ".join(
            f"{month_label(m, t)}: {t.fmt_number(data.stats(pair.key, m).notes)}"
            for m in data.months
        )
        if months:
            activity_lines.append(f"{pair_label(pair, t)}: {months}")
    steps = data.funnel()
    funnel = t._(
        "Requested {requested}, accepted {accepted}, met {met}, with an outcome {outcome}"
    ).format(**{k: t.fmt_number(v) for k, v in steps._asdict().items()})
    return {
        "sdgs": "\n".join(sdg_lines) or nothing,
        "activity": "\n".join(activity_lines) or nothing,
        "funnel": funnel,
    }
