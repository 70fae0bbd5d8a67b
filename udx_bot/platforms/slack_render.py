"""Neutral :class:`~udx_bot.types.Reply` -> Slack Block Kit. Pure functions, no ``slack`` import.

The adapter posts each element of :func:`render` as one message
(``chat_postMessage(channel=..., blocks=blocks, text=fallback_text(reply))``) and turns a
``block_actions`` payload's action back into an ``Incoming`` with :func:`parse_action`.

Layout of one reply: a ``section`` block per :class:`~udx_bot.types.Section` (mrkdwn, the heading
in ``*bold*`` on the first line), cut into several blocks when longer than 3,000 characters; then
the multi-select (an ``actions`` block with one ``multi_static_select``); then one ``actions``
block per button row (at most 25 buttons each). More than 50 blocks are spread over several
messages; the actions always go on the last one.

Escaping user text (:func:`escape`)
-----------------------------------
Slack asks for ``&``, ``<`` and ``>`` to be sent as ``&amp;``, ``&lt;`` and ``&gt;``; that also
stops user text from forming links or mentions (``<!channel>``, ``<@U…>``).

Slack has no escape for the formatting characters ``*``, ``_``, ``~`` and `````.  Inserting a
zero-width space next to them does *not* work: it is the known trick to *force* formatting in
the middle of words (see jsx-slack's "exact mode", docs/about-escape-and-exact-mode.md). We use
the approach jsx-slack documents for user content instead: each such character becomes the
fallback text of a date token with an invalid format, ``<!date^00000000^{_}|*>``. Slack cannot
format the date and always shows the fallback as plain text, so the character appears exactly
as typed (and is copied as typed). A ``>`` at the start of a line (a block quote in mrkdwn) is
prefixed with an invisible soft hyphen (U+00AD), as jsx-slack does.

The cost is length: an escaped formatting character takes 22 characters of the 3,000 a block
may hold; the splitter counts escaped lengths and never cuts inside an escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from udx_bot.types import Button, Contact, MultiSelect, Reply, Section

MAX_SECTION_TEXT = 3000  # text of a section block
MAX_BLOCKS = 50  # blocks in one message
MAX_ACTIONS_ELEMENTS = 25  # elements in one actions block
MAX_PLAIN_TEXT = 75  # button and option text
MAX_OPTION_VALUE = 150  # option value
MAX_OPTIONS = 100  # options of a static select
MAX_PLACEHOLDER = 150
MAX_FALLBACK_TEXT = 3000
BUTTON_ACTION_PREFIX = "udx:"  # button action_ids are f"udx:{n}", unique within a message
EMPTY_FALLBACK = "…"

Block = dict[str, Any]

_FORMATTING = frozenset("*_~`")
_QUOTE = "&gt;"
_SOFT_HYPHEN = "\u00ad"


def _literal(char: str) -> str:
    return f"<!date^00000000^{{_}}|{char}>"


def escape_html(text: str) -> str:
    """Only Slack's three control characters: ``&``, ``<``, ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_chars(text: str) -> str:
    return "".join(_literal(c) if c in _FORMATTING else escape_html(c) for c in text)


def escape(text: str) -> str:
    """Escape user text for mrkdwn so that it shows exactly as typed (see the module notes)."""
    lines = []
    for line in text.split("\n"):
        escaped = _escape_chars(line)
        if escaped.lstrip(" ").startswith(_QUOTE):
            escaped = _SOFT_HYPHEN + escaped
        lines.append(escaped)
    return "\n".join(lines)


