"""How a person appears in coordinators' exports: by name, or, if they asked for it with
``/profile anonymous on``, as "a colleague from <city>, <department>"."""

from __future__ import annotations

from udx_bot.i18n import Translator


def colleague(t: Translator, city: str | None, department: str | None) -> str:
    return t._("a colleague from {city}, {department}").format(
        city=city or t._("an unknown city"),
        department=t.department(department) if department else t._("an unknown department"),
    )


def shown_name(
    t: Translator, name: str, anonymous: bool, city: str | None, department: str | None
) -> str:
    return colleague(t, city, department) if anonymous else name
