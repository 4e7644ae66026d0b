"""The mod queue's rules as plain Python: the actions, who may take them, what each resolves to.

``cogs/modqueue`` turns these into buttons and checks; nothing here imports discord.py. The service
that applies them is :mod:`bot.moderation.queue`, the cards :mod:`bot.moderation.queue_cards`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.moderation.moderators import is_moderator
from bot.storage.cases import Case, CaseType
from bot.storage.queue import QueueSource, Resolution

# --------------------------------------------------------------------------- actions


class QueueAction(StrEnum):
    """What a moderator can do with an entry (the ``action`` part of a button's custom id)."""

    APPROVE = "approve"
    """False positive: nothing happens to the author, the verdict is recorded as feedback."""
    DELETE = "delete"
    WARN = "warn"
    TIMEOUT = "timeout"
    BAN = "ban"
    CLAIM = "claim"
    """Not a resolution: marks the entry as being handled by one moderator."""
    UPHOLD = "uphold"
    """Appeals: the original case stands."""
    PARDON = "pardon"
    """Appeals: the original case is pardoned."""

    @property
    def resolves(self) -> bool:
        """True for every action except claim."""
        return self is not QueueAction.CLAIM

    @property
    def label(self) -> str:
        """Button label."""
        return self.value.capitalize()


MESSAGE_ACTIONS: tuple[QueueAction, ...] = (
    QueueAction.APPROVE,
    QueueAction.DELETE,
    QueueAction.WARN,
    QueueAction.BAN,
    QueueAction.CLAIM,
)
"""Buttons on an entry about a message (scoring decisions and member reports), in display order.
Timeout is a select beside them (it needs a duration)."""

APPEAL_ACTIONS: tuple[QueueAction, ...] = (QueueAction.UPHOLD, QueueAction.PARDON, QueueAction.CLAIM)
"""Buttons on an appeal entry."""


def actions_for(source: QueueSource) -> tuple[QueueAction, ...]:
    """What can be done with an entry from ``source`` (the timeout select counts as Timeout)."""
    if source is QueueSource.APPEAL:
        return APPEAL_ACTIONS
    return (*MESSAGE_ACTIONS, QueueAction.TIMEOUT)


TIMEOUT_CHOICES: dict[str, int] = {"10m": 10, "1h": 60, "1d": 1440, "1w": 10080}
"""Timeout durations offered in the select: option value -> minutes."""

TIMEOUT_LABELS: dict[str, str] = {"10m": "10 minutes", "1h": "1 hour", "1d": "1 day", "1w": "1 week"}


def timeout_minutes(choice: str | None) -> int:
    """Minutes for a timeout option value; ``ValueError`` for an unknown or missing one."""
    if choice is None or choice not in TIMEOUT_CHOICES:
        raise ValueError(f"unknown timeout duration {choice!r}")
    return TIMEOUT_CHOICES[choice]


# --------------------------------------------------------------------------- who may act


@dataclass(frozen=True, slots=True)
class ModeratorCheck:
    """What the queue needs to know about the member pressing a button (their server permissions)."""

    user_id: int
    manage_messages: bool = False
    administrator: bool = False
    ban_members: bool = False
    moderate_members: bool = False
    role_ids: frozenset[int] = frozenset()


def may_moderate(member: ModeratorCheck, moderator_role_ids: Iterable[int] = ()) -> bool:
    """Manage Messages (or administrator), or one of the server's configured moderator roles
    (:func:`bot.moderation.moderators.is_moderator`, the rule every moderator check uses)."""
    return is_moderator(
        manage_messages=member.manage_messages or member.administrator,
        role_ids=member.role_ids,
        moderator_role_ids=moderator_role_ids,
    )


EXTRA_PERMISSION: dict[QueueAction, str] = {
    QueueAction.BAN: "ban_members",
    QueueAction.TIMEOUT: "moderate_members",
}
"""Actions that need a Discord permission beyond being a moderator (as ``/timeout`` does)."""


def missing_permission(member: ModeratorCheck, action: QueueAction) -> str | None:
    """The permission ``member`` lacks for ``action`` (``None``: nothing missing)."""
    needed = EXTRA_PERMISSION.get(action)
    if needed is None or member.administrator or getattr(member, needed):
        return None
    return needed


REFUSAL = "Only moderators can use the mod queue."
"""The short ephemeral answer to a non-moderator pressing a queue button."""


# --------------------------------------------------------------------------- resolutions


RESOLUTION_OF: dict[QueueAction, Resolution] = {
    QueueAction.APPROVE: Resolution.APPROVED,
    QueueAction.DELETE: Resolution.DELETED,
    QueueAction.WARN: Resolution.WARNED,
    QueueAction.TIMEOUT: Resolution.TIMED_OUT,
    QueueAction.BAN: Resolution.BANNED,
    # Appeals: the repository's resolutions describe messages, so a pardon is stored as "approved"
    # (the moderators approved the appeal); an upheld appeal is stored as the original case's kind.
    QueueAction.PARDON: Resolution.APPROVED,
}

_UPHOLD_RESOLUTION: dict[CaseType, Resolution] = {
    CaseType.WARN: Resolution.WARNED,
    CaseType.TIMEOUT: Resolution.TIMED_OUT,
    CaseType.BAN: Resolution.BANNED,
    CaseType.DELETE: Resolution.DELETED,
}


def resolution_for(action: QueueAction, case: Case | None = None) -> Resolution:
    """The stored resolution of an action (uphold: the kind of the appealed case, default warned)."""
    if action is QueueAction.UPHOLD:
        return _UPHOLD_RESOLUTION.get(case.type, Resolution.WARNED) if case else Resolution.WARNED
    try:
        return RESOLUTION_OF[action]
    except KeyError:
        raise ValueError(f"{action.value} does not resolve an entry") from None


def resolution_text(resolution: Resolution, source: QueueSource | None = None) -> str:
    """How a stored resolution reads (appeals read as upheld/pardoned)."""
    if source is QueueSource.APPEAL:
        return "pardoned" if resolution is Resolution.APPROVED else "upheld"
    return {
        Resolution.APPROVED: "approved (false positive)",
        Resolution.DELETED: "deleted",
        Resolution.WARNED: "warned",
        Resolution.TIMED_OUT: "timed out",
        Resolution.BANNED: "banned",
    }[resolution]
