"""The Discord side of resolving a queue entry: pardon an appealed case, or delete, warn, time out, ban.

Every action goes through :class:`bot.moderation.infractions.InfractionService` like any other infraction;
the queue service runs :meth:`QueueResolutions.act` under the entry's lock (resolve-once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from bot.discord_adapter.plugin import check_hierarchy
from bot.errors import CaseStateError, WardenError
from bot.moderation.infraction_types import InfractionRequest, ModerationActions
from bot.moderation.queue import ActionResult, QueueActionError, QueueService
from bot.moderation.queue_rules import QueueAction
from bot.storage.cases import CaseType
from bot.storage.queue import QueueEntry

if TYPE_CHECKING:
    from bot.service_protocols import Infractions

CASE_TYPES: dict[QueueAction, CaseType] = {
    QueueAction.DELETE: CaseType.DELETE,
    QueueAction.WARN: CaseType.WARN,
    QueueAction.TIMEOUT: CaseType.TIMEOUT,
    QueueAction.BAN: CaseType.BAN,
}


class QueueResolutions:
    """Turns a moderator's button press into the infraction (or pardon) it stands for."""

    def __init__(self, queue: QueueService, infractions: Callable[[], Infractions]) -> None:
        self.queue = queue
        self._infractions = infractions

    @property
    def infractions(self) -> Infractions:
        """The infraction service (looked up on use: the bot may swap it in tests)."""
        return self._infractions()

    def act(
        self, guild: discord.Guild, moderator: discord.Member, action: QueueAction, minutes: int | None
    ) -> Callable[[QueueEntry], Awaitable[ActionResult]]:
        """The action for :meth:`QueueService.resolve`: what ``moderator`` pressed, on ``guild``."""

        async def act(entry: QueueEntry) -> ActionResult:
            if action in (QueueAction.APPROVE, QueueAction.UPHOLD):
                return ActionResult()
            if action is QueueAction.PARDON:
                return await self._pardon(guild, moderator, entry)
            return await self._infraction(guild, moderator, entry, action, minutes)

        return act

    def _actions(self, guild: discord.Guild) -> ModerationActions:
        actions = self.infractions.actions_for(guild.id)
        if actions is None:
            raise QueueActionError("I can't act on members of a server I am not in.")
        return actions

    async def _pardon(
        self, guild: discord.Guild, moderator: discord.Member, entry: QueueEntry
    ) -> ActionResult:
        case = await self.queue.case_of(entry)
        if case is None:
            raise QueueActionError("the appealed case could not be found.")
        if case.pardoned:
            return ActionResult(case.id, case.case_number, note="The case had already been pardoned.")
        try:
            pardoned = await self.infractions.pardon(
                self._actions(guild),
                guild.id,
                case.case_number,
                moderator_id=moderator.id,
                reason=f"Appeal approved (queue entry #{entry.id})",
            )
        except CaseStateError:
            return ActionResult(case.id, case.case_number, note="The case had already been pardoned.")
        return ActionResult(pardoned.id, pardoned.case_number)

    async def _infraction(
        self,
        guild: discord.Guild,
        moderator: discord.Member,
        entry: QueueEntry,
        action: QueueAction,
        minutes: int | None,
    ) -> ActionResult:
        if entry.author_id is None:
            raise QueueActionError("this entry has no author to act on.")
        target = guild.get_member(entry.author_id)
        if action is not QueueAction.DELETE and target is not None:
            try:
                check_hierarchy(guild, moderator, target)
            except WardenError as error:
                raise QueueActionError(error.user_message) from error
        what = ", ".join(entry.labels) or entry.reason or "a reported message"
        request = InfractionRequest(
            guild_id=guild.id,
            user_id=entry.author_id,
            kind=CASE_TYPES[action],
            reason=f"Mod queue #{entry.id}: {what}"[:500],
            moderator_id=moderator.id,
            labels=entry.labels,
            content=entry.excerpt or "",
            message_id=entry.message_id,
            channel_id=entry.channel_id,
            jump_url=entry.jump_url,
            timeout_minutes=minutes,
            delete_message=action is QueueAction.DELETE,
            scores=dict(entry.scores),
        )
        try:
            # One path for every kind, bans included: record, DM (before a ban), act, modlog, expiry.
            outcome = await self.infractions.apply(self._actions(guild), request)
        except WardenError as error:
            raise QueueActionError(error.user_message) from error
        notes: list[str] = []
        if outcome.duplicate:
            notes.append("The message already had this case: nothing was done again.")
        if outcome.dm_error:
            notes.append("The member could not be told by DM.")
        if outcome.action_error:
            notes.append(f"Discord refused: {outcome.action_error}.")
        return ActionResult(outcome.case.id, outcome.case.case_number, note=" ".join(notes))