def _plain(text: str, limit: int = MAX_PLAIN_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(text: str, limit: int = MAX_PLAIN_TEXT) -> dict[str, Any]:
    """A ``plain_text`` object (no escaping needed), shortened to ``limit`` characters."""
    return {"type": "plain_text", "text": _plain(text, limit), "emoji": True}


# --- sections ------------------------------------------------------------------------------


def contact_mrkdwn(contact: Contact) -> str:
    """A Slack contact as a mention (a link that opens a DM); a Telegram one as a t.me link."""
    if contact.platform == "slack":
        return f"<@{escape_html(contact.user_id)}>"
    if contact.platform == "telegram" and contact.username:
        handle = escape_html(contact.username)
        return f"{escape(contact.name)}: <https://t.me/{handle}|@{handle}> (Telegram)"
    return escape(contact.plain)


# Slack's spelling of a command: the app's one slash command and the command's name after it
# ("/find" -> "/udx find"), which works in a channel and in the direct message alike. Every
# text the bot writes names commands as "/name"; this is the one place Slack's form is made.
SLASH_COMMAND = "/udx"
_COMMAND_RE = re.compile(r"(?<![\w/:.@<&])/([a-z][a-z_]{1,19})(?![\w/])")


def spell_commands(text: str) -> str:
    """ "Send /help" -> "Send /udx help" (see SLASH_COMMAND)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0) if name == SLASH_COMMAND[1:] else f"{SLASH_COMMAND} {name}"

    return _COMMAND_RE.sub(one, text)


def section_texts(section: Section, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """The mrkdwn texts of one section, each at most ``limit`` characters; contacts last."""
    heading = spell_commands(section.heading) if section.heading else section.heading
    section = replace(section, text=spell_commands(section.text), heading=heading)
    texts = _text_parts(section, limit)
    for line in (contact_mrkdwn(c) for c in section.contacts):
        if texts and len(texts[-1]) + 1 + len(line) <= limit:
            texts[-1] = f"{texts[-1]}\n{line}"
        else:
            texts.append(line)
    return texts


def _text_parts(section: Section, limit: int) -> list[str]:
    heading = f"*{escape(section.heading)}*" if section.heading else ""
    body = section.text
    if heading and len(heading) > limit:  # an absurd heading: treat it as text
        body = f"{section.heading}\n{body}" if body else (section.heading or "")
        heading = ""
    if not body.strip() and not heading:
        return []
    whole = f"{heading}\n{escape(body)}" if heading and body else heading or escape(body)
    if len(whole) <= limit:
        return [whole]
    texts: list[str] = []
    current = ""
    for atom, sep in _atoms(body, heading, limit):
        joiner = sep if current else ""
        if len(current) + len(joiner) + len(atom) <= limit:
            current = f"{current}{joiner}{atom}"
        else:
            texts.append(current)
            current = atom
    if current:
        texts.append(current)
    return [t for t in texts if t.strip()]


def _atoms(body: str, heading: str, limit: int) -> Iterator[tuple[str, str]]:
    """Escaped lines (or cut parts of lines) of ``body``, heading first, with their joiners."""
    if heading:
        yield heading, ""
    for line in body.split("\n"):
        for part, piece in enumerate(_cut_line(line, limit)):
            yield piece, "" if part else "\n"


def _cut_line(line: str, limit: int) -> list[str]:
    escaped = escape(line)
    if len(escaped) <= limit:
        return [escaped]
    parts: list[str] = []
    current = ""
    for char in line:
        piece = _literal(char) if char in _FORMATTING else escape_html(char)
        if not current and piece == _QUOTE:
            piece = _SOFT_HYPHEN + piece
        if len(current) + len(piece) > limit:
            parts.append(current)
            current = _SOFT_HYPHEN + piece if piece == _QUOTE else piece
        else:
            current += piece
    if current:
        parts.append(current)
    return parts


def section_blocks(reply: Reply, limit: int = MAX_SECTION_TEXT) -> list[Block]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        for section in reply.sections
        for text in section_texts(section, limit)
    ]


# --- interactive elements --------------------------------------------------------------------


def button_element(button: Button, action_id: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain_text(button.label),
        "value": button.data,
        "action_id": action_id,
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


def _option(value: str, label: str) -> dict[str, Any]:
    if len(value) > MAX_OPTION_VALUE:
        raise ValueError(f"option value over {MAX_OPTION_VALUE} characters: {value!r}")
    return {"text": plain_text(label), "value": value}


def multi_select_element(ms: MultiSelect) -> dict[str, Any]:
    """A ``multi_static_select`` whose action_id is ``ms.action``."""
    if len(ms.options) > MAX_OPTIONS:
        raise ValueError(f"more than {MAX_OPTIONS} options in {ms.action!r}")
    options = [_option(o.value, o.label) for o in ms.options]
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": ms.action,
        "options": options,
    }
    if ms.placeholder:
        element["placeholder"] = plain_text(ms.placeholder, MAX_PLACEHOLDER)
    initial = [opt for o, opt in zip(ms.options, options, strict=True) if o.value in ms.selected]
    if initial:
        element["initial_options"] = initial
    return element


def action_blocks(reply: Reply) -> list[Block]:
    """The multi-select (if any), then one ``actions`` block per row of at most 25 buttons."""
    blocks: list[Block] = []
    if reply.multi_select is not None:
        blocks.append({"type": "actions", "elements": [multi_select_element(reply.multi_select)]})
    counter = 0
    for row in reply.buttons:
        for start in range(0, len(row), MAX_ACTIONS_ELEMENTS):
            elements = []
            for button in row[start : start + MAX_ACTIONS_ELEMENTS]:
                elements.append(button_element(button, f"{BUTTON_ACTION_PREFIX}{counter}"))
                counter += 1
            if elements:
                blocks.append({"type": "actions", "elements": elements})
    return blocks


# --- whole replies ---------------------------------------------------------------------------


def render_blocks(reply: Reply) -> list[Block]:
    """All blocks of ``reply`` in order, without the 50-block limit (see :func:`render`)."""
    return section_blocks(reply) + action_blocks(reply)


def render(reply: Reply, *, max_blocks: int = MAX_BLOCKS) -> list[list[Block]]:
    """The blocks of ``reply`` as one or more messages of at most ``max_blocks`` blocks each.

    Messages are filled in order; the actions blocks all go on the last message (unless there
    are more actions blocks than fit into one message, which no sane reply has). A reply
    without blocks (for example a document only) renders to ``[]``.
    """
    text = section_blocks(reply)
    actions = action_blocks(reply)
    if not text and not actions:
        return []
    if len(text) + len(actions) <= max_blocks:
        return [text + actions]
    if len(actions) >= max_blocks:
        blocks = text + actions
        return [blocks[i : i + max_blocks] for i in range(0, len(blocks), max_blocks)]
    # text blocks that cannot share the last message, rounded up to whole messages
    overflow = len(text) - (max_blocks - len(actions))
    head = -(-overflow // max_blocks) * max_blocks
    messages = [text[i : i + max_blocks] for i in range(0, head, max_blocks)]
    messages.append(text[head:] + actions)
    return messages


def fallback_text(reply: Reply, limit: int = MAX_FALLBACK_TEXT) -> str:
    """Plain text for notifications and clients without blocks; never empty, ≤ ``limit``.

    Only ``&``, ``<``, ``>`` are escaped (Slack requires it in ``text`` too).
    """
    text = escape_html(spell_commands(reply.plain_text))
    if not text.strip():
        labels = [o.label for o in reply.multi_select.options] if reply.multi_select else []
        labels += [b.label for b in reply.all_buttons()]
        text = escape_html(" · ".join(labels)) if labels else ""
    if not text.strip():
        return EMPTY_FALLBACK
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # do not leave half an entity
    return cut + "…"


def parse_action(payload_action: dict[str, Any]) -> tuple[str, tuple[str, ...] | None]:
    """One action of a ``block_actions`` payload -> ``(callback, values)`` for ``Incoming``.

    A button gives ``(button value, None)``; a multi-select gives ``(action_id, selected
    values)`` (possibly empty); a single static select gives ``(action_id, (value,))``.
    """
    kind = payload_action.get("type")
    if kind == "button":
        return str(payload_action.get("value", "")), None
    if kind == "multi_static_select":
        selected = payload_action.get("selected_options") or []
        return str(payload_action["action_id"]), tuple(str(o["value"]) for o in selected)
    if kind == "static_select":
        option = payload_action.get("selected_option")
        values = (str(option["value"]),) if option else ()
        return str(payload_action["action_id"]), values
    raise ValueError(f"unsupported Slack action type: {kind!r}")
