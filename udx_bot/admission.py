"""Who is a member of the network, and what a stranger is told.

``UDX_REGISTRATION`` decides how people get in:

    invite     (the default) with an invitation: ``/start <code>`` or the Telegram link
    approval   ``/start`` sets up a profile and asks the coordinators, who approve or decline
    open       everyone who writes is a member (public networks, the demo)

The console is always a member (it is local). Slack workspace members count as invited unless
``UDX_SLACK_REQUIRE_INVITE=1`` (the workspace is already a gate). Someone an admin removed is not
admitted again automatically: only a new invitation or an approval lets them back in.

A stranger may use the routes registered with ``strangers=True`` (/start, /help, /mydata,
/forget and their buttons) and gets :func:`refusal` for everything else. The check is the
router's ``access`` step (udx_bot/dispatch.py), the one place where access is decided.
"""

from __future__ import annotations

from storage.participants import Participant
from udx_bot.config import Settings
from udx_bot.context import Context
from udx_bot.i18n import N_, Translator

INVITE, APPROVAL, OPEN = "invite", "approval", "open"


def automatic(settings: Settings, platform: str, participant: Participant) -> bool:
    """Whether this person becomes a member by writing, without an invitation or approval."""
    if platform == "console":
        return True
    if participant.removed_at is not None:
        return False
    if settings.registration == OPEN:
        return True
    return platform == "slack" and not settings.slack_require_invite


async def admitted(ctx: Context) -> bool:
    """Whether the person writing is a member; one whom the mode admits automatically becomes
    one now (``ctx.participant`` is reloaded)."""
    if ctx.participant.member:
        return True
    if not automatic(ctx.settings, ctx.actor.platform, ctx.participant):
        return False
    await ctx.store.membership.admit(ctx.participant.id, now=ctx.now())
    await ctx.reload()
    return True


async def refusal(ctx: Context) -> str:
    """The one message a stranger gets for anything but /start, /help, /mydata and /forget."""
    return how_to_join(ctx.t, ctx.settings, ctx.participant, await _waiting(ctx))


def how_to_join(
    t: Translator, settings: Settings, participant: Participant, waiting: bool = False
) -> str:
    network = settings.network_name
    if participant.removed_at is not None and not waiting:
        return t._(REMOVED).format(network=network)
    if settings.registration == APPROVAL:
        if waiting:
            return t._(WAITING).format(network=network)
        return t._(ASK_TO_JOIN).format(network=network)
    return t._(INVITE_ONLY).format(network=network)


async def _waiting(ctx: Context) -> bool:
    if ctx.settings.registration != APPROVAL:
        return False
    return await ctx.store.membership.open_request(ctx.participant.id) is not None


INVITE_ONLY = N_(
    "This bot is for the members of the {network}, and joining takes an invitation. Ask a "
    "coordinator of your city for one, then open its link or send /start with its code "
    "(for example /start K7QF2M9XH3WD). Until then you can use /help, /mydata and /forget."
)
ASK_TO_JOIN = N_(
    "This bot is for the members of the {network}. Send /start to set up your profile and ask "
    "to join: a coordinator will approve you. Until then you can use /help, /mydata and /forget."
)
WAITING = N_(
    "Your request to join the {network} is waiting for a coordinator; I'll tell you as soon as "
    "one has decided. Until then you can use /help, /mydata and /forget."
)
REMOVED = N_(
    "You are no longer a member of the {network}. If you think this is a mistake, ask a "
    "coordinator of your city for a new invitation. You can still use /mydata and /forget."
)
