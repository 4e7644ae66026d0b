"""What an infraction is made of: the request, the outcome, the DM and modlog texts, and the
:class:`ModerationActions` protocol (the Discord side, implemented by the warnings cog).

Plain data and a protocol: :class:`~bot.moderation.infractions.InfractionService` runs the steps;
nothing here imports discord.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.explain.occlusion import Evidence
from bot.storage.cases import Case, CaseType

APPEAL_CHARS = 1000
"""The longest appeal text stored."""

APPEAL_HINT = "If you think this is a mistake, press **Appeal** below: the moderators will review it."


class DMFailedError(Exception):
    """The member could not be told by DM; ``reason`` is stored on the case."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ActionFailedError(Exception):
    """Discord refused an action (missing permission, hierarchy, outage); ``reason`` is logged and
    shown in the modlog."""

    def __init__(self, reason: str, *, permission: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permission = permission


@dataclass(frozen=True, slots=True)
class Notice:
    """What the member is told by DM. ``event`` is ``opened`` or ``pardoned``."""

    event: str
    guild_id: int
    guild_name: str
    case: Case
    reason: str
    labels: tuple[str, ...] = ()
    excerpt: str = ""
    timeout_minutes: int | None = None
    appealable: bool = True
    appeal_hint: str = APPEAL_HINT


@dataclass(frozen=True, slots=True)
class ModlogEntry:
    """A modlog line. ``event`` is ``opened``, ``pardoned`` or ``expired``; ``actor_id`` is who did it
    (``None``: Warden, automatically); ``evidence`` the words that carried an automatic case's labels."""

    event: str
    case: Case
    actor_id: int | None
    reason: str = ""
    labels: tuple[str, ...] = ()
    excerpt: str = ""
    timeout_minutes: int | None = None
    action_error: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()


class ModerationActions(Protocol):
    """The Discord side of one server, implemented by the warnings cog."""

    guild_name: str

    async def dm(self, user_id: int, notice: Notice) -> None:
        """Tell the member; raise :class:`DMFailedError` when Discord refuses."""
        ...

    async def delete(self, channel_id: int, message_id: int) -> None:
        """Delete a message (gone already is fine); raise :class:`ActionFailedError` when refused."""
        ...

    async def timeout(self, user_id: int, minutes: int | None, reason: str) -> None:
        """Time the member out for ``minutes`` (``None`` lifts the timeout); :class:`ActionFailedError`."""
        ...

    async def ban(self, user_id: int, reason: str) -> None:
        """Ban the member (their messages stay); raise :class:`ActionFailedError` when refused."""
        ...

    async def post_modlog(self, entry: ModlogEntry) -> None:
        """Post in the modlog channel (none configured: do nothing); :class:`ActionFailedError`."""
        ...


@dataclass(frozen=True, slots=True)
class InfractionRequest:
    """One infraction to apply. ``moderator_id=None`` means Warden decided (an automatic case)."""

    guild_id: int
    user_id: int
    kind: CaseType
    reason: str
    moderator_id: int | None = None
    labels: tuple[str, ...] = ()
    content: str = ""
    message_id: int | None = None
    channel_id: int | None = None
    jump_url: str | None = None
    timeout_minutes: int | None = None
    delete_message: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    case_number: int | None = None
    """The case already recorded for this request with the decision's score
    (:class:`bot.storage.decisions.DecisionRepository`): applied instead of opening one."""
    evidence: tuple[Evidence, ...] = ()
    """The words that carried the decision's labels (:mod:`bot.explain`), shown in the modlog post."""


@dataclass(frozen=True, slots=True)
class InfractionOutcome:
    """What :meth:`InfractionService.apply` did. ``duplicate``: the message already had such a case
    (nothing was done again); the errors say which step Discord refused."""

    case: Case
    duplicate: bool = False
    dm_error: str | None = None
    action_error: str | None = None
    modlog_error: str | None = None

    @property
    def dm_sent(self) -> bool:
        """True when the member got the DM."""
        return bool(self.case.dm_sent)


ActionsProvider = Callable[[int], "ModerationActions | None"]
