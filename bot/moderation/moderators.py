"""Who counts as a moderator: the one rule every moderator check uses (no discord.py).

A member is a moderator in a server when they have **Manage Messages** (Administrator implies it) or
hold one of the server's configured moderator roles (``moderator_roles`` in the policy, set with
``/warden setup moderator_role:``). The cogs read the member's permission and roles from discord.py
and ask :func:`is_moderator`; ``bot.discord_adapter.checks.member_is_moderator`` and
``require_moderator`` do that for them.

Actions that need a Discord permission of their own (timeouts: Timeout Members; bans: Ban Members)
still need it: a moderator role makes a member a moderator, not a holder of those permissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.errors import MissingPermissionError

if TYPE_CHECKING:
    from bot.policy.settings import PolicySettings


def is_moderator(
    *, manage_messages: bool, role_ids: Iterable[int], moderator_role_ids: Iterable[int]
) -> bool:
    """Manage Messages (pass ``True`` for an Administrator too), or one of ``moderator_role_ids``."""
    if manage_messages:
        return True
    wanted = frozenset(moderator_role_ids)
    return bool(wanted) and any(role_id in wanted for role_id in role_ids)


def is_policy_moderator(policy: PolicySettings, *, manage_messages: bool, role_ids: Iterable[int]) -> bool:
    """:func:`is_moderator` with the moderator roles of ``policy``."""
    return is_moderator(
        manage_messages=manage_messages, role_ids=role_ids, moderator_role_ids=policy.moderator_roles
    )


class NotModeratorError(MissingPermissionError):
    """The member is not a moderator: no Manage Messages and none of the server's moderator roles."""

    def __init__(self) -> None:
        super().__init__("manage_messages")
        self.user_message = "You need the **Manage Messages** permission or a moderator role for this."
        self.args = (self.user_message,)
