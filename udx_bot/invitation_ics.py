"""The ``.ics`` invitation for a chosen meeting slot (RFC 5545, built with ``icalendar``): one
VEVENT whose start and end are in the reader's own timezone (TZID, with its VTIMEZONE), a title
and description in the reader's language (the caller translates them), and a stable UID per
introduction, so a second choice updates the calendar entry instead of adding one."""

from __future__ import annotations

from datetime import datetime, tzinfo

from icalendar import Calendar, Event

PRODID = "-//Urban Diplomacy Exchange//udx-bot//EN"
MIME_TYPE = "text/calendar"


def invitation(
    *,
    uid: str,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    title: str,
    description: str,
    now: datetime,
    sequence: int = 0,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("summary", title)
    event.add("description", description)
    event.add("sequence", sequence)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
