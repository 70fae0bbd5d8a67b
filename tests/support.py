"""Test helpers: a controllable clock and an in-process chat through the real router
(Errbot's testbot idea: ``assert "…" in (await chat.send("/help")).text``)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from udx_bot.context import Services
from udx_bot.types import Actor, Button, Incoming, Reply

# The tests' "now": a fixed instant, independent of the real date (CI also runs the suite with the
# process clock moved years away, so nothing may read the wall clock).
TEST_NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# When the demo network in the test databases was seeded: before the people a test registers.
SEED_NOW = TEST_NOW - timedelta(hours=1)


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or TEST_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@dataclass
class Answer:
    replies: list[Reply]

    @property
    def text(self) -> str:
        return "\n\n".join(r.plain_text for r in self.replies)

    @property
    def buttons(self) -> list[Button]:
        found = []
        for reply in self.replies:
            if reply.multi_select is not None:
                ms = reply.multi_select
                found.extend(Button(o.label, ms.toggle_data(o.value)) for o in ms.options)
            found.extend(reply.all_buttons())
        return found

    def button(self, label_part: str) -> Button:
        """The first button whose label contains ``label_part`` (case-insensitive)."""
        for button in self.buttons:
            if label_part.casefold() in button.label.casefold():
                return button
        labels = [b.label for b in self.buttons]
        raise AssertionError(f"no button with {label_part!r}; buttons: {labels}")

    def __contains__(self, needle: str) -> bool:
        return needle in self.text


@dataclass
class Chat:
    """One person talking to the bot through the real router."""

    services: Services
    actor: Actor
    history: list[Answer] = field(default_factory=list)

    async def send(self, text: str) -> Answer:
        return await self._dispatch(Incoming(self.actor, text=text))

    async def press(self, button: Button | str, values: tuple[str, ...] | None = None) -> Answer:
        data = button.data if isinstance(button, Button) else button
        return await self._dispatch(Incoming(self.actor, callback=data, values=values))

    async def _dispatch(self, incoming: Incoming) -> Answer:
        answer = Answer(await self.services.router.dispatch(self.services, incoming))
        self.history.append(answer)
        return answer


def person(
    user_id: str, *, platform: str = "telegram", language: str | None = "en", name: str = ""
) -> Actor:
    return Actor(
        platform,
        user_id,
        display_name=name or f"User {user_id}",
        username=f"user{user_id}",
        language_code=language,
        chat_id=user_id,
    )


@dataclass(frozen=True)
class CliResult:
    """What ``udx-bot ARGS`` printed and returned (like subprocess.CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., CliResult]  # the ``cli`` fixture (tests/conftest.py)


def run_main(argv: Sequence[str], *, clock: Callable[[], datetime], stdin: str = "") -> CliResult:
    """``udx-bot ARGS`` in this process: the CLI's own ``main`` with the test clock, stdin fed
    from ``stdin``, stdout and stderr captured, argparse's exits turned into the exit code.
    Environment and working directory are the caller's (the ``cli`` fixture sets them)."""
    from udx_bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(argv), clock=clock)
            except SystemExit as exit_:  # --help, a usage error
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    finally:
        sys.stdin = saved_stdin
    return CliResult(code, out.getvalue(), err.getvalue())
