"""Coordinators' exports as CSV or JSON: notes, participants, introductions.

Departments are shown by their name in the reader's language, dates as ISO dates (UTC). A
person who chose ``/profile anonymous on`` appears only as "a colleague from <city>,
<department>" (udx_bot/reports/anonymity.py): their name is never in an export.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from storage import Store
from udx_bot.i18n import Translator
from udx_bot.reports.anonymity import shown_name

KINDS = ("notes", "participants", "introductions")
FORMATS = ("csv", "json")


def _day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value is not None else None


async def rows(store: Store, kind: str, t: Translator) -> list[dict[str, Any]]:
    """The export's records, names already replaced where people asked for it."""
    if kind == "notes":
        return [
            {
                "id": n["id"],
                "date": _day(n["created_at"]),
                "author": shown_name(t, n["author"], n["anonymous"], n["city"], n["department"]),
                "city": n["city"],
                "department": t.department(n["department"]),
                "sdgs": n["sdgs"],
                "tagged_cities": n["tagged_cities"],
                "text": n["text"],
            }
            for n in await store.exports.notes()
        ]
    if kind == "participants":
        return [
            {
                "name": shown_name(t, p["name"], p["anonymous"], p["city"], p["department"]),
                "city": p["city"],
                "department": t.department(p["department"]),
                "sdgs": p["sdgs"],
                "role": p["role"],
                "registered": _day(p["registered_at"]),
            }
            for p in await store.exports.participants()
        ]
    if kind == "introductions":
        found = []
        for i in await store.exports.introductions():
            record: dict[str, Any] = {"date": _day(i["created_at"])}
            for side in ("requester", "target"):
                city, dep = i[f"{side}_city"], i[f"{side}_department"]
                record[side] = shown_name(t, i[side], i[f"{side}_anonymous"], city, dep)
                record[f"{side}_city"] = city
                record[f"{side}_department"] = t.department(dep)
            record |= {"status": i["status"], "decided": _day(i["decided_at"])}
            found.append(record)
        return found
    raise ValueError(kind)


def render(records: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode()
    buffer = io.StringIO()
    if records:
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records:
            writer.writerow({k: _flat(v) for k, v in record.items()})
    return buffer.getvalue().encode()


def _flat(value: Any) -> Any:
    """Lists in one CSV cell: SDG numbers space-separated, city names with "; "."""
    if isinstance(value, list):
        return (" " if all(isinstance(v, int) for v in value) else "; ").join(map(str, value))
    return "" if value is None else value


async def export(store: Store, kind: str, fmt: str, t: Translator) -> bytes:
    return render(await rows(store, kind, t), fmt)
