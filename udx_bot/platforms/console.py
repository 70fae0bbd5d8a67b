"""A line-based chat on stdin/stdout through the same router as Telegram and Slack.

Buttons are shown as numbered choices; typing the number or the button's label (any case,
without its decoration: "done" for "Done ✓", "next" for "Next »") presses it, and when the
choice is a question with two answers, the first one styled (Accept / Decline, Send request /
Not now, Delete / Cancel), "ja"/"yes" press the first and "nein"/"no" the second. Typed text
that presses nothing while the bot waits for no typed answer leaves the buttons pressable and
shows them again under the answer, as the buttons of a chat app stay on screen.

At a terminal, lines are read with the stdlib ``readline`` (line editing, history, a paste of
any length kept whole); Ctrl-C discards the line being typed, Ctrl-D ends the chat with a
newline. A line longer than :data:`MAX_INPUT` characters is refused with a message saying so
(nothing is sent). Messages the outbox holds for the person at the keyboard (introduction
requests, announcements) are delivered through :mod:`udx_bot.platforms.console_transport` when
the chat opens and after every line.
"""

from __future__ import annotations

import asyncio
import getpass
import locale
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from udx_bot.context import Services
from udx_bot.i18n import N_
from udx_bot.types import Actor, Button, Incoming, Reply

MAX_INPUT = 20_000  # characters of one typed or pasted line; longer ones are refused
TOO_LONG = N_(
    "That was {length} characters; the console takes at most {limit} at a time, so nothing "
    "was sent."
)
YES = frozenset({"ja", "j", "yes", "y"})
NO = frozenset({"nein", "n", "no"})

Choices = dict[int, Button]
Reader = Callable[[str], str]  # input(prompt): raises EOFError (Ctrl-D), KeyboardInterrupt


def console_actor(name: str | None = None) -> Actor:
    user = name or getpass.getuser()
    language = (locale.getlocale()[0] or "").split("_")[0] or None
    return Actor("console", user, display_name=user, username=user, language_code=language)


def render(reply: Reply) -> tuple[str, Choices]:
    """Plain text with numbered choices; returns the text and the buttons by number.

    When a multi-select's options are numbers themselves (SDG 1 to 17), each is shown under its
    own number, so typing "13" toggles 13 whether one thinks of the list or of the goal; the
    other buttons follow after the highest.
    """
    lines = []
    for section in reply.sections:
        if section.heading:
            lines.append(f"== {section.heading} ==")
        lines.append(section.body)
        lines.append("")
    choices: Choices = {}
    if reply.multi_select is not None:
        ms = reply.multi_select
        by_value = all(o.value.isdigit() and int(o.value) > 0 for o in ms.options) and len(
            {o.value for o in ms.options}
        ) == len(ms.options)
        for index, option in enumerate(ms.options, start=1):
            mark = "[x]" if option.value in ms.selected else "[ ]"
            number = int(option.value) if by_value else index
            choices[number] = Button(f"{mark} {option.label}", ms.toggle_data(option.value))
    next_number = max(choices, default=0) + 1
    for offset, button in enumerate(reply.all_buttons()):
        choices[next_number + offset] = button
    lines.append(render_choices(choices))
    document = reply.document
    if document is not None and document.mime_type.startswith(("image/", "application/pdf")):
        lines.append(f"(file {document.filename}, {len(document.content)} bytes)")
    elif document is not None:
        lines.append(f"(file {document.filename}:)")
        lines.append(document.content.decode("utf-8", "replace"))
    return "\n".join(lines).rstrip() + "\n", choices


def render_choices(choices: Choices) -> str:
    return "\n".join(f"  [{number}] {button.label}" for number, button in choices.items())


def plain(label: str) -> str:
    """A label as one would type it: lower case, without marks, emoji and punctuation."""
    label = label.removeprefix("[x] ").removeprefix("[ ] ")
    kept = "".join(ch if ch.isalnum() else " " for ch in label.casefold())
    return " ".join(kept.split())


