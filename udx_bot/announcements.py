"""Announcements: parsing ``/announce`` input, choosing the audience, fanning out to the outbox.

Shared by the chat command (handlers/announcements.py), the command line
(``udx-bot announce``) and the outbox worker, which releases scheduled announcements when their
time has come (:func:`release_due`).

Input: ``[audience words] <text> [at YYYY-MM-DD HH:MM]``. Audience words come first and are
combinable: ``all``; ``sdg13``; ``#City``; a department name (one word, e.g. ``mobility``,
``Klimaschutz``) or ``dept:<name>``; ``lang:de`` / ``lang:en``. Several values of one kind mean
any of them; different kinds must all match. The text may carry both languages: ``de: … en: …``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from storage import Store
from storage.announcements import Announcement, Recipient
from storage.cities import City
from storage.outbox import NewMessage
from udx_bot import reference
from udx_bot.context import Services, UserError
from udx_bot.i18n import LANGUAGES, N_, Translator, normalize_language
from udx_bot.types import Reply, Section

KIND = "announcement"
MAX_TEXT = 3500  # leaves room for the header within one Telegram message
USAGE = N_(
    "/announce [audience] <text> [at YYYY-MM-DD HH:MM] — audience: all, sdg13, #City, a "
    "department, lang:de or lang:en (combinable); text in both languages: de: … en: … · "
    "/announce status · /announce cancel <n>"
)
_AT_RE = re.compile(
    r"\s+(?:at|um|am)\s+(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})[ T]+(\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)
_SDG_RE = re.compile(r"#?sdg\s*-?\d+", re.IGNORECASE)
# Words that name a subcommand (English and German) never start an announcement's text.
SUBCOMMANDS = {
    "status": "status",
    "cancel": "cancel",
    "abbrechen": "cancel",
    "stornieren": "cancel",
}
_LANG_MARK_RE = re.compile(r"(?:^|\s)(de|en):\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Audience:
    sdgs: tuple[int, ...] = ()
    city_ids: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return not (self.sdgs or self.city_ids or self.departments or self.languages)

    def to_json(self) -> dict[str, Any]:
        return {
            "sdgs": list(self.sdgs),
            "cities": list(self.city_ids),
            "departments": list(self.departments),
            "languages": list(self.languages),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            sdgs=tuple(int(n) for n in data.get("sdgs", ())),
            city_ids=tuple(int(n) for n in data.get("cities", ())),
            departments=tuple(str(d) for d in data.get("departments", ())),
            languages=tuple(str(x) for x in data.get("languages", ())),
        )

    def describe(self, t: Translator, city_names: dict[int, str]) -> str:
        if self.everyone:
            return t._("all registered participants")
        parts: list[str] = []
        if self.sdgs:
            parts.append(t.fmt_list([t.sdg_label(n) for n in self.sdgs], style="or"))
        if self.city_ids:
            parts.append(
                t.fmt_list([city_names.get(c, f"#{c}") for c in self.city_ids], style="or")
            )
        if self.departments:
            parts.append(t.fmt_list([t.department(d) for d in self.departments], style="or"))
        if self.languages:
            names = {"de": t._("German speakers"), "en": t._("English speakers")}
            parts.append(t.fmt_list([names[x] for x in self.languages], style="or"))
        return " · ".join(parts)


@dataclass
class Draft:
    audience: Audience
    texts: dict[str, str] = field(default_factory=dict)  # language -> text
    scheduled_at: datetime | None = None  # UTC


def _exact_departments() -> dict[str, str]:
    """One-word department names and aliases (matching key -> department key)."""
    index: dict[str, set[str]] = {}
    for dep in reference.departments().values():
        for name in dep.all_names():
            if " " in name.strip() or "-" in name:
                continue
            index.setdefault(reference.slug(name), set()).add(dep.key)
    return {k: next(iter(v)) for k, v in index.items() if len(v) == 1 and k}


def parse_audience(
    words: list[str], t: Translator, cities: list[City], *, strict: bool
) -> tuple[Audience, int]:
    """Read audience words from the start of ``words``; returns the audience and how many
    words it used. ``strict``: every word must be an audience word (the command line)."""
    sdgs: list[int] = []
    city_ids: list[int] = []
    departments: list[str] = []
    languages: list[str] = []
    exact = _exact_departments()
    by_name = {c.name: c for c in cities}
    used = 0
    for word in words:
        low = word.lower()
        if low in ("all", "alle"):
            pass
        elif _SDG_RE.fullmatch(word):
            try:
                number = reference.parse_sdg(word)
            except ValueError:
                number = None
            if number is None:
                raise UserError(
                    t._("{word}: there is no such SDG; use sdg1 to sdg17.").format(word=word)
                )
            if number not in sdgs:
                sdgs.append(number)
        elif word.startswith("#") and len(word) > 1:
            name = reference.match_name(word[1:], list(by_name))
            if name is None:
                hint = reference.closest_names(word[1:], list(by_name))
                message = t._("I don't know the city {city}.").format(city=word)
                if hint:
                    message += " " + t._("Did you mean {names}?").format(
                        names=t.fmt_list(["#" + h.replace(" ", "") for h in hint], style="or")
                    )
                raise UserError(message)
            if by_name[name].id not in city_ids:
                city_ids.append(by_name[name].id)
        elif low.startswith(("lang:", "sprache:")):
            code = low.partition(":")[2]
            if code not in LANGUAGES:
                raise UserError(
                    t._("{word}: the language must be lang:de or lang:en.").format(word=word)
                )
            if code not in languages:
                languages.append(code)
        elif low.startswith(("dept:", "abt:")):
            typed = word.partition(":")[2].replace("-", " ").replace("_", " ")
            match = reference.match_department(typed)
            if match.department is None:
                message = t._("I don't know the department {name}.").format(name=typed)
                if match.closest:
                    message += " " + t._("Did you mean {names}?").format(
                        names=t.fmt_list([t.department(d.key) for d in match.closest], style="or")
                    )
                raise UserError(message)
            if match.department.key not in departments:
                departments.append(match.department.key)
        elif reference.slug(word) in exact:
            key = exact[reference.slug(word)]
            if key not in departments:
                departments.append(key)
        elif strict:
            raise UserError(
                t._(
                    "{word} is not an audience word. Use all, sdg13, #City, a department, "
                    "lang:de or lang:en."
                ).format(word=word)
            )
        else:
            break
        used += 1
    audience = Audience(tuple(sdgs), tuple(city_ids), tuple(departments), tuple(languages))
    return audience, used


def subcommand(args: str) -> tuple[str, str] | None:
    """``("cancel", "2")`` for ``cancel 2`` (or ``stornieren 2``): the subcommand a first word
    names and the rest; None when the first word names none (the input is an announcement)."""
    first, _, rest = args.strip().partition(" ")
    name = SUBCOMMANDS.get(first.casefold())
    return (name, rest.strip()) if name else None


def parse_time(date_text: str, time_text: str, tz: tzinfo, t: Translator) -> datetime:
    try:
        if "." in date_text:
            day, month, year = (int(x) for x in date_text.split("."))
        else:
            year, month, day = (int(x) for x in date_text.split("-"))
        hour, minute = (int(x) for x in time_text.split(":"))
        local = datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        raise UserError(
            t._("{value} is not a valid time; write it like 2026-12-01 09:00.").format(
                value=f"{date_text} {time_text}"
            )
        ) from None
    return local.astimezone(UTC)


def split_languages(text: str, fallback_language: str) -> dict[str, str]:
    """``de: Hallo en: Hello`` -> {"de": "Hallo", "en": "Hello"}; plain text belongs to
    ``fallback_language``."""
    if not re.match(r"^(de|en):", text, re.IGNORECASE):
        return {fallback_language: text.strip()}
    parts = _LANG_MARK_RE.split(text)
    texts: dict[str, str] = {}
    # parts: ["", "de", "text", "en", "text", ...]
    for code, body in zip(parts[1::2], parts[2::2], strict=False):
        body = body.strip()
        if body:
            key = code.lower()
            texts[key] = f"{texts[key]} {body}" if key in texts else body
    return texts


def parse_draft(
    args: str,
    t: Translator,
    cities: list[City],
    *,
    now: datetime,
    tz: tzinfo,
    audience_words: str | None = None,
) -> Draft:
    """Parse ``/announce`` input (or the command line's ``--to`` and text).

    Raises UserError (in ``t``'s language) for bad input: empty text, unknown audience words,
    a time in the past, an overly long text.
    """
    text = args.strip()
    scheduled_at = None
    m = _AT_RE.search(" " + text)
    if m:
        scheduled_at = parse_time(m.group(1), m.group(2), tz, t)
        text = (" " + text)[: m.start()].strip()
        if scheduled_at <= now:
            raise UserError(
                t._("{when} is in the past. Choose a time in the future.").format(
                    when=t.fmt_datetime(scheduled_at, "short")
                )
            )
    if audience_words is not None:
        audience, _ = parse_audience(audience_words.split(), t, cities, strict=True)
        rest = text
    else:
        audience, used = parse_audience(text.split(), t, cities, strict=False)
        parts = text.split(maxsplit=used)
        rest = parts[used] if len(parts) > used else ""
    texts = split_languages(rest, t.language) if rest.strip() else {}
    if not texts:
        raise UserError(
            t._("Please add the text of the announcement.")
            + "\n"
            + t._("Usage: {usage}").format(usage=t._(USAGE))
        )
    if any(len(v) > MAX_TEXT for v in texts.values()):
        raise UserError(
            t._("The text is too long: at most {n} characters per language.").format(
                n=t.fmt_number(MAX_TEXT)
            )
        )
    return Draft(audience, texts, scheduled_at)


def recipient_language(recipient: Recipient, default: str) -> str:
    return recipient.language or normalize_language(recipient.language_code) or default


async def recipients(
    store: Store,
    audience: Audience,
    default_language: str,
    *,
    among: Sequence[int] | None = None,
) -> list[Recipient]:
    """Who ``audience`` reaches (the one audience rule: fan-out, preview and digests);
    ``among`` limits the answer to these participants."""
    found = await store.announcements.recipients(
        sdgs=audience.sdgs,
        city_ids=audience.city_ids,
        departments=audience.departments,
        among=among,
    )
    if audience.languages:
        found = [r for r in found if recipient_language(r, default_language) in audience.languages]
    return found


def texts_of(announcement: Announcement) -> dict[str, str]:
    texts = {}
    if announcement.text_de:
        texts["de"] = announcement.text_de
    if announcement.text_en:
        texts["en"] = announcement.text_en
    return texts


def message_for(language: str, texts: dict[str, str], author_name: str, network: str) -> Reply:
    """The announcement as a recipient reads it: their language, else the other one, under a
    header that says who sends it in which network."""
    t = Translator(language)
    body = texts.get(language) or next(iter(texts.values()))
    heading = t._("📣 Announcement from {name} ({network})").format(
        name=author_name or t._("the coordinators"), network=network
    )
    return Reply(sections=[Section(body, heading=heading)], ephemeral=False)


async def fan_out(services: Services, announcement: Announcement) -> int:
    """Queue one outbox message per recipient (idempotent: keys ``ann:{id}:{participant}``)
    and mark the announcement sent. Returns how many recipients it was queued for."""
    store = services.store
    settings = services.settings
    audience = Audience.from_json(announcement.audience)
    found = await recipients(store, audience, settings.default_language)
    texts = texts_of(announcement)
    payloads = {
        language: json.dumps(
            [
                message_for(
                    language, texts, announcement.author_name, settings.network_name
                ).to_json()
            ],
            ensure_ascii=False,
        )
        for language in LANGUAGES
    }
    messages = [
        NewMessage(
            key=f"ann:{announcement.id}:{r.participant_id}",
            kind=KIND,
            platform=r.platform,
            user_id=r.user_id,
            chat_id=r.chat_id,
            payload=payloads[recipient_language(r, settings.default_language)],
            participant_id=r.participant_id,
            ref_id=announcement.id,
        )
        for r in found
    ]
    now = services.clock()
    await store.outbox.enqueue_many(messages, now=now)
    await store.announcements.transition(announcement.id, "sent", expect=("sending",), sent_at=now)
    services.outbox.notify()
    return len(messages)


async def release_due(services: Services) -> int:
    """Fan out scheduled announcements whose time has come (and any fan-out interrupted by a
    crash); safe to run in several processes at once. Returns how many were released."""
    released = 0
    for announcement in await services.store.announcements.due(services.clock()):
        if announcement.status == "scheduled" and not await services.store.announcements.transition(
            announcement.id, "sending", expect=("scheduled",)
        ):
            continue  # another process took it
        await fan_out(services, announcement)
        released += 1
    return released
