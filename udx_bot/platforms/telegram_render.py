"""Neutral :class:`~udx_bot.types.Reply` -> Telegram messages (HTML parse mode + inline keyboard).

Pure functions, no ``telegram`` import: the adapter turns each :class:`TelegramMessage` into one
``send_message(text, parse_mode="HTML", reply_markup=InlineKeyboardMarkup(...))`` call.

Rules:

* every piece of user text is escaped with :func:`escape` (``html.escape(quote=False)``), so a
  note containing ``<b>`` or ``&`` shows exactly as typed; headings become ``<b>…</b>``;
  sections are separated by a blank line;
* text longer than :data:`MAX_TEXT_LENGTH` is split into several messages: at section
  boundaries first, then (for one oversized section) at line breaks, then hard between
  characters; a split never falls inside an HTML tag or entity, and every message is well-formed
  HTML on its own. Lengths are counted in UTF-16 code units of the HTML source, which is never
  less than what Telegram counts (the text after parsing), so the limit is always respected;
* the keyboard (multi-select toggles first, then the reply's own button rows) goes on the last
  message only; a reply without text but with buttons gets :data:`EMPTY_TEXT` as its text;
* a reply without text and without buttons renders to no message at all (a document-only reply:
  the adapter sends :attr:`Reply.document` itself, and decides what ``Reply.edit`` means).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

from udx_bot.types import CALLBACK_DATA_MAX_BYTES, Contact, MultiSelect, Reply, Section

MAX_TEXT_LENGTH = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
MAX_BUTTONS_PER_ROW = 8  # Telegram shows at most 8 buttons in one inline keyboard row
SELECTED_MARK = "✅ "
UNSELECTED_MARK = "⬜ "
EMPTY_TEXT = "👇"  # text of a reply that only has buttons (Telegram refuses an empty text)

Keyboard = list[list[tuple[str, str]]]  # rows of (label, callback_data)


@dataclass(frozen=True)
class TelegramMessage:
    """One Telegram message: HTML text and an optional inline keyboard of (label, data) rows."""

    text: str
    keyboard: Keyboard | None = None


def escape(text: str) -> str:
    """Escape user text for Telegram's HTML parse mode (``&``, ``<``, ``>``)."""
    return html.escape(text, quote=False)


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def keyboard(reply: Reply) -> Keyboard | None:
    """The inline keyboard of ``reply``: multi-select toggles first, then the button rows."""
    rows: Keyboard = []
    if reply.multi_select is not None:
        rows.extend(_toggle_rows(reply.multi_select))
    for row in reply.buttons:
        buttons = [(b.label, b.data) for b in row]
        for start in range(0, len(buttons), MAX_BUTTONS_PER_ROW):
            rows.append(buttons[start : start + MAX_BUTTONS_PER_ROW])
    return rows or None


def _toggle_rows(ms: MultiSelect) -> Keyboard:
    columns = max(1, min(ms.columns, MAX_BUTTONS_PER_ROW))
    buttons: list[tuple[str, str]] = []
    for option in ms.options:
        data = ms.toggle_data(option.value)
        if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(f"callback data over {CALLBACK_DATA_MAX_BYTES} bytes: {data!r}")
        mark = SELECTED_MARK if option.value in ms.selected else UNSELECTED_MARK
        buttons.append((mark + option.label, data))
    return [buttons[i : i + columns] for i in range(0, len(buttons), columns)]


def contact_html(contact: Contact) -> str:
    """A Telegram contact as a link (t.me with a username, else tg://user); others by name."""
    if contact.platform == "telegram":
        if contact.username:
            handle = escape(contact.username)
            return f'{escape(contact.name)}: <a href="https://t.me/{handle}">@{handle}</a>'
        return f'<a href="tg://user?id={escape(contact.user_id)}">{escape(contact.name)}</a>'
    return escape(contact.plain)


def render_section(section: Section) -> str:
    """One section as HTML, without any length limit."""
    text = "\n".join(
        x for x in (escape(section.text), *(contact_html(c) for c in section.contacts)) if x
    )
    if section.heading:
        heading = f"<b>{escape(section.heading)}</b>"
        return f"{heading}\n{text}" if section.text else heading
    return text


def render(
    reply: Reply,
    *,
    limit: int = MAX_TEXT_LENGTH,
    empty_text: str = EMPTY_TEXT,
) -> list[TelegramMessage]:
    """Render ``reply`` as Telegram messages (usually one); the keyboard is on the last one.

    ``limit`` exists for tests; ``empty_text`` (plain text, escaped here) is what a reply with
    buttons but no text shows.
    """
    texts = split_text(reply.sections, limit)
    markup = keyboard(reply)
    if not texts:
        if markup is None:
            return []
        texts = [escape(empty_text)]
    messages = [TelegramMessage(text) for text in texts[:-1]]
    messages.append(TelegramMessage(texts[-1], markup))
    return messages


# --- splitting ------------------------------------------------------------------------------


def split_text(sections: list[Section], limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """The sections as HTML texts of at most ``limit`` UTF-16 units each (blank ones dropped)."""
    if limit < 16:
        raise ValueError("limit too small")
    messages: list[str] = []
    current = ""
    for section in sections:
        rendered = render_section(section)
        if not rendered.strip():
            continue
        if current and tg_len(current) + 2 + tg_len(rendered) <= limit:
            current = f"{current}\n\n{rendered}"
            continue
        if tg_len(rendered) <= limit:
            if current:
                messages.append(current)
            current = rendered
            continue
        # One section longer than a message: pack its lines, starting in the current message.
        first = True
        for atom, sep in _atoms(section, limit):
            joiner = ("\n\n" if first else sep) if current else ""
            if tg_len(current) + tg_len(joiner) + tg_len(atom) <= limit:
                current = f"{current}{joiner}{atom}"
            else:
                messages.append(current)
                current = atom
            first = False
    if current:
        messages.append(current)
    return [m for m in messages if m.strip()]


def _atoms(section: Section, limit: int) -> Iterator[tuple[str, str]]:
    """Well-formed HTML pieces of an oversized section, each at most ``limit`` long.

    Yields ``(piece, separator)`` where the separator is what joins the piece to the previous
    one when both land in the same message: ``"\\n"`` between lines, ``""`` between the parts
    of a line that had to be cut.
    """
    lines = section.text.split("\n")
    heading = f"<b>{escape(section.heading)}</b>" if section.heading else ""
    if heading and tg_len(heading) > limit:
        # An absurd heading: show it as plain text lines, cut like the rest.
        lines = [*section.heading.split("\n"), *lines] if section.heading else lines
        heading = ""
    for index, line in enumerate(lines):
        pieces = _cut_line(line, limit)
        for part, piece in enumerate(pieces):
            sep = "" if part else "\n"
            if index == 0 and part == 0 and heading:
                combined = f"{heading}\n{piece}"
                if tg_len(combined) <= limit:
                    yield combined, sep
                    continue
                yield heading, sep
            yield piece, sep
    for contact in section.contacts:
        yield contact_html(contact), "\n"


def _cut_line(line: str, limit: int) -> list[str]:
    """Escaped parts of one line, each at most ``limit`` long, cut between characters."""
    escaped = escape(line)
    if tg_len(escaped) <= limit:
        return [escaped]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        piece = escape(char)
        width = tg_len(piece)
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += width
    if current:
        parts.append("".join(current))
    return parts
