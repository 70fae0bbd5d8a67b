"""A line-based chat on stdin/stdout through the same router as Telegram and Slack.

Buttons are shown as numbered choices; typing the number or the button's label presses it.
"""

from __future__ import annotations

import asyncio
import getpass
import locale
import sys
from collections.abc import Callable
from typing import TextIO

from udx_bot.context import Services
from udx_bot.types import Actor, Button, Incoming, Reply


def console_actor(name: str | None = None) -> Actor:
    user = name or getpass.getuser()
    language = (locale.getlocale()[0] or "").split("_")[0] or None
    return Actor("console", user, display_name=user, username=user, language_code=language)


Choices = dict[int, Button]


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
    for number, button in choices.items():
        lines.append(f"  [{number}] {button.label}")
    document = reply.document
    if document is not None and document.mime_type.startswith(("image/", "application/pdf")):
        lines.append(f"(file {document.filename}, {len(document.content)} bytes)")
    elif document is not None:
        lines.append(f"(file {document.filename}:)")
        lines.append(document.content.decode("utf-8", "replace"))
    return "\n".join(lines).rstrip() + "\n", choices


def press(line: str, choices: Choices) -> str | None:
    """The callback data of the button meant by ``line`` (its number or its label), if any."""
    text = line.strip()
    if text.isdigit() and int(text) in choices:
        return choices[int(text)].data
    for button in choices.values():
        label = button.label.removeprefix("[x] ").removeprefix("[ ] ")
        if text.casefold() in (button.label.casefold(), label.casefold()):
            return button.data
    return None


class ConsoleChat:
    def __init__(
        self,
        services: Services,
        actor: Actor,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.services = services
        self.actor = actor
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.choices: Choices = {}

    async def send(self, text: str) -> list[Reply]:
        """Handle one line as the console user typed it; prints and returns the replies."""
        data = press(text, self.choices) if self.choices else None
        incoming = Incoming(self.actor, callback=data) if data else Incoming(self.actor, text=text)
        return await self.services.router.dispatch(self.services, incoming, self.show)

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
        self.stdout.flush()

    async def run(self, *, prompt: str = "> ", banner: str | None = None) -> None:
        """Read lines until end of input."""
        if banner:
            self.stdout.write(banner + "\n")
        interactive = self.stdin.isatty()
        read: Callable[[], str] = self.stdin.readline
        while True:
            if interactive:
                self.stdout.write(prompt)
                self.stdout.flush()
            line = await asyncio.to_thread(read)
            if not line:
                break
            if line.strip():
                await self.send(line.rstrip("\n"))
        if interactive:
            self.stdout.write("\n")
