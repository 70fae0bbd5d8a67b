"""A report's words and tables: chat text, Markdown, CSV and JSON.

Chat, Markdown and the PDF use the reader's language (labels, month names, numbers, SDG names
from the reference data). CSV and JSON are for machines: stable English keys, ISO months, plain
numbers. An introduction counts as met when one of the two answered "Did you meet?" with
"met", and as with an outcome when someone wrote what came of it; both in the month it was
requested (storage/report_meetings.py).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

from storage.report_data import MonthStats, Pair, PairKey, ReportData, merge_counts
from udx_bot.i18n import N_, Translator
from udx_bot.reports.report_input import Period

# (key, label): the figures of one partnership in one month, in the order tables show them
COLUMNS: tuple[tuple[str, str], ...] = (
    ("notes", N_("Notes")),
    ("active", N_("Active people")),
    ("intro_requested", N_("Introductions requested")),
    ("intro_accepted", N_("accepted")),
    ("intro_met", N_("met")),
    ("intro_outcome", N_("with an outcome")),
    ("announcement_recipients", N_("Announcement recipients")),
    ("announcement_delivered", N_("delivered")),
    ("delivery_rate", N_("Delivery rate")),
    ("digest_reach", N_("Digest reach")),
)
TOP_SDGS = 5


def figures(s: MonthStats) -> dict[str, int | float | None]:
    rate = s.delivered / s.recipients if s.recipients else None
    return {
        "notes": s.notes,
        "active": s.active,
        "intro_requested": s.intro_requested,
        "intro_accepted": s.intro_accepted,
        "intro_met": s.intro_met,
        "intro_outcome": s.intro_outcome,
        "announcement_recipients": s.recipients,
        "announcement_delivered": s.delivered,
        "delivery_rate": None if rate is None else round(rate, 4),
        "digest_reach": s.digests,
    }


def pair_label(pair: Pair, t: Translator) -> str:
    """ "Nürnberg – Atlanta, GA": the partnership's cities as the reader writes them."""
    return f"{t.city(pair.city)} – {t.city(pair.partner)}"


def month_label(month: str, t: Translator) -> str:
    year, number = (int(x) for x in month.split("-"))
    return t.fmt_date(date(year, number, 1), "MMM y")


def cell(value: int | float | None, key: str, t: Translator) -> str:
    if value is None:
        return t._("n/a")
    if key == "delivery_rate":
        return t.fmt_percent(float(value))
    return t.fmt_number(value)


def sdgs_of(data: ReportData, key: PairKey) -> dict[int, int]:
    """Notes and profiles naming each goal, together."""
    return merge_counts(data.sdg_notes.get(key, {}), data.sdg_profiles.get(key, {}))


def active_pairs(data: ReportData) -> list[Pair]:
    """The partnerships with anything to report, in the order of their names."""
    return [p for p in data.pairs if p.key in data.by_pair or sdgs_of(data, p.key)]


def title(t: Translator, network: str) -> str:
    return t._("{network}: what the partnerships did").format(network=network)


def period_line(span: Period, t: Translator) -> str:
    return t._("From {first} to {last}").format(
        first=t.fmt_date(span.first), last=t.fmt_date(span.last)
    )


def made_on(t: Translator, now: datetime) -> str:
    return t._("Made on {date}").format(date=t.fmt_date(now))


def totals_table(data: ReportData, t: Translator) -> tuple[list[str], list[list[str]]]:
    """Header and rows: the whole network, then each partnership, over the whole range."""
    header = [t._("Partnership"), *(t._(label) for _, label in COLUMNS)]
    rows = []
    for name, key in [
        (t._("Whole network"), None),
        *((pair_label(p, t), p.key) for p in active_pairs(data)),
    ]:
        values = figures(data.total(key))
        rows.append([name, *(cell(values[k], k, t) for k, _ in COLUMNS)])
    return header, rows


def sdg_line(counts: dict[int, int], t: Translator) -> str:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SDGS]
    return t.fmt_list(f"{t.sdg_label(n)} ({t.fmt_number(c)})" for n, c in top)


def department_line(data: ReportData, key: PairKey, t: Translator) -> str:
    counts = merge_counts(data.department_notes.get(key, {}), data.department_people.get(key, {}))
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return t.fmt_list(t.department(dep) for dep, _ in ordered)


