from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fakes.slack_api import visible_mrkdwn
from udx_bot.platforms.slack_render import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    escape,
    fallback_text,
    parse_action,
    render,
    render_blocks,
    section_blocks,
    spell_commands,
)
from udx_bot.types import Button, MultiSelect, Option, Reply, Section

FORMATTING_OUTSIDE_ESCAPES = re.compile(r"[*_~`]")


def unescaped_formatting(mrkdwn: str) -> list[str]:
    """Formatting characters Slack would interpret (outside our date-fallback escapes)."""
    return FORMATTING_OUTSIDE_ESCAPES.findall(re.sub(r"<!date\^[^>]*>", "", mrkdwn))


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_escape_control_characters_and_formatting() -> None:
    raw = "Ana <b>x</b> & *bold* _it_ ~del~ `code` <!channel>"
    escaped = escape(raw)
    assert "<b>" not in escaped and "<!channel>" not in escaped
    assert "&amp;" in escaped and "&lt;b&gt;" in escaped
    assert unescaped_formatting(escaped) == []
    assert visible_mrkdwn(escaped) == raw


def test_escape_uses_date_fallback_not_zero_width_space() -> None:
    assert escape("*") == "<!date^00000000^{_}|*>"
    assert "\u200b" not in escape("*a* _b_ ~c~ `d`")


def test_leading_quote_neutralised() -> None:
    escaped = escape("> not a quote\nline 2 > fine")
    assert escaped.startswith("\u00ad&gt; not a quote")
    assert escaped.endswith("line 2 &gt; fine")


def test_section_heading_bold_text_escaped() -> None:
    blocks = render_blocks(Reply(sections=[Section("5 * 3 = 15", heading="Sum & _total_")]))
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{escape('Sum & _total_')}*\n{escape('5 * 3 = 15')}",
            },
        }
    ]
    assert blocks[0]["text"]["text"].startswith("*Sum &amp; <!date^00000000^{_}|_>total")


def test_long_section_split_under_3000_never_inside_escape() -> None:
    text = "\n".join(f"line {i}: *stars* & <tags> " + "x" * 100 for i in range(100))
    blocks = render_blocks(Reply(sections=[Section(text, heading="Long")]))
    texts = section_texts(blocks)
    assert len(texts) > 1
    for mrkdwn in texts:
        assert len(mrkdwn) <= MAX_SECTION_TEXT
        assert unescaped_formatting(mrkdwn) in ([], ["*", "*"])  # only the heading's own bold
        assert re.search(r"&(?!amp;|lt;|gt;)", mrkdwn) is None
    assert texts[0].startswith("*Long*\nline 0:")
    assert all(t.startswith("line ") for t in texts[1:])  # split at line breaks
    assert "\n".join(visible_mrkdwn(t) for t in texts) == f"*Long*\n{text}"


def test_single_huge_line_cut_hard() -> None:
    text = "*" * 1000  # 22,000 characters once escaped
    texts = section_texts(render_blocks(Reply.text(text)))
    assert len(texts) == 8
    assert all(len(t) <= MAX_SECTION_TEXT for t in texts)
    assert "".join(visible_mrkdwn(t) for t in texts) == text


def test_buttons_actions_unique_ids_and_styles() -> None:
    row = [Button(f"B{i}", f"f:b:{i}") for i in range(30)]
    reply = Reply(
        sections=[Section("Pick")],
        buttons=[row, [Button("Yes", "f:yes", "primary"), Button("No", "f:no", "danger")]],
    )
    blocks = render_blocks(reply)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5, 2]
    elements = [e for a in actions for e in a["elements"]]
    ids = [e["action_id"] for e in elements]
    assert len(set(ids)) == len(ids) == 32
    assert elements[0] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "B0", "emoji": True},
        "value": "f:b:0",
        "action_id": "udx:0",
    }
    assert elements[-2]["style"] == "primary" and elements[-1]["style"] == "danger"
    assert "style" not in elements[0]


def test_multi_select_block() -> None:
    ms = MultiSelect(
        "prof:sdg",
        (Option("1", "No poverty"), Option("2", "Zero hunger " + "y" * 100)),
        selected=frozenset({"2"}),
        placeholder="Choose SDGs",
    )
    blocks = render_blocks(Reply(sections=[Section("t")], multi_select=ms))
    assert blocks[1]["type"] == "actions"
    (element,) = blocks[1]["elements"]
    assert element["type"] == "multi_static_select"
    assert element["action_id"] == "prof:sdg"
    assert element["placeholder"]["text"] == "Choose SDGs"
    assert [o["value"] for o in element["options"]] == ["1", "2"]
    assert all(len(o["text"]["text"]) <= 75 for o in element["options"])
    assert element["initial_options"] == [element["options"][1]]


