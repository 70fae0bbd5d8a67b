"""/start: a guided setup with buttons, in the person's language from the first message.

language → city (countries, then their cities; or type a name) → department (taxonomy buttons, or
type any name in German or English) → SDGs (toggle buttons, 11/16/17 first; every SDG typed, in
any form, toggles as its button does) → done: a summary and what to try next. Every step is saved
as it is chosen and what the bot waits for is kept in storage (``ctx.wait_for``), so a restart
mid-wizard loses nothing; /start again edits the profile. ``/start <code>`` redeems an
invitation first; a stranger's finished profile in approval mode asks the coordinators to let
them in (handlers/membership.py).

The buttons are the ``Ob…`` kinds of :mod:`handlers.onboarding.buttons` (prefix ``ob``):
``ob:language:<de|en>``, ``ob:country:<CC>``, ``ob:city:<id>``, ``ob:cities``,
``ob:department:<key>``, ``ob:departments``, ``ob:keep:<step>``, ``ob:sdgs:<n>`` (a toggle) or
``ob:sdgs`` with values (Slack submits the whole selection), ``ob:done``. Buttons sent before
read ``ob:lang:…``, ``ob:dep:…`` and ``ob:deps``.

This module answers: the command, the buttons and typed answers; each step's screen is in
:mod:`handlers.onboarding.steps`.
"""

from __future__ import annotations

from handlers import membership
from handlers.onboarding.buttons import (
    STALE,
    ObCities,
    ObCity,
    ObCountry,
    ObDepartment,
    ObDepartments,
    ObDone,
    ObKeep,
    ObLanguage,
    ObSdgs,
)
from handlers.onboarding.steps import (
    city_step,
    country_cities,
    department_step,
    finish,
    language_step,
    rows_of,
    sdg_step,
)
from handlers.profile.fields import (
    match_city,
    parse_language,
    parse_sdgs,
    unknown_city_message,
    unknown_department_message,
)
from storage.cities import City
from udx_bot import admission, reference
from udx_bot.context import Context, UserError
from udx_bot.i18n import N_
from udx_bot.router import Router
from udx_bot.types import Button, Reply, Section

router = Router()


# The command, the buttons and typed answers -------------------------------------------------
@router.command(
    "start",
    help=N_("Set up or change your profile, step by step"),
    registered=False,
    aliases=("setup",),
    strangers=True,
)
async def start(ctx: Context) -> Reply:
    """``/start``, or ``/start <code>`` with an invitation (Telegram's invitation link)."""
    first = []
    if ctx.args.strip():
        first.append(await membership.redeem(ctx, ctx.args.strip()))
    elif not await admission.admitted(ctx) and ctx.settings.registration != admission.APPROVAL:
        return Reply.text(await admission.refusal(ctx))  # invitations only: nothing to set up
    reply = await language_step(ctx)
    reply.sections[0:0] = first
    return reply


@router.callback(ObLanguage, registered=False, strangers=True)
async def chose_language(ctx: Context, data: ObLanguage) -> Reply:
    await ctx.store.participants.update(ctx.participant.id, now=ctx.now(), language=data.code)
    await ctx.reload()
    return await city_step(ctx, edit=True)


@router.callback(ObCities, registered=False, strangers=True)
async def back_to_countries(ctx: Context, _data: ObCities) -> Reply:
    return await city_step(ctx, edit=True)


@router.callback(ObDepartments, registered=False, strangers=True)
async def back_to_departments(ctx: Context, _data: ObDepartments) -> Reply:
    return await department_step(ctx, edit=True)


@router.callback(ObCountry, registered=False, strangers=True)
async def chose_country(ctx: Context, data: ObCountry) -> Reply:
    return await country_cities(ctx, data.code)


@router.callback(ObCity, registered=False, strangers=True)
async def chose_city(ctx: Context, data: ObCity) -> Reply:
    city = await ctx.store.cities.get(data.city_id)
    if city is None:
        return Reply.notify(ctx._(STALE))
    return await _choose_city(ctx, city, edit=True)


@router.callback(ObDepartment, registered=False, strangers=True)
async def chose_department(ctx: Context, data: ObDepartment) -> Reply:
    return await _choose_department(ctx, data.key, edit=True)


@router.callback(ObKeep, registered=False, strangers=True)
async def kept(ctx: Context, data: ObKeep) -> Reply:
    if data.step == "city" and ctx.participant.city_id is not None:
        return await department_step(ctx, edit=True)
    if data.step == "department" and ctx.participant.department is not None:
        return await sdg_step(ctx, edit=True)
    return Reply.notify(ctx._(STALE))