def summary(data: ReportData, t: Translator) -> list[tuple[str, str]]:
    """(heading, text) blocks for the chat: the network, then each active partnership."""
    blocks = [(t._("Whole network"), _figures_text(data.total(None), t, data))]
    for pair in active_pairs(data):
        lines = [_figures_text(data.total(pair.key), t, None)]
        if counts := sdgs_of(data, pair.key):
            lines.append(t._("Goals: {sdgs}").format(sdgs=sdg_line(counts, t)))
        if deps := department_line(data, pair.key, t):
            lines.append(t._("Departments: {departments}").format(departments=deps))
        blocks.append((pair_label(pair, t), "\n".join(lines)))
    if len(blocks) == 1:
        blocks.append(("", t._("No partnership has anything to report in this range.")))
    return blocks


def _figures_text(s: MonthStats, t: Translator, network: ReportData | None) -> str:
    n = t.fmt_number
    lines = [
        t.ngettext("{n} note", "{n} notes", s.notes).format(n=n(s.notes)),
        t.ngettext(
            "{n} active person (the most in one month)",
            "{n} active people (the most in one month)",
            s.active,
        ).format(n=n(s.active)),
        t._(
            "Introductions: {requested} requested, {accepted} accepted, {met} met, "
            "{outcome} with an outcome"
        ).format(
            requested=n(s.intro_requested),
            accepted=n(s.intro_accepted),
            met=n(s.intro_met),
            outcome=n(s.intro_outcome),
        ),
    ]
    if network is not None:
        lines.append(
            t.ngettext("{n} announcement sent", "{n} announcements sent", s.announcements).format(
                n=n(s.announcements)
            )
        )
    if s.recipients:
        lines.append(
            t._("Announcements: {delivered} of {recipients} delivered ({rate})").format(
                delivered=n(s.delivered),
                recipients=n(s.recipients),
                rate=t.fmt_percent(s.delivered / s.recipients),
            )
        )
    lines.append(
        t.ngettext("Digest reach: {n} person", "Digest reach: {n} people", s.digests).format(
            n=n(s.digests)
        )
    )
    return "\n".join(lines)


def markdown(data: ReportData, span: Period, t: Translator, network: str) -> str:
    out = [f"# {title(t, network)}", "", period_line(span, t), ""]
    header, rows = totals_table(data, t)
    out += _md_table(header, rows)
    out += ["", f"## {t._('Month by month')}", ""]
    month_rows = []
    for name, key in [
        (t._("Whole network"), None),
        *((pair_label(p, t), p.key) for p in active_pairs(data)),
    ]:
        for m in data.months:
            values = figures(data.stats(key, m))
            month_rows.append(
                [name, month_label(m, t), *(cell(values[k], k, t) for k, _ in COLUMNS)]
            )
    out += _md_table([header[0], t._("Month"), *header[1:]], month_rows)
    out += ["", f"## {t._('Goals and departments')}", ""]
    for pair in active_pairs(data):
        out.append(f"### {pair_label(pair, t)}")
        if counts := sdgs_of(data, pair.key):
            out.append(t._("Goals: {sdgs}").format(sdgs=sdg_line(counts, t)))
        if deps := department_line(data, pair.key, t):
            out += ["", t._("Departments: {departments}").format(departments=deps)]
        out.append("")
    return "\n".join(out) + "\n"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *(line(r) for r in rows)]


def csv_text(data: ReportData) -> str:
    """One row per partnership (empty for the whole network) and month."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["city", "partner_city", "month", *(k for k, _ in COLUMNS)])
    for pair, key in [(None, None), *((p, p.key) for p in active_pairs(data))]:
        for m in data.months:
            values = figures(data.stats(key, m))
            writer.writerow(
                [
                    pair.city if pair else "",
                    pair.partner if pair else "",
                    m,
                    *("" if values[k] is None else values[k] for k, _ in COLUMNS),
                ]
            )
    return buffer.getvalue()


def json_text(data: ReportData, span: Period) -> str:
    def months(key: PairKey | None) -> dict[str, Any]:
        return {m: figures(data.stats(key, m)) for m in data.months}

    document = {
        "from": span.first.isoformat(),
        "to": span.last.isoformat(),
        "network": {"months": months(None), "total": figures(data.total(None))},
        "partnerships": [
            {
                "city": p.city,
                "partner_city": p.partner,
                "months": months(p.key),
                "total": figures(data.total(p.key)),
                "sdgs_in_notes": _keyed(data.sdg_notes.get(p.key, {})),
                "sdgs_in_profiles": _keyed(data.sdg_profiles.get(p.key, {})),
                "departments_in_notes": data.department_notes.get(p.key, {}),
                "departments_in_profiles": data.department_people.get(p.key, {}),
            }
            for p in active_pairs(data)
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _keyed(counts: dict[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(counts.items())}