def test_render_splits_over_50_blocks_actions_on_last() -> None:
    sections = [Section(f"s{i}") for i in range(120)]
    reply = Reply(sections=sections, buttons=[[Button("A", "a:1")], [Button("B", "a:2")]])
    messages = render(reply)
    assert [len(m) for m in messages] == [50, 50, 22]
    assert all(len(m) <= MAX_BLOCKS for m in messages)
    assert [b["type"] for b in messages[-1][-2:]] == ["actions", "actions"]
    assert all(b["type"] == "section" for m in messages[:-1] for b in m)
    texts = [b["text"]["text"] for m in messages for b in m if b["type"] == "section"]
    assert texts == [f"s{i}" for i in range(120)]
    # exactly full: 49 sections + 1 actions block stay one message; 50 + 1 do not
    assert len(render(Reply(sections=sections[:49], buttons=[[Button("A", "a")]]))) == 1
    two = render(Reply(sections=sections[:50], buttons=[[Button("A", "a")]]))
    assert [len(m) for m in two] == [50, 1]


def test_empty_reply_and_buttons_only() -> None:
    assert render(Reply()) == []
    (blocks,) = render(Reply(buttons=[[Button("OK", "a:ok")]]))
    assert [b["type"] for b in blocks] == ["actions"]
    assert fallback_text(Reply(buttons=[[Button("OK", "a:ok")]])) == "OK"
    assert fallback_text(Reply()) == "…"


def test_fallback_text() -> None:
    reply = Reply(sections=[Section("a < b & *c*", heading="H")])
    assert fallback_text(reply) == "H\na &lt; b &amp; *c*"
    long = fallback_text(Reply.text("&" * 3000))
    assert len(long) <= 3000 and long.endswith("&amp;…")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ({"type": "button", "action_id": "udx:3", "value": "notes:del:7"}, ("notes:del:7", None)),
        (
            {
                "type": "multi_static_select",
                "action_id": "prof:sdg",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": "No poverty"}, "value": "1"},
                    {"text": {"type": "plain_text", "text": "Zero hunger"}, "value": "2"},
                ],
            },
            ("prof:sdg", ("1", "2")),
        ),
        (
            {"type": "multi_static_select", "action_id": "prof:sdg", "selected_options": []},
            ("prof:sdg", ()),
        ),
        (
            {"type": "static_select", "action_id": "lang", "selected_option": {"value": "de"}},
            ("lang", ("de",)),
        ),
    ],
)
def test_parse_action(action: dict[str, Any], expected: tuple[str, Any]) -> None:
    assert parse_action(action) == expected


def test_parse_action_unknown_type() -> None:
    with pytest.raises(ValueError):
        parse_action({"type": "datepicker", "action_id": "x"})


def test_contacts_become_mentions_and_links() -> None:
    from udx_bot.types import Contact

    reply = Reply(
        sections=[
            Section(
                "Reach them:",
                contacts=(
                    Contact("slack", "U9", "Cleo", "cleo"),
                    Contact("telegram", "42", "Ana", "ana_b"),
                    Contact("telegram", "43", "Ben"),
                ),
            )
        ]
    )
    text = render_blocks(reply)[0]["text"]["text"]
    assert text.splitlines()[1:] == [
        "<@U9>",
        "Ana: <https://t.me/ana_b|@ana_b> (Telegram)",
        "Ben (Telegram: 43)",
    ]


@pytest.mark.parametrize(
    ("written", "on_slack"),
    [
        ("Send /help to see more.", "Send /udx help to see more."),
        ("(/find) and /notes sdg13", "(/udx find) and /udx notes sdg13"),
        ("/intro 42", "/udx intro 42"),
        ("Already /udx find", "Already /udx find"),
        ("https://t.me/udx_bot/find", "https://t.me/udx_bot/find"),
        ("Europe/Berlin and/or 12/03", "Europe/Berlin and/or 12/03"),
        ("a path /usr/local/bin", "a path /usr/local/bin"),
    ],
)
def test_commands_are_written_as_slack_spells_them(written: str, on_slack: str) -> None:
    assert spell_commands(written) == on_slack


def test_every_rendered_text_spells_commands_the_slack_way() -> None:
    reply = Reply(sections=[Section("Try /find next.", heading="See /help")])
    [block] = section_blocks(reply)
    assert visible_mrkdwn(block["text"]["text"]) == "*See /udx help*\nTry /udx find next."
    assert fallback_text(reply) == "See /udx help\nTry /udx find next."