@router.callback(ObDone, registered=False, strangers=True)
async def done(ctx: Context, _data: ObDone) -> Reply:
    return await finish(ctx, edit=True)


async def _choose_city(ctx: Context, city: City, *, edit: bool) -> Reply:
    await ctx.store.participants.update(ctx.participant.id, now=ctx.now(), city_id=city.id)
    await ctx.reload()
    reply = await department_step(ctx, edit=edit)
    reply.sections.insert(0, Section(ctx._("City: {city}").format(city=ctx.t.city(city.name))))
    return reply


async def _choose_department(ctx: Context, key: str, *, edit: bool) -> Reply:
    await ctx.store.participants.update(ctx.participant.id, now=ctx.now(), department=key)
    await ctx.reload()
    reply = await sdg_step(ctx, edit=edit)
    reply.sections.insert(
        0, Section(ctx._("Department: {department}").format(department=ctx.t.department(key)))
    )
    return reply


@router.callback(ObSdgs, registered=False, strangers=True)
async def sdgs_pressed(ctx: Context, data: ObSdgs) -> Reply:
    if data.sdg is not None:  # one toggle (Telegram, console)
        chosen = set(ctx.participant.sdgs) ^ {data.sdg}
    else:  # the whole selection (Slack)
        values = ctx.incoming.values or ()
        chosen = {int(v) for v in values if v.isdigit() and int(v) in reference.SDG_RANGE}
    await ctx.store.participants.set_sdgs(ctx.participant.id, chosen)
    await ctx.reload()
    return await sdg_step(ctx, edit=True)


@router.input("ob:language", strangers=True)
async def typed_language(ctx: Context) -> Reply:
    try:
        language = parse_language(ctx, ctx.args)
    except UserError:
        reply = await language_step(ctx)
        reply.sections[0] = Section(ctx._("Please choose a language with the buttons."))
        return reply
    await ctx.store.participants.update(ctx.participant.id, now=ctx.now(), language=language)
    await ctx.reload()
    return await city_step(ctx)


@router.input("ob:city", strangers=True)
async def typed_city(ctx: Context) -> Reply:
    found = await match_city(ctx, ctx.args)
    if found.city is not None:
        return await _choose_city(ctx, found.city, edit=False)
    buttons = [Button(ctx.t.city(c.name), ObCity(c.id).pack()) for c in found.closest]
    rows = [buttons] if buttons else []
    rows.append([Button(ctx._("Show the cities"), ObCities().pack())])
    return Reply.text(
        unknown_city_message(ctx, ctx.args, found.closest, in_wizard=True), buttons=rows
    )


@router.input("ob:department", strangers=True)
async def typed_department(ctx: Context) -> Reply:
    found = reference.match_department(ctx.args)
    if found.department is not None:
        return await _choose_department(ctx, found.department.key, edit=False)
    buttons = [Button(ctx.t.department(d.key), ObDepartment(d.key).pack()) for d in found.closest]
    rows = rows_of(buttons, 1)
    rows.append([Button(ctx._("Show the departments"), ObDepartments().pack())])
    return Reply.text(unknown_department_message(ctx, ctx.args, found.closest), buttons=rows)


@router.input("ob:sdgs", strangers=True)
async def typed_sdgs(ctx: Context) -> Reply:
    if ctx.args.strip().casefold().rstrip(".!") in ("done", "fertig", "ok"):
        return await finish(ctx)
    typed = set(parse_sdgs(ctx, ctx.args))  # a UserError keeps the step waiting
    before = set(ctx.participant.sdgs)
    chosen = before ^ typed  # each typed SDG toggles, as its button does
    await ctx.store.participants.set_sdgs(ctx.participant.id, chosen)
    await ctx.reload()
    reply = await sdg_step(ctx)
    changes = []
    if chosen - before:
        changes.append(ctx._("Added: {sdgs}").format(sdgs=_sdg_list(chosen - before)))
    if before - chosen:
        changes.append(ctx._("Removed: {sdgs}").format(sdgs=_sdg_list(before - chosen)))
    reply.sections.insert(0, Section(" · ".join(changes)))
    return reply


def _sdg_list(numbers: set[int]) -> str:
    return ", ".join(f"SDG {n}" for n in sorted(numbers))
