"""The buttons of the /start wizard (typed callback data, see udx_bot/callback_data.py)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.profile.fields import LANGUAGE_NAMES
from udx_bot import reference
from udx_bot.callback_data import CallbackData
from udx_bot.i18n import N_

STALE = N_("That button is no longer active. Send /start to begin again.")


class _Ob(CallbackData, prefix="ob", stale=STALE):
    """The wizard's buttons; data no kind reads (or an invalid value) gets ``STALE``."""


@dataclass(frozen=True)
class ObLanguage(_Ob, action="language", old=("lang",)):
    code: str

    def __post_init__(self) -> None:
        if self.code not in LANGUAGE_NAMES:
            raise ValueError(self.code)


@dataclass(frozen=True)
class ObCountry(_Ob, action="country"):
    code: str


@dataclass(frozen=True)
class ObCity(_Ob, action="city"):
    city_id: int


@dataclass(frozen=True)
class ObCities(_Ob, action="cities"):
    """Back to the countries."""


@dataclass(frozen=True)
class ObDepartment(_Ob, action="department", old=("dep",)):
    key: str

    def __post_init__(self) -> None:
        if reference.department(self.key) is None:
            raise ValueError(self.key)


@dataclass(frozen=True)
class ObDepartments(_Ob, action="departments", old=("deps",)):
    """Back to all departments."""


@dataclass(frozen=True)
class ObKeep(_Ob, action="keep"):
    step: str  # "city" or "department"


@dataclass(frozen=True)
class ObSdgs(_Ob, action="sdgs"):
    """One SDG toggled, or (None) the whole selection in ``ctx.incoming.values`` (Slack)."""

    sdg: int | None = None

    def __post_init__(self) -> None:
        if self.sdg is not None and self.sdg not in reference.SDG_RANGE:
            raise ValueError(self.sdg)


@dataclass(frozen=True)
class ObDone(_Ob, action="done"):
    pass
