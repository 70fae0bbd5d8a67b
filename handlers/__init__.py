"""The chat commands, written once for every platform: one module per feature, each with its own
:class:`~udx_bot.router.Router`. Handlers never import a platform library."""

from __future__ import annotations

from handlers import (
    announcements,
    counterparts,
    digest,
    help,
    home,
    introductions,
    invitations,
    link,
    membership,
    notes,
    onboarding,
    privacy,
    profile,
    reports,
)
from udx_bot.router import Router

# Every feature's router, in the order their commands are listed.
FEATURES: tuple[Router, ...] = (
    help.router,
    onboarding.router,
    profile.router,
    link.router,
    privacy.router,
    notes.router,
    counterparts.router,
    introductions.router,
    introductions.manage.router,
    announcements.router,
    invitations.router,
    membership.router,
    reports.router,
    digest.router,
    home.router,
)


def build_router() -> Router:
    """One router with every feature's commands."""
    root = Router()
    for feature in FEATURES:
        root.include(feature)
    return root
