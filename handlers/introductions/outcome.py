"""What came of a meeting: "Write it" under "What came of it?" (udx_bot/usecases/meetings.py,
thirty days after a "Yes") takes one line as the next message, shows it as a draft exchange
note tagged with both people's cities and their shared SDGs, and saves it only on **Save**
(another message replaces the draft; **Edit** asks again). Saved, it is an ordinary note
(``/note edit <n>``).

Buttons: :class:`~udx_bot.usecases.meetings.MeetOutcome` and :class:`MeetNoteSave`
(``meet:save:<introduction id>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.notes.writing import MAX_NOTE_LENGTH
from storage.introductions import Introduction
from storage.participants import Participant
from udx_bot.callback_data import CallbackData
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Button, Prompt, Reply, Section
from udx_bot.usecases.meetings import MeetOutcome

router = Router()

WRITING, DRAFT = "meet:outcome", "meet:draft"


@dataclass(frozen=True)
class MeetNoteSave(
    CallbackData, prefix="meet", action="save", stale=N_("This request no longer exists.")
):
    introduction_id: int


async def _met(ctx: Context, intro_id: int) -> tuple[Introduction, Participant] | None:
    """The reader's accepted introduction they said they met through, and the other person."""
    me = ctx.participant.id
    intro = await ctx.store.introductions.get(intro_id, ctx.now())
    if (
        intro is None
        or intro.status != "accepted"
        or me not in (intro.requester_id, intro.target_id)
    ):
        return None
    answers = await ctx.store.meetings.answers(intro.id)
    if not any(a.participant_id == me and a.outcome == "met" for a in answers):
        return None
    other = await ctx.store.participants.get(
        intro.target_id if intro.requester_id == me else intro.requester_id
    )
    return (intro, other) if other is not None else None


def _ask(ctx: Context) -> Reply:
    return Reply(
        sections=[
            Section(ctx._("What came of it? Send one line as your next message, or /cancel."))
        ],
        prompt=Prompt(
            title=ctx._("What came of it?"),
            label=ctx._("Your outcome"),
            multiline=True,
            max_length=MAX_NOTE_LENGTH,
        ),
    )


@router.callback(MeetOutcome)
async def write_pressed(ctx: Context, data: MeetOutcome) -> Reply:
    if await _met(ctx, data.introduction_id) is None:
        return Reply.notify(ctx._("This request no longer exists."))
    await ctx.wait_for(WRITING, {"intro": data.introduction_id})
    return _ask(ctx)


def _tags(me: Participant, other: Participant) -> tuple[list[int], list[int], list[str]]:
    sdgs = [n for n in me.sdgs if n in other.sdgs]
    cities = [(p.city_id, p.city_name) for p in (me, other) if p.city_id is not None]
    unique = list(dict.fromkeys(cities))
    return sdgs, [c for c, _ in unique], [name or "" for _, name in unique]


@router.input(WRITING, registered=True)
@router.input(DRAFT, registered=True)
async def outcome_text(ctx: Context) -> Reply:
    conversation = await ctx.store.conversations.get(ctx.participant.id)
    intro_id = conversation.data.get("intro") if conversation else None
    found = await _met(ctx, intro_id) if isinstance(intro_id, int) else None
    if found is None:
        await ctx.stop_waiting()
        return Reply.text(ctx._("This request no longer exists."))
    text = " ".join(ctx.args.split())
    if not text:
        raise UserError(ctx._("Please send a line of text, or /cancel. Nothing was saved."))
    if len(text) > MAX_NOTE_LENGTH:
        raise UserError(
            ctx._("That is {length} characters; the limit is {limit}. Nothing was saved.").format(
                length=len(text), limit=MAX_NOTE_LENGTH
            )
        )
    intro, other = found
    await ctx.wait_for(DRAFT, {"intro": intro.id, "text": text})
    sdgs, _, names = _tags(ctx.participant, other)
    tags = " · ".join([*(f"#{name}" for name in names), *(f"SDG {n}" for n in sdgs)])
    return Reply(
        sections=[
            Section(
                ctx._("Save this as an exchange note, tagged {tags}?").format(tags=tags)
                + f"\n\n“{text}”\n\n"
                + ctx._("Send another message to change it."),
                heading=ctx._("What came of it?"),
            )
        ],
        buttons=[
            [
                Button(ctx._("Save"), MeetNoteSave(intro.id).pack(), "primary"),
                Button(ctx._("Edit"), MeetOutcome(intro.id).pack()),
            ]
        ],
    )


@router.callback(MeetNoteSave)
async def save_pressed(ctx: Context, data: MeetNoteSave) -> Reply:
    conversation = await ctx.store.conversations.get(ctx.participant.id)
    draft = conversation.data if conversation and conversation.state == DRAFT else {}
    found = await _met(ctx, data.introduction_id)
    text = draft.get("text")
    if found is None or draft.get("intro") != data.introduction_id or not isinstance(text, str):
        return Reply.notify(ctx._("That draft is no longer active. Nothing was saved."))
    _, other = found
    me = ctx.participant
    sdgs, city_ids, _ = _tags(me, other)
    note = await ctx.store.notes.add(
        me.id,
        text,
        city_id=me.city_id,
        department=me.department,
        sdgs=sdgs,
        city_ids=city_ids,
        now=ctx.now(),
    )
    await ctx.store.meetings.outcome_note(data.introduction_id, note.id, me.id, ctx.now())
    await ctx.stop_waiting()
    return Reply.text(
        ctx._(
            "Saved as note #{n}. Thank you for sharing it! Change it with /note edit {n}."
        ).format(n=note.id),
        edit=True,
    )
