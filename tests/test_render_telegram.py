from __future__ import annotations

import html
import re

import pytest

from udx_bot.platforms.telegram_render import (
    EMPTY_TEXT,
    MAX_TEXT_LENGTH,
    SELECTED_MARK,
    UNSELECTED_MARK,
    TelegramMessage,
    escape,
    render,
    tg_len,
)
from udx_bot.types import Button, MultiSelect, Option, Reply, Section

TAG = re.compile(r"<[^>]*>")


def visible(text: str) -> str:
    return html.unescape(TAG.sub("", text))


def assert_well_formed(text: str) -> None:
    """Only <b>…</b> tags, balanced, and every & starts a complete entity."""
    tags = re.findall(r"<[^>]*>", text)
    assert all(t in ("<b>", "</b>") for t in tags), tags
    assert text.count("<b>") == text.count("</b>")
    for match in re.finditer("&", text):
        assert re.match(r"&(amp|lt|gt);", text[match.start() :]), text[match.start() :][:10]
    assert "<" not in TAG.sub("", text) and ">" not in TAG.sub("", text)


def test_escapes_user_text_and_bolds_heading() -> None:
    reply = Reply(sections=[Section("Meet <b>Anna</b> & Co > 3", heading="Notes <i>")])
    (message,) = render(reply)
    assert message.text == "<b>Notes &lt;i&gt;</b>\nMeet &lt;b&gt;Anna&lt;/b&gt; &amp; Co &gt; 3"
    assert visible(message.text) == "Notes <i>\nMeet <b>Anna</b> & Co > 3"
    assert message.keyboard is None


def test_escape_helper_leaves_quotes() -> None:
    assert escape('"it\'s" <x> & y') == '"it\'s" &lt;x&gt; &amp; y'


def test_sections_separated_by_blank_line() -> None:
    reply = Reply(sections=[Section("one", heading="H"), Section("two"), Section("", heading="X")])
    (message,) = render(reply)
    assert message.text == "<b>H</b>\none\n\ntwo\n\n<b>X</b>"


def test_buttons_and_multiselect_keyboard() -> None:
    ms = MultiSelect(
        "prof:sdg",
        tuple(Option(str(i), f"SDG {i}") for i in range(1, 6)),
        selected=frozenset({"2", "5"}),
        columns=2,
    )
    reply = Reply(
        sections=[Section("Pick")],
        buttons=[[Button("Done", "prof:done", "primary"), Button("Cancel", "prof:cancel")]],
        multi_select=ms,
    )
    (message,) = render(reply)
    assert message.keyboard == [
        [(UNSELECTED_MARK + "SDG 1", "prof:sdg:1"), (SELECTED_MARK + "SDG 2", "prof:sdg:2")],
        [(UNSELECTED_MARK + "SDG 3", "prof:sdg:3"), (UNSELECTED_MARK + "SDG 4", "prof:sdg:4")],
        [(SELECTED_MARK + "SDG 5", "prof:sdg:5")],
        [("Done", "prof:done"), ("Cancel", "prof:cancel")],
    ]
    assert all(len(data.encode()) <= 64 for row in message.keyboard for _, data in row)


def test_toggle_data_over_64_bytes_is_refused() -> None:
    ms = MultiSelect("x" * 60, (Option("long-value", "L"),))
    with pytest.raises(ValueError, match="64 bytes"):
        render(Reply(sections=[Section("t")], multi_select=ms))


def test_empty_reply_with_buttons_gets_minimal_text() -> None:
    (message,) = render(Reply(buttons=[[Button("OK", "a:ok")]]))
    assert message == TelegramMessage(EMPTY_TEXT, [[("OK", "a:ok")]])
    (message,) = render(Reply(buttons=[[Button("OK", "a:ok")]]), empty_text="<choose>")
    assert message.text == "&lt;choose&gt;"
    assert render(Reply()) == []
    assert render(Reply(sections=[Section("   ")])) == []


def test_split_at_section_boundaries_keyboard_on_last() -> None:
    sections = [Section("x" * 1500, heading=f"S{i}") for i in range(6)]
    reply = Reply(sections=sections, buttons=[[Button("Next", "n:1")]])
    messages = render(reply)
    assert len(messages) == 3
    for message in messages:
        assert tg_len(message.text) <= MAX_TEXT_LENGTH
        assert message.text.startswith("<b>S")  # each message starts with a whole section
        assert_well_formed(message.text)
    assert [m.keyboard for m in messages] == [None, None, [[("Next", "n:1")]]]
    joined = "\n\n".join(visible(m.text) for m in messages)
    assert joined == visible(render(reply, limit=10**6)[0].text)


def test_oversized_section_split_at_lines_never_inside_entity() -> None:
    line = "a & b < c > d " * 20  # escaping makes lines longer than they look
    text = "\n".join(f"{i}: {line}" for i in range(60))
    reply = Reply(sections=[Section(text, heading="Big & <bold>")])
    messages = render(reply)
    assert len(messages) > 1
    for message in messages:
        assert tg_len(message.text) <= MAX_TEXT_LENGTH
        assert_well_formed(message.text)
    assert messages[0].text.startswith("<b>Big &amp; &lt;bold&gt;</b>\n0: ")
    # split at line breaks: every message after the first starts at a line start
    for message in messages[1:]:
        assert re.match(r"\d+: ", message.text)
    assert "\n".join(visible(m.text) for m in messages) == f"Big & <bold>\n{text}"


def test_single_huge_line_is_cut_hard_between_entities() -> None:
    text = "&" * 5000  # 25,000 characters once escaped
    messages = render(Reply.text(text), limit=MAX_TEXT_LENGTH)
    assert len(messages) == 7
    for message in messages:
        assert tg_len(message.text) <= MAX_TEXT_LENGTH
        assert_well_formed(message.text)
    assert "".join(visible(m.text) for m in messages) == text


def test_length_counted_in_utf16_units() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    messages = render(Reply.text(text))
    assert len(messages) == 2
    assert all(tg_len(m.text) <= MAX_TEXT_LENGTH for m in messages)
    assert "".join(m.text for m in messages) == text


def test_small_limit_and_mixed_sections() -> None:
    reply = Reply(
        sections=[Section("short"), Section("l1\nl2\nl3\nl4", heading="H"), Section("tail")]
    )
    assert [m.text for m in render(reply, limit=20)] == [
        "short",
        "<b>H</b>\nl1\nl2\nl3\nl4",  # a section that fits goes whole into the next message
        "tail",
    ]
    messages = render(reply, limit=16)  # the middle section alone is too long: split at lines
    assert all(tg_len(m.text) <= 16 for m in messages)
    assert [m.text for m in messages] == ["short", "<b>H</b>\nl1\nl2", "l3\nl4\n\ntail"]


def test_contacts_become_links() -> None:
    from udx_bot.types import Contact

    reply = Reply(
        sections=[
            Section(
                "Reach them:",
                contacts=(
                    Contact("telegram", "42", "Ana <B>", "ana_b"),
                    Contact("telegram", "43", "Ben & Co"),
                    Contact("slack", "U9", "Cleo", "cleo"),
                ),
            )
        ]
    )
    (message,) = render(reply)
    assert 'Ana &lt;B&gt;: <a href="https://t.me/ana_b">@ana_b</a>' in message.text
    assert '<a href="tg://user?id=43">Ben &amp; Co</a>' in message.text
    assert "Cleo (Slack: @cleo)" in message.text
    assert Reply.from_json(reply.to_json()).sections[0].contacts == reply.sections[0].contacts