def press(line: str, choices: Choices) -> str | None:
    """The callback data of the button meant by ``line`` (its number, its label, or yes/no for
    a two-button question), if any."""
    text = line.strip()
    if text.isdigit():
        return choices[int(text)].data if int(text) in choices else None
    typed = plain(text)
    if not typed:
        return None
    for button in choices.values():
        if typed == plain(button.label):
            return button.data
    buttons = list(choices.values())
    if typed in YES or typed in NO:
        for button in buttons:  # "Yes, erase everything" / "Ja, alles löschen"
            first = plain(button.label).split(" ")[0]
            if (first in YES) == (typed in YES) and first in YES | NO:
                return button.data
        if len(buttons) == 2 and buttons[0].style != "default":  # a question: do it / not
            return buttons[0 if typed in YES else 1].data
    return None


def terminal_reader(prompt: str) -> str:
    """``input()`` with ``readline`` (line editing, history, no line-length cut of the
    terminal's cooked mode), Ctrl-C raising KeyboardInterrupt while the line is typed."""
    try:
        import readline  # noqa: F401  (importing it is what turns line editing on)
    except ImportError:  # pragma: no cover - Windows without pyreadline
        pass
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return input(prompt)
    finally:
        signal.signal(signal.SIGINT, previous)


class ConsoleChat:
    def __init__(
        self,
        services: Services,
        actor: Actor,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        reader: Reader | None = None,
        deliver: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """``reader`` reads one line at a time as ``input()`` does (the default at a terminal:
        :func:`terminal_reader`); ``deliver`` hands over what the outbox holds for ``actor``."""
        self.services = services
        self.actor = actor
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.reader = reader
        self.deliver = deliver
        self.choices: Choices = {}
        self.awaiting_text = False  # the last message shown asks for typed text

    async def send(self, text: str) -> list[Reply]:
        """Handle one line as the console user typed it; prints and returns the replies."""
        if len(text) > MAX_INPUT:
            t = await self.services.translator_for_actor(self.actor)
            limit, length = t.fmt_number(MAX_INPUT), t.fmt_number(len(text))
            self.stdout.write(f"({t._(TOO_LONG).format(length=length, limit=limit)})\n")
            self.stdout.flush()
            return []
        data = press(text, self.choices) if self.choices else None
        kept = self.choices if data is None and not self.awaiting_text else {}
        incoming = Incoming(self.actor, callback=data) if data else Incoming(self.actor, text=text)
        replies = await self.services.router.dispatch(self.services, incoming, self.show)
        if kept and not self.choices:  # typed text that pressed nothing: the buttons stay
            self.choices = kept
            self.stdout.write(render_choices(kept) + "\n")
            self.stdout.flush()
        if self.deliver is not None:
            await self.deliver()
        return replies

    async def show(self, replies: list[Reply]) -> None:
        """Print the replies; the last one's buttons become the numbered choices. A notice is
        one line and leaves the choices as they were."""
        for reply in replies:
            if reply.notice:
                self.stdout.write(f"({' '.join(reply.plain_text.split())})\n")
                continue
            shown, choices = render(reply)
            self.stdout.write(shown)
            self.choices = choices
            self.awaiting_text = reply.prompt is not None
        self.stdout.flush()

    async def read(self, prompt: str) -> str | None:
        """The next line (without its newline), "" for a line cancelled with Ctrl-C, None at
        the end of input."""
        if self.reader is None:
            line = await asyncio.to_thread(self.stdin.readline)
            return line.rstrip("\n") if line else None
        try:
            return self.reader(prompt)  # at a terminal: blocks, as the person is typing
        except KeyboardInterrupt:
            self.stdout.write("^C\n")  # the line is discarded; the chat goes on
            return ""
        except EOFError:
            return None

    async def run(self, *, prompt: str = "> ", banner: str | None = None) -> None:
        """Read lines until end of input (Ctrl-D at a terminal, which ends with a newline)."""
        if banner:
            self.stdout.write(banner + "\n")
        if self.reader is None and self.stdin is sys.stdin and sys.stdin.isatty():
            self.reader = terminal_reader
        if self.deliver is not None:
            await self.deliver()
        while True:
            self.stdout.flush()
            line = await self.read(prompt)
            if line is None:
                break
            if line.strip():
                await self.send(line)
        if self.reader is not None:
            self.stdout.write("\n")
            self.stdout.flush()
