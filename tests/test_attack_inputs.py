"""Generated inputs through the router as it is registered, for registered people and newcomers,
in English and German (issue 16's attack suite): unicode, control characters, 10,000-character
lines, markup, FTS and tsquery syntax, format placeholders, huge numbers and forged button data.

What must hold for every input: no exception reaches the person (the apology is never needed,
nothing is logged at ERROR), every update gets a non-empty answer in the reader's language, and
an input the bot refuses leaves the database as it was (on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage import Store
from storage.tables import metadata
from tests.support import Answer, Chat, person
from udx_bot.context import Services
from udx_bot.i18n import translations

# Columns every update may change (when the person was last seen) and the table that records
# which updates were processed: not part of "the database is unchanged".
VOLATILE = {("participants", "last_active_at"), ("identities", "last_seen_at")}
SKIPPED_TABLES = {"processed_updates"}

NASTY = st.sampled_from(
    [
        "\x00",
        "\u202e",
        "\ufeff",
        "\U0001f600",
        "é" * 50,
        "<b>x</b>",
        "*_`[x](tg://user?id=1)`_*",
        "<@U123> <!channel>",
        '" OR 1=1 --',
        "NEAR(a b) AND NOT c* ^d",
        "a & !b | c:* <-> d",
        "{name} {0} %s %(x)s",
        "\\n\\t",
        "#",
        "##sdg",
        "sdg-0",
        "dept:",
        "lang:xx",
        "9" * 30,
        "-1",
    ]
)
WORDS = st.one_of(
    NASTY,
    st.text(min_size=1, max_size=12),
    st.from_regex(r"#?[A-Za-zÄÖÜäöüß]{1,12}", fullmatch=True),
    st.integers(-(2**70), 2**70).map(str),
)
ARGS = st.one_of(
    st.lists(WORDS, max_size=6).map(" ".join),
    st.just("x" * 10_000),
    st.text(max_size=300),
)
READERS = [("en", True), ("en", False), ("de", True), ("de", False)]
# examples per reader (and database): UDX_ATTACK_EXAMPLES=2000 for a long run
EXAMPLES = int(os.environ.get("UDX_ATTACK_EXAMPLES", "25"))


def _command_names(services: Services) -> list[str]:
    return sorted(services.router.commands)


def _button_prefixes(services: Services) -> list[str]:
    return sorted(services.router.buttons)


async def _reader(services: Services, language: str, registered: bool, uid: str) -> Chat:
    chat = Chat(services, person(uid, language=language))
    if registered:
        await chat.send("/profile city Leeds")
        await chat.send("/profile department mobility")
    else:
        await chat.send("/help")  # first contact: the participant row exists from here on
    found = await services.store.participants.by_identity("telegram", uid)
    assert found is not None and found.registered == registered
    return chat


@cache
def _language_marks() -> dict[str, tuple[str, ...]]:
    """Long literal pieces of each language's messages that the other language translates
    differently: an English answer must contain none of the German pieces and vice versa."""
    german: set[str] = set()
    english: set[str] = set()
    for msgid, msgstr in translations("de")._catalog.items():  # type: ignore[attr-defined]
        if isinstance(msgid, tuple) or not msgid or not msgstr or msgid == msgstr:
            continue
        english.update(_pieces(msgid))
        german.update(_pieces(msgstr))
    return {
        "en": tuple(sorted(german - english)),  # German pieces must not reach English readers
        "de": tuple(sorted(english - german)),
    }


def _pieces(message: str) -> Iterator[str]:
    for piece in re.split(r"\{[^}]*\}|\n|/\w+", message):
        piece = piece.strip(" .,:;!?()—-")
        if len(piece) >= 24:
            yield piece


def _check(answer: Answer, language: str, caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert answer.replies, "no answer at all"
    for reply in answer.replies:
        assert reply.plain_text.strip() or reply.document is not None or reply.all_buttons()
    text = answer.text
    assert "something went wrong" not in text and "ist etwas schiefgegangen" not in text
    wrong = [piece for piece in _language_marks()[language] if piece in text]
    assert not wrong, f"{language} reader got {wrong}"


async def _dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    dump = {}
    async with store.db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in SKIPPED_TABLES:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            rows = await conn.execute(select(*columns))
            dump[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return dump


FREEFORM = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize(("language", "registered"), READERS)
@FREEFORM
@given(data=st.data())
async def test_any_command_with_any_arguments_gets_an_answer_in_the_readers_language(
    services: Services,
    caplog: pytest.LogCaptureFixture,
    language: str,
    registered: bool,
    data: st.DataObject,
) -> None:
    uid = f"{language}-{registered}"
    chat = await _reader(services, language, registered, uid)
    name = data.draw(st.sampled_from(_command_names(services)), label="command")
    slash = data.draw(st.sampled_from(["/", ""]), label="slash")
    args = data.draw(ARGS, label="args")
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        answer = await chat.send(f"{slash}{name} {args}".strip())
        _check(answer, language, caplog)
        # whatever the bot now waits for, the next plain text is answered too
        then = data.draw(ARGS.filter(lambda a: any(c.isalnum() for c in a)), label="then")
        _check(await chat.send(then), language, caplog)
    await chat.send("/help")  # a command ends any waiting, so examples do not leak into others


def _refused(services: Services) -> st.SearchStrategy[tuple[str, str | None]]:
    """(text, callback) inputs the bot must refuse: unknown commands and words, bad filters,
    unknown cities and codes, numbers out of range, forged button data, coordinator commands."""
    known = {*services.router.commands, *services.router._aliases}
    junk = st.from_regex(r"Qz[a-z]{2,10}", fullmatch=True)
    plain = st.text(min_size=1, max_size=200).filter(
        lambda t: (
            any(c.isalnum() for c in t)  # what cleans to nothing gets no answer, rightly
            and not t.strip().startswith("/")
            and services.router.resolve(t.strip().split()[0]) is None
        )
    )
    texts = st.one_of(
        st.from_regex(r"/[a-z]{3,12}", fullmatch=True).filter(lambda c: c[1:] not in known),
        plain,
        junk.map(lambda j: f"/find #{j}"),
        st.integers(18, 2**70).map(lambda n: f"/find sdg{n}"),
        junk.map(lambda j: f"/notes #{j}"),
        junk.map(lambda j: f"/profile city {j}"),
        st.integers(18, 2**40).map(lambda n: f"/profile sdgs {n}"),
        junk.map(lambda j: f"/profile timezone {j}/{j}"),
        st.from_regex(r"[A-Z0-9]{6}", fullmatch=True).map(lambda c: f"/link {c}Q"),
        st.integers(2**31, 2**70).map(lambda n: f"/intro {n}"),
        junk.map(lambda j: f"/intro {j}"),
        ARGS.map(lambda a: f"/announce all {a}x"),  # not a coordinator
    )
    prefixes = st.sampled_from(_button_prefixes(services))
    forged = st.one_of(
        st.text(max_size=64),
        st.tuples(prefixes, st.text(max_size=40)).map(lambda p: f"{p[0]}:Qz{p[1]}"),
        st.tuples(prefixes, st.integers(2**31, 2**64)).map(lambda p: f"{p[0]}:{p[1]}"),
    )
    return st.one_of(texts.map(lambda t: (t, None)), forged.map(lambda c: ("", c)))


@pytest.mark.parametrize(("language", "registered"), READERS)
@settings(
    max_examples=max(EXAMPLES // 2, 1),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_a_refused_input_changes_nothing(
    any_services: Services,
    caplog: pytest.LogCaptureFixture,
    language: str,
    registered: bool,
    data: st.DataObject,
) -> None:
    services = any_services
    chat = await _reader(services, language, registered, f"{language}-{registered}")
    text, callback = data.draw(_refused(services), label="input")
    before = await _dump(services.store)
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        answer = await (chat.press(callback) if callback is not None else chat.send(text))
        _check(answer, language, caplog)
    assert await _dump(services.store) == before
