"""The router through the real handlers: help, unknown input, errors, registration, roles,
awaited input, the middleware chain, duplicates; in English and German."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.support import TEST_NOW, Chat, person
from udx_bot.context import Context, Services, UserError
from udx_bot.middleware import Next, Request
from udx_bot.router import Router
from udx_bot.types import Incoming, Reply


async def test_help_in_english_and_german(chat: Callable[..., Chat]) -> None:
    en = await chat("1", language="en").send("/help")
    assert "Commands" in en and "/help" in en and "Send /start" in en
    de = await chat("2", language="de").send("/help")
    assert "Befehle" in de and "Senden Sie /start" in de


async def test_bare_command_word_works_without_slash(chat: Callable[..., Chat]) -> None:
    assert "Commands" in await chat("1").send("help")
    assert "Befehle" in await chat("2", language="de-DE").send("hilfe")


async def test_unknown_command_and_text_in_both_languages(chat: Callable[..., Chat]) -> None:
    assert "I don't know the command /frobnicate" in await chat("1").send("/frobnicate")
    assert "Den Befehl /frobnicate kenne ich nicht" in await chat("2", language="de").send(
        "/frobnicate"
    )
    assert "I didn't understand that" in await chat("1").send("hello there")
    assert "nicht verstanden" in await chat("2", language="de").send("hallo")


async def test_an_unknown_command_suggests_the_nearest_one(chat: Callable[..., Chat]) -> None:
    en = await chat("1").send("/halp")
    assert "I don't know the command /halp. Did you mean /help?" in en
    de = await chat("2", language="de").send("/vergesen")
    assert "Den Befehl /vergesen kenne ich nicht. Meinten Sie /vergessen?" in de
    assert "Did you mean" not in await chat("1").send("/frobnicate")  # nothing close
    assert "Did you mean" not in await chat("1").send("/hom")  # /home is not in the menu
    long = await chat("1").send("/" + "a" * 5000)
    assert len(long.text) < 200 and "…" in long.text  # what was typed is not echoed whole


async def test_stale_button_is_answered(chat: Callable[..., Chat]) -> None:
    answer = await chat("1").press("gone:away")
    assert "no longer active" in answer and answer.replies[0].notice
    answer = await chat("2", language="de").press("gone:away")
    assert "nicht mehr aktiv" in answer and answer.replies[0].notice


def extra_router() -> Router:
    router = Router()

    @router.command("boom", registered=False)
    async def boom(ctx: Context) -> Reply:
        raise RuntimeError("secret internals")

    @router.command("refuse", registered=False)
    async def refuse(ctx: Context) -> Reply:
        raise UserError(ctx._("Sorry, only coordinators and admins of the network can do that."))

    @router.command("members")
    async def members(ctx: Context) -> Reply:
        return Reply.text("members only")

    @router.command("moderate", role="coordinator", registered=False)
    async def moderate(ctx: Context) -> Reply:
        return Reply.text("moderated")

    @router.command("ask", registered=False)
    async def ask(ctx: Context) -> Reply:
        await ctx.wait_for("test:answer", {"asked": True})
        return Reply.text("What is your answer?")

    @router.input("test:answer")
    async def answer(ctx: Context) -> Reply:
        await ctx.stop_waiting()
        return Reply.text(f"You said {ctx.args}")

    return router


@pytest.fixture
def extended(services: Services) -> Services:
    services.router.include(extra_router())
    return services


async def test_an_exception_never_reaches_the_person(
    extended: Services, chat: Callable[..., Chat], caplog: pytest.LogCaptureFixture
) -> None:
    answer = await chat("1").send("/boom")
    assert "something went wrong on our side" in answer
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert "etwas schiefgelaufen" in await chat("2", language="de").send("/boom")
    assert any("handler failed" in r.message for r in caplog.records)


async def test_a_user_error_is_shown_as_it_is(
    extended: Services, chat: Callable[..., Chat]
) -> None:
    assert "only coordinators" in await chat("1").send("/refuse")
    assert "nur Koordinatorinnen" in await chat("2", language="de").send("/refuse")


async def test_registration_and_roles_are_checked(
    extended: Services, chat: Callable[..., Chat]
) -> None:
    assert "send /start" in await chat("1").send("/members")
    assert "Senden Sie /start" in await chat("2", language="de").send("/members")
    assert "only coordinators" in await chat("1").send("/moderate")
    person = await extended.store.participants.by_identity("telegram", "1")
    assert person is not None
    await extended.store.participants.update(person.id, role="coordinator", now=TEST_NOW)
    assert "moderated" in await chat("1").send("/moderate")


async def test_awaited_input_and_a_command_ends_it(
    extended: Services, chat: Callable[..., Chat]
) -> None:
    alice = chat("1")
    assert "What is your answer?" in await alice.send("/ask")
    assert "You said 42" in await alice.send("42")
    await alice.send("/ask")
    assert "Commands" in await alice.send("/help")  # a command ends the waiting
    assert "didn't understand" in await alice.send("42")


async def test_an_appended_middleware_sees_the_person_and_the_conversation_and_can_answer(
    extended: Services, chat: Callable[..., Chat]
) -> None:
    seen: list[tuple[str, str | None, str | None, str]] = []

    async def spy(request: Request, next: Next) -> list[Reply]:
        ctx = request.ctx  # identity has run ...
        waiting = request.conversation  # ... and so has conversation
        seen.append((ctx.participant.name, waiting and waiting.state, ctx.command, ctx.args))
        if ctx.args == "halt":
            return [Reply.text("Stopped before the handler.")]  # a short-circuit
        return await next()

    extended.router.middleware.append(spy)
    alice = chat("1", name="Alice Example")
    assert "What is your answer?" in await alice.send("/ask")
    assert "Stopped before the handler." in await alice.send("halt")
    assert "You said 42" in await alice.send("42")  # the handler did not run: still waiting
    assert "send /start" in await alice.send("/members")  # access answers before the spy
    assert seen == [
        ("Alice Example", None, "ask", ""),
        ("Alice Example", "test:answer", None, "halt"),
        ("Alice Example", "test:answer", None, "42"),
    ]


@pytest.mark.parametrize("platform", ["console", "slack", "telegram"])
async def test_a_repeated_update_is_processed_once(services: Services, platform: str) -> None:
    sent: list[list[Reply]] = []

    async def respond(replies: list[Reply]) -> None:
        sent.append(replies)

    incoming = Incoming(person("9", platform=platform), text="/help", update_id="555")
    assert await services.router.dispatch(services, incoming, respond)
    assert await services.router.dispatch(services, incoming, respond) == []
    assert len(sent) == 1 and "Commands" in sent[0][0].plain_text
    elsewhere = "slack" if platform == "telegram" else "telegram"  # ids are per platform
    again = replace(incoming, actor=person("9", platform=elsewhere))
    assert await services.router.dispatch(services, again)


async def test_an_update_whose_replies_could_not_be_sent_is_processed_again(
    services: Services,
) -> None:
    sent: list[list[Reply]] = []

    async def refuse(replies: list[Reply]) -> None:
        raise ConnectionError("the platform is down")

    async def respond(replies: list[Reply]) -> None:
        sent.append(replies)

    incoming = Incoming(person("9"), text="/help", update_id="556")
    with pytest.raises(ConnectionError):
        await services.router.dispatch(services, incoming, refuse)
    assert await services.router.dispatch(services, incoming, respond)  # the platform's retry
    assert await services.router.dispatch(services, incoming, respond) == []
    assert len(sent) == 1 and "Commands" in sent[0][0].plain_text
