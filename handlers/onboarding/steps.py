"""The screens of the /start wizard, one per step (see :mod:`handlers.onboarding`): each says what
the bot now waits for (``ctx.wait_for``) and renders the step's question and buttons."""

from __future__ import annotations

from handlers import membership
from handlers.onboarding.buttons import (
    STALE,
    ObCities,
    ObCity,
    ObCountry,
    ObDepartment,
    ObDone,
    ObKeep,
    ObLanguage,
    ObSdgs,
)
from handlers.profile.fields import LANGUAGE_NAMES
from handlers.profile.view import next_steps_text, profile_sections
from udx_bot import admission, reference
from udx_bot.context import Context
from udx_bot.types import Button, MultiSelect, Option, Reply, Section

STEPS = 4


def rows_of(buttons: list[Button], per_row: int) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _step_heading(ctx: Context, number: int, title: str) -> str:
    return ctx._("Step {number} of {steps}: {title}").format(
        number=number, steps=STEPS, title=title
    )


# The steps -------------------------------------------------------------------------------------
async def language_step(ctx: Context, *, edit: bool = False) -> Reply:
    await ctx.wait_for("ob:language")
    if ctx.participant.registered:
        intro = ctx._(
            "Let's go through your profile. Your current choices are kept until you change them."
        )
    else:
        intro = ctx._(
            "Welcome to the {network}! Let's set up your profile: it takes a minute, and you "
            "can change everything later."
        ).format(network=ctx.settings.network_name)
    buttons = [
        Button(("✓ " if ctx.participant.language == code else "") + name, ObLanguage(code).pack())
        for code, name in LANGUAGE_NAMES.items()
    ]
    return Reply(
        sections=[
            Section(intro),
            Section(
                ctx._("Which language should I use? / Welche Sprache soll ich verwenden?"),
                heading=_step_heading(ctx, 1, ctx._("language")),
            ),
        ],
        buttons=[buttons],
        edit=edit,
    )


async def city_step(ctx: Context, *, edit: bool = False) -> Reply:
    await ctx.wait_for("ob:city")
    known = await ctx.store.cities.all()
    countries = sorted({c.country for c in known}, key=lambda c: (c != "DE", c))
    buttons = [[Button(ctx.t.country(code), ObCountry(code).pack()) for code in countries]]
    if ctx.participant.city_name:
        buttons.append(
            [
                Button(
                    ctx._("Keep {value}").format(value=ctx.t.city(ctx.participant.city_name)),
                    ObKeep("city").pack(),
                    style="primary",
                )
            ]
        )
    return Reply(
        sections=[
            Section(
                ctx._("Which city do you work for? Choose the country, or type the city's name.")
                if ctx.incoming.can_type
                else ctx._(
                    "Which city do you work for? Choose the country (or send /profile city <name>)."
                ),
                heading=_step_heading(ctx, 2, ctx._("city")),
            )
        ],
        buttons=buttons,
        edit=edit,
    )


async def country_cities(ctx: Context, country: str) -> Reply:
    cities = [c for c in await ctx.store.cities.all() if c.country == country]
    if not cities:
        return Reply.notify(ctx._(STALE))
    cities.sort(key=lambda c: reference.fold(ctx.t.city(c.name)))
    buttons = [Button(ctx.t.city(c.name), ObCity(c.id).pack()) for c in cities]
    rows = rows_of(buttons, 3)
    rows.append([Button(ctx._("« Other country"), ObCities().pack())])
    return Reply(
        sections=[
            Section(
                (
                    ctx._("Cities {in_country}: choose yours, or type its name.")
                    if ctx.incoming.can_type
                    else ctx._("Cities {in_country}: choose yours.")
                ).format(in_country=ctx.t.in_country(country)),
                heading=_step_heading(ctx, 2, ctx._("city")),
            )
        ],
        buttons=rows,
        edit=True,
    )


async def department_step(ctx: Context, *, edit: bool = False) -> Reply:
    await ctx.wait_for("ob:department")
    current = ctx.participant.department
    buttons = [
        Button(("✓ " if key == current else "") + ctx.t.department(key), ObDepartment(key).pack())
        for key in sorted(
            reference.departments(), key=lambda k: reference.fold(ctx.t.department(k))
        )
    ]
    rows = rows_of(buttons, 2)
    if current:
        rows.append(
            [
                Button(
                    ctx._("Keep {value}").format(value=ctx.t.department(current)),
                    ObKeep("department").pack(),
                    style="primary",
                )
            ]
        )
    return Reply(
        sections=[
            Section(
                ctx._(
                    "Which department do you work in? Choose one, or type its name in German or "
                    "English (for example “Umweltamt” or “Office of Sustainability”)."
                )
                if ctx.incoming.can_type
                else ctx._(
                    "Which department do you work in? Choose one (or send /profile department "
                    "<name>)."
                ),
                heading=_step_heading(ctx, 3, ctx._("department")),
            )
        ],
        buttons=rows,
        edit=edit,
    )


async def sdg_step(ctx: Context, *, edit: bool = False) -> Reply:
    await ctx.wait_for("ob:sdgs")
    options = tuple(
        Option(str(n), f"{n} {ctx.t.sdg(n)}") for n in reference.sdgs_in_display_order()
    )
    return Reply(
        sections=[
            Section(
                ctx._(
                    "Which Sustainable Development Goals does your work serve? Choose as many as "
                    "you like, then press Done. Typing works like the buttons: each SDG you type "
                    "(13, sdg13 or several: 11 17) is added, or removed if it was already chosen."
                ),
                heading=_step_heading(ctx, 4, ctx._("SDGs")),
            )
        ],
        multi_select=MultiSelect(
            action=ObSdgs().pack(),
            options=options,
            selected=frozenset(str(n) for n in ctx.participant.sdgs),
            placeholder=ctx._("Choose SDGs"),
            columns=2,
        ),
        buttons=[[Button(ctx._("Done ✓"), ObDone().pack(), style="primary")]],
        edit=edit,
    )


async def finish(ctx: Context, *, edit: bool = False) -> Reply:
    participant = ctx.participant
    if participant.city_id is None:
        return await city_step(ctx, edit=edit)
    if participant.department is None:
        return await department_step(ctx, edit=edit)
    await ctx.stop_waiting()
    sections = [Section(ctx._("Your profile is saved."))]
    sections.extend(await profile_sections(ctx, participant))
    if participant.member:
        sections.append(Section(next_steps_text(ctx)))
    elif ctx.settings.registration == admission.APPROVAL:
        sections.append(await membership.ask_to_join(ctx))
    else:
        sections.append(Section(await admission.refusal(ctx)))
    return Reply(sections=sections, edit=edit)
