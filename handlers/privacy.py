"""Privacy under the GDPR: /mydata sends everything stored about the person as a JSON document;
/forget asks for confirmation, then erases the person, their identities, notes and introductions.

The confirmation's buttons (:class:`Erase`, :class:`KeepData`) carry whose data they are for, so
a press that comes again after the erasure cannot erase the newcomer who got the same number."""

from __future__ import annotations

import json
from dataclasses import dataclass

from udx_bot.callback_data import CallbackData
from udx_bot.context import Context
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Button, Document, Reply, Section

router = Router()

EXPORT_FILENAME = "udx-mydata.json"


@dataclass(frozen=True)
class Erase(CallbackData, prefix="pv", action="forget"):
    whose: str | None = None  # see _fingerprint; buttons without it predate it


@dataclass(frozen=True)
class KeepData(CallbackData, prefix="pv", action="keep"):
    whose: str | None = None


@router.command(
    "mydata",
    help=N_("Get everything the bot stores about you, as a file"),
    registered=False,
    aliases=("meinedaten",),
    strangers=True,
)
async def mydata(ctx: Context) -> Reply:
    data = await ctx.store.privacy.export(ctx.participant.id)
    data["exported_at"] = ctx.now().isoformat()
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    counts = ctx._("{notes}, {introductions}.").format(
        notes=ctx.ngettext("{n} note", "{n} notes", len(data["notes"])).format(
            n=len(data["notes"])
        ),
        introductions=ctx.ngettext(
            "{n} introduction", "{n} introductions", len(data["introductions"])
        ).format(n=len(data["introductions"])),
    )
    return Reply(
        sections=[
            Section(
                ctx._(
                    "Here is everything I store about you: your profile, your accounts, your "
                    "notes, your introductions, your announcements, your link codes, the "
                    "messages sent or waiting for you and your digest weeks."
                )
                + " "
                + counts
            ),
            Section(ctx._("To erase all of it, send /forget.")),
        ],
        document=Document(EXPORT_FILENAME, content),
    )


@router.command(
    "forget",
    help=N_("Erase your profile and everything you wrote"),
    registered=False,
    aliases=("vergessen",),
    strangers=True,
)
async def forget(ctx: Context) -> Reply:
    whose = _fingerprint(ctx)
    return Reply(
        sections=[
            Section(
                ctx._(
                    "This erases your profile, your linked accounts, your notes and your "
                    "introductions for good. It cannot be undone. To keep a copy, send /mydata "
                    "first."
                ),
                heading=ctx._("Erase all your data?"),
            )
        ],
        buttons=[
            [
                Button(ctx._("Yes, erase everything"), Erase(whose).pack(), style="danger"),
                Button(ctx._("Cancel"), KeepData(whose).pack()),
            ]
        ],
    )


def _fingerprint(ctx: Context) -> str:
    """Who a confirmation is for: the participant's number and when they were created (SQLite
    may give a newcomer the number of someone erased, never also the same microsecond)."""
    p = ctx.participant
    return f"{p.id}.{round(p.created_at.timestamp() * 1_000_000)}"


@router.callback(Erase, registered=False, strangers=True)
async def erase(ctx: Context, data: Erase) -> Reply:
    return await _confirm(ctx, data.whose, erase=True)


@router.callback(KeepData, registered=False, strangers=True)
async def keep(ctx: Context, data: KeepData) -> Reply:
    return await _confirm(ctx, data.whose, erase=False)


async def _confirm(ctx: Context, whose: str | None, *, erase: bool) -> Reply:
    if whose and whose != _fingerprint(ctx):
        # The buttons were for someone erased since (a repeated press): whoever writes after
        # an erasure is a newcomer, and the message keeps saying what happened.
        return Reply.notify(ctx._("Your data has already been erased."))
    if erase:
        await ctx.store.privacy.erase(ctx.participant.id)
        return Reply.text(
            ctx._(
                "Done: your profile, your accounts, your notes and your introductions have been "
                "erased. If you write to me again, you start as a newcomer."
            ),
            edit=True,
        )
    return Reply.text(ctx._("Cancelled: nothing was erased."), edit=True)
