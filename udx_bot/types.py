"""The neutral message model every platform adapter translates to and from.

An adapter turns a platform update into an :class:`Incoming` (who speaks, where, in which
language, what they typed or pressed), hands it to the router and renders the :class:`Reply`
objects it gets back natively (Telegram HTML and inline keyboards, Slack Block Kit, console text).
Nothing here knows about a platform library.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Literal

CALLBACK_DATA_MAX_BYTES = 64  # Telegram's limit, the tightest of the platforms
# The button data of the person's overview (handlers/home.py answers it); an adapter sends it
# when the overview opens without a button, as Slack's App Home tab does.
HOME_CALLBACK = "home"
SHOW_HOME = HOME_CALLBACK  # handlers.home.Overview().pack(); tests/test_callback_data.py checks

ButtonStyle = Literal["default", "primary", "danger"]


@dataclass(frozen=True)
class Actor:
    """A person on one platform: the identity that sent an update."""

    platform: str  # "telegram", "slack", "console"
    user_id: str  # the platform's id for the person
    display_name: str = ""
    username: str | None = None  # Telegram @username, Slack handle
    language_code: str | None = None  # the platform's language code ("de", "en-GB", ...)
    chat_id: str | None = None  # where direct messages to this person go, if known

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed text (a command or an answer) or pressed a button."""

    actor: Actor
    text: str = ""
    callback: str | None = None  # the pressed button's data
    values: tuple[str, ...] | None = None  # a multi-select submitted as a whole (Slack)
    update_id: str | None = None  # the platform's id of the update, for de-duplication
    # whether a plain message typed where this came from reaches the bot (not in a Slack
    # channel, where only /udx commands do): answers offer typing only where it works
    can_type: bool = True


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # "<feature>:<action>[:<args>]", at most 64 bytes
    style: ButtonStyle = "default"

    def __post_init__(self) -> None:
        if len(self.data.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(f"callback data over {CALLBACK_DATA_MAX_BYTES} bytes: {self.data!r}")


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class MultiSelect:
    """A choice of several options.

    Telegram and the console render it as toggle buttons whose data is ``f"{action}:{value}"``
    (a press toggles one value); Slack renders a multi-select menu that submits the whole
    selection as ``Incoming(callback=action, values=(...))``.
    """

    action: str
    options: tuple[Option, ...]
    selected: frozenset[str] = frozenset()
    placeholder: str = ""
    columns: int = 3

    def toggle_data(self, value: str) -> str:
        return f"{self.action}:{value}"


@dataclass(frozen=True)
class Contact:
    """How to reach a person, rendered natively where the platform can: a Slack mention (which
    opens a DM), a Telegram link; elsewhere the name and the platform, as the reader calls it
    (``platform_name``, from the reader's translator: ``Translator.platform``)."""

    platform: str
    user_id: str
    name: str
    username: str | None = None
    platform_name: str = ""  # "Konsole"; empty in messages queued before it was kept

    @property
    def plain(self) -> str:
        handle = f"@{self.username}" if self.username else self.user_id
        return f"{self.name} ({self.platform_name or self.platform.capitalize()}: {handle})"


@dataclass(frozen=True)
class Section:
    """A block of plain text with an optional heading; adapters escape and format it.
    ``contacts`` follow the text, one a line."""

    text: str
    heading: str | None = None
    contacts: tuple[Contact, ...] = ()

    @property
    def body(self) -> str:
        """The text with the contacts as plain lines."""
        return "\n".join(x for x in (self.text, *(c.plain for c in self.contacts)) if x)


@dataclass(frozen=True)
class Document:
    """A file sent to the person (for example their data export)."""

    filename: str
    content: bytes
    mime_type: str = "application/json"


@dataclass(frozen=True)
class Prompt:
    """The bot waits for free text from the person (after ``ctx.wait_for(state)``).

    Chat platforms just show the question; Slack may open a modal with a text field whose
    submission arrives as an ordinary text message (and so reaches the awaited input handler).
    """

    title: str  # short, e.g. "New note" (a Slack modal title: at most 24 characters)
    label: str  # the field's label
    multiline: bool = False
    max_length: int = 3000
    # what a form shows above the field instead of the reply's text (which speaks of sending a
    # message: wrong in a form); empty: the reply's text
    hint: str = ""


@dataclass
class Reply:
    """What a handler answers; rendered natively by the adapter that received the update."""

    sections: list[Section] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    multi_select: MultiSelect | None = None
    edit: bool = False  # replace the message whose button was pressed instead of sending anew
    document: Document | None = None
    prompt: Prompt | None = None  # the bot now waits for free text (see Prompt)
    ephemeral: bool = True  # Slack: only the person sees it (always true in a DM)
    notice: bool = False  # a short notice that leaves every message as it is (see notify)

    @classmethod
    def notify(cls, text: str) -> Reply:
        """A short notice about a pressed button that changes nothing on screen: the answer to
        a repeated or stale press (the action already happened, the request expired), so the
        pressed message and what it holds stay as they are. Telegram shows it as the button's
        callback answer (a toast), Slack as a message only the person sees, the console as one
        line. In answer to typed text it is an ordinary message."""
        return cls(sections=[Section(text)], notice=True)

    @classmethod
    def text(
        cls,
        text: str,
        *,
        heading: str | None = None,
        buttons: list[list[Button]] | None = None,
        edit: bool = False,
    ) -> Reply:
        return cls(sections=[Section(text, heading)], buttons=buttons or [], edit=edit)

    @property
    def plain_text(self) -> str:
        """All text as one plain string (headings on their own line)."""
        parts = []
        for s in self.sections:
            parts.append(f"{s.heading}\n{s.body}" if s.heading else s.body)
        return "\n\n".join(p for p in parts if p)

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]

    # Serialisation, for messages kept in the outbox until they are delivered.
    def to_json(self) -> str:
        data: dict[str, Any] = {
            "sections": [
                {
                    "text": s.text,
                    "heading": s.heading,
                    "contacts": [
                        [c.platform, c.user_id, c.name, c.username, c.platform_name]
                        for c in s.contacts
                    ],
                }
                for s in self.sections
            ],
            "buttons": [[[b.label, b.data, b.style] for b in row] for row in self.buttons],
        }
        if self.multi_select is not None:
            ms = self.multi_select
            data["multi_select"] = {
                "action": ms.action,
                "options": [[o.value, o.label] for o in ms.options],
                "selected": sorted(ms.selected),
                "placeholder": ms.placeholder,
                "columns": ms.columns,
            }
        if self.document is not None:  # an invitation (.ics) queued for the other person
            doc = self.document
            data["document"] = {
                "filename": doc.filename,
                "mime_type": doc.mime_type,
                "content": base64.b64encode(doc.content).decode("ascii"),
            }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Reply:
        data = json.loads(raw)
        ms = data.get("multi_select")
        doc = data.get("document")
        return cls(
            sections=[
                Section(
                    s["text"],
                    s.get("heading"),
                    tuple(Contact(*c) for c in s.get("contacts", ())),
                )
                for s in data.get("sections", [])
            ],
            buttons=[[Button(b[0], b[1], b[2]) for b in row] for row in data.get("buttons", [])],
            multi_select=MultiSelect(
                action=ms["action"],
                options=tuple(Option(v, label) for v, label in ms["options"]),
                selected=frozenset(ms["selected"]),
                placeholder=ms.get("placeholder", ""),
                columns=ms.get("columns", 3),
            )
            if ms
            else None,
            document=Document(doc["filename"], base64.b64decode(doc["content"]), doc["mime_type"])
            if doc
            else None,
            ephemeral=False,
        )
