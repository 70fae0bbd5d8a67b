"""The output: a markdown table (figure, value, target, met?) and the JSON document."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Value = float | int | None

# Every figure, in the order of the table and the JSON document.
KEYS = (
    "find_p50_ms",
    "find_p99_ms",
    "find_sql_p50_ms",
    "notes_p50_ms",
    "notes_p99_ms",
    "notes_sql_p50_ms",
    "search_p50_ms",
    "search_p99_ms",
    "search_sql_p50_ms",
    "telegram_find_per_s",
    "telegram_echo_per_s",
    "tg_help_per_s_rtt",
    "tg_help_per_s_serial",
    "tg_find_per_s_rtt",
    "tg_find_per_s_serial",
    "tg_reply_p50_ms",
    "tg_reply_p99_ms",
    "tg_order_violations",
    "tg_echo_per_s_rtt",
    "tg_echo_aiohttp_per_s_rtt",
    "slack_ack_p50_ms",
    "slack_ack_p99_ms",
    "slack_reply_p50_ms",
    "slack_reply_p99_ms",
    "slack_find_per_s_rtt",
    "slack_find_per_s_serial",
    "digest_build_s",
    "digests_per_s",
    "report_build_s",
    "fanout_rate_fraction",
    "fanout_lost",
    "fanout_429",
    "fanout_two_workers_rate_fraction",
    "fanout_two_workers_dup",
    "rss_mb",
)


@dataclass(frozen=True)
class Target:
    text: str
    met: Callable[[float, Mapping[str, Value]], bool | None]


def _within_floor(command: str, times: float = 3) -> Target:
    floor_key = f"{command}_sql_p50_ms"

    def met(value: float, values: Mapping[str, Value]) -> bool | None:
        floor = values.get(floor_key)
        return None if floor is None else value <= times * floor

    return Target(f"≤ {times:g} × {floor_key}", met)


def _beats(serial_key: str, floor: float) -> Target:
    def met(value: float, values: Mapping[str, Value]) -> bool | None:
        serial = values.get(serial_key)
        return value >= floor and (serial is None or value >= 10 * serial)

    return Target(f"≥ {floor:g} and ≥ 10 × {serial_key}", met)


TARGETS: dict[str, Target] = {
    "find_p99_ms": Target("< 50", lambda v, _: v < 50),
    "notes_p99_ms": Target("< 50", lambda v, _: v < 50),
    "search_p99_ms": Target("< 50", lambda v, _: v < 50),
    "find_p50_ms": _within_floor("find", 5),  # issue 22's target for /find
    "notes_p50_ms": _within_floor("notes"),
    "search_p50_ms": _within_floor("search"),
    "digest_build_s": Target("< 10", lambda v, _: v < 10),
    "report_build_s": Target("< 10", lambda v, _: v < 10),
    "fanout_rate_fraction": Target("≥ 0.95", lambda v, _: v >= 0.95),
    "fanout_lost": Target("= 0", lambda v, _: v == 0),
    "fanout_two_workers_rate_fraction": Target("≤ 1.0", lambda v, _: v <= 1.0),
    "fanout_two_workers_dup": Target("= 0", lambda v, _: v == 0),
    "rss_mb": Target("< 300", lambda v, _: v < 300),
    "tg_help_per_s_rtt": _beats("tg_help_per_s_serial", 150),
    "tg_find_per_s_rtt": _beats("tg_find_per_s_serial", 80),
    "tg_reply_p99_ms": Target("< 2,000", lambda v, _: v < 2000),
    "tg_order_violations": Target("= 0", lambda v, _: v == 0),
    "slack_ack_p99_ms": Target("< 3000", lambda v, _: v < 3000),
}


def met(key: str, values: Mapping[str, Value]) -> bool | None:
    """Whether ``key`` meets its target; None when it has none or no value."""
    target, value = TARGETS.get(key), values.get(key)
    if target is None or value is None:
        return None
    return target.met(float(value), values)


def _fmt(value: Value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"


def markdown(values: Mapping[str, Value], notes: Mapping[str, str]) -> str:
    lines = ["| figure | value | target | met? |", "|---|---:|---|:---:|"]
    for key in KEYS:
        target = TARGETS.get(key)
        verdict = met(key, values)
        mark = "" if verdict is None else ("yes" if verdict else "**no**")
        lines.append(
            f"| `{key}` | {_fmt(values.get(key))} | {target.text if target else ''} | {mark} |"
        )
    remarks = [f"- `{key}`: {notes[key]}" for key in KEYS if key in notes]
    if remarks:
        lines += ["", *remarks]
    return "\n".join(lines)


def document(
    values: Mapping[str, Value], notes: Mapping[str, str], metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON document: every figure key (a number, or null with a note) and metadata."""
    doc: dict[str, Any] = {key: values.get(key) for key in KEYS}
    doc["metadata"] = {
        **metadata,
        "notes": {key: notes[key] for key in KEYS if key in notes},
        "targets_met": {key: met(key, values) for key in KEYS if key in TARGETS},
    }
    return doc


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
