"""The real Telegram adapter (PTB ``Application``) against :class:`FakeTelegram`, and a small
test-only feature router that returns every kind of reply the adapter must render.

``TelegramHarness.send(user, text)`` queues a message for ``getUpdates`` and returns what the user
saw (new messages and edits) once the adapter has finished with the update; ``press`` does the
same for a button of the last keyboard in that chat.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from tests.fakes.telegram_api import FakeTelegram
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, Services
from udx_bot.platforms.telegram import TelegramService
from udx_bot.router import Router
from udx_bot.types import Button, Document, MultiSelect, Option, Prompt, Reply, Section

TOKEN = "123456:TEST-token"
LONG_SECTION = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 60  # ~3400 chars


# The test feature's buttons, typed as the app's are (udx_bot/callback_data.py).
@dataclass(frozen=True)
class Pick(CallbackData, prefix="tt", action="pick"):
    colour: str


@dataclass(frozen=True)
class Again(CallbackData, prefix="tt", action="again"):
    pass


@dataclass(frozen=True)
class Same(CallbackData, prefix="tt", action="same"):
    pass


@dataclass(frozen=True)
class Toggle(CallbackData, prefix="sdg"):
    """``sdg:<value>``, the data of the multi-select ``sdg``'s toggle buttons."""

    value: str


def feature_router(
    gate: asyncio.Event | None = None, started: asyncio.Event | None = None
) -> Router:
    """Commands that exercise the adapter: buttons, edits, multi-select, documents, prompts;
    ``/slow`` sets ``started`` and waits for ``gate``."""
    router = Router()
    chosen: dict[int, set[str]] = {}

    @router.command("echo", registered=False, menu=False)
    async def echo(ctx: Context) -> Reply:
        return Reply.text(ctx.args, heading="You wrote")

    @router.command("menu", registered=False, menu=False)
    async def menu(ctx: Context) -> Reply:
        return _colours(edit=False)

    @router.callback(Pick, registered=False)
    async def picked(ctx: Context, data: Pick) -> Reply:
        return Reply.text(
            f"You picked {data.colour}.", buttons=[[Button("Again", Again().pack())]], edit=True
        )

    @router.callback(Again, registered=False)
    async def again(ctx: Context, data: Again) -> Reply:
        return _colours(edit=True)

    @router.callback(Same, registered=False)
    async def unchanged(ctx: Context, data: Same) -> Reply:
        return Reply.text("Unchanged", buttons=[[Button("Same", Same().pack())]], edit=True)

    @router.command("same", registered=False, menu=False)
    async def same(ctx: Context) -> Reply:
        return Reply.text("Unchanged", buttons=[[Button("Same", Same().pack())]])

    @router.command("choose", registered=False, menu=False)
    async def choose(ctx: Context) -> Reply:
        chosen[ctx.participant.id] = set()
        return _fields(set(), edit=False)

    @router.callback(Toggle, registered=False)
    async def toggle(ctx: Context, data: Toggle) -> Reply:
        selected = chosen.setdefault(ctx.participant.id, set())
        selected ^= {data.value}
        return _fields(selected, edit=True)

    @router.command("datafile", registered=False, menu=False)
    async def export(ctx: Context) -> Reply:
        return Reply(
            sections=[Section("Here is your data.")],
            document=Document("export.json", b'{"notes": ["<b> & co"]}'),
        )

    @router.command("ask", registered=False, menu=False)
    async def ask(ctx: Context) -> Reply:
        await ctx.wait_for("tt:answer")
        return Reply(
            sections=[Section("What did your department learn?")],
            prompt=Prompt("New note", "Your note"),
        )

    @router.input("tt:answer")
    async def answer(ctx: Context) -> Reply:
        await ctx.stop_waiting()
        return Reply.text(f"Noted: {ctx.args}")

    @router.command("long", registered=False, menu=False)
    async def long(ctx: Context) -> Reply:
        sections = [Section(f"{n}. {LONG_SECTION}", heading=f"Part {n}") for n in (1, 2, 3)]
        return Reply(sections=sections, buttons=[[Button("Done", Same().pack())]])

    @router.command("slow", registered=False, menu=False)
    async def slow(ctx: Context) -> Reply:
        if started is not None:
            started.set()
        if gate is not None:
            await gate.wait()
        return Reply.text("Finally done.")

    return router


def _colours(*, edit: bool) -> Reply:
    return Reply.text(
        "Pick a colour",
        buttons=[[Button("Red", Pick("red").pack()), Button("Blue", Pick("blue").pack())]],
        edit=edit,
    )


def _fields(selected: set[str], *, edit: bool) -> Reply:
    options = (Option("6", "Water"), Option("7", "Energy"), Option("11", "Cities"))
    return Reply(
        sections=[Section("Your fields")],
        multi_select=MultiSelect("sdg", options, frozenset(selected)),
        buttons=[[Button("Save", Same().pack())]],
        edit=edit,
    )


class TelegramHarness:
    def __init__(self, fake: FakeTelegram, service: TelegramService) -> None:
        self.fake = fake
        self.service = service
        self.done: set[int] = set()
        self.times: Counter[int] = Counter()  # how often an update id was handled
        # Group 1 runs after the adapter's handlers (group 0) have finished with an update.
        service.application.add_handler(TypeHandler(Update, self._record), group=1)

    async def _record(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self.done.add(update.update_id)
        self.times[update.update_id] += 1
        self.fake.changed()

    async def processed(self, update: dict[str, Any], within: float = 5.0) -> None:
        await self.fake.wait_until(lambda: update["update_id"] in self.done, within)

    async def send(self, user_id: int, text: str, language: str = "en", **kw: Any) -> list[str]:
        """The user types ``text``; returns what they saw in reaction (new texts and edits)."""
        before = len(self.fake.visible_texts(user_id))
        update = self.fake.push_message(user_id, text, language_code=language, **kw)
        await self.processed(update)
        return self.fake.visible_texts(user_id)[before:]

    def button(self, user_id: int, label_part: str) -> tuple[str, str]:
        keyboard = self.fake.last_keyboard(user_id) or []
        for row in keyboard:
            for label, data in row:
                if label_part.casefold() in label.casefold():
                    return label, data
        raise AssertionError(f"no button {label_part!r} in {keyboard}")

    async def press(
        self, user_id: int, label_part: str, language: str = "en"
    ) -> tuple[list[str], dict[str, Any]]:
        """Press a button of the last keyboard; returns (what the user saw, the update)."""
        _, data = self.button(user_id, label_part)
        before = len(self.fake.visible_texts(user_id))
        update = self.fake.push_callback(user_id, data, language_code=language)
        await self.processed(update)
        return self.fake.visible_texts(user_id)[before:], update


def with_telegram(services: Services, fake: FakeTelegram, **settings: Any) -> Services:
    services.settings = replace(
        services.settings,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.base_url,
        **settings,
    )
    return services


@asynccontextmanager
async def polling_bot(services: Services) -> AsyncIterator[TelegramHarness]:
    """The adapter long-polling a fresh FakeTelegram."""
    async with FakeTelegram() as fake:
        service = TelegramService(
            with_telegram(services, fake), poll_timeout=dtm.timedelta(seconds=2)
        )
        harness = TelegramHarness(fake, service)
        await service.start()
        try:
            yield harness
        finally:
            await service.stop()
