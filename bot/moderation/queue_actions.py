"""Bans from the mod queue, in the infraction service's fixed order.

:meth:`bot.moderation.infractions.InfractionService.apply` records ban cases, but its act step only
deletes messages and times members out (:class:`~bot.moderation.infractions.ModerationActions` has no
``ban``). :func:`apply_ban` runs a ban case through the same steps with the ban as the act:

1. **record** the case (refused like any case: one ban case per message);
2. **DM** the member (before the ban: a banned member shares no server with the bot, so a DM after it
   would fail);
3. **act**: ban (a refusal is kept as ``action_error`` and the case is ended, so it is not "in effect");
4. **modlog**;
5. no expiry: a ban from the queue is permanent until lifted by hand.

No discord.py here: the ban itself is a callable the cog supplies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.errors import CaseStateError
from bot.moderation.infractions import (
    ActionFailedError,
    DMFailedError,
    InfractionOutcome,
    InfractionRequest,
    InfractionService,
    ModerationActions,
    ModlogEntry,
    Notice,
    excerpt,
)
from bot.storage.cases import CaseType
from bot.storage.errors import ConflictError

log = logging.getLogger(__name__)

BanCallable = Callable[[int, str], Awaitable[None]]
"""``ban(user_id, reason)``: ban the member; raise :class:`ActionFailedError` when Discord refuses."""


async def apply_ban(
    service: InfractionService, actions: ModerationActions, ban: BanCallable, request: InfractionRequest
) -> InfractionOutcome:
    """Record, DM, ban, modlog. Never raises for Discord refusals (they are in the outcome)."""
    if request.kind is not CaseType.BAN:
        raise ValueError(f"apply_ban needs a ban request, got {request.kind.value}")
    # 1. record
    try:
        case = await service.database.run(
            service.cases.create,
            guild_id=request.guild_id,
            user_id=request.user_id,
            type=CaseType.BAN,
            reason=request.reason,
            moderator_id=request.moderator_id,
            auto=request.moderator_id is None,
            created_at=service.clock(),
            message_id=request.message_id,
            channel_id=request.channel_id,
            jump_url=request.jump_url,
        )
    except ConflictError as conflict:
        existing = conflict.existing
        if existing is None:
            raise
        if request.message_id is not None and existing.message_id == request.message_id:
            return InfractionOutcome(case=existing, duplicate=True)
        raise CaseStateError(existing.case_number, "the database refused the ban case") from None
    text = excerpt(request.content) if request.content else ""

    # 2. DM
    dm_error: str | None = None
    try:
        await actions.dm(
            request.user_id,
            Notice(
                event="opened",
                guild_id=request.guild_id,
                guild_name=actions.guild_name,
                case=case,
                reason=request.reason,
                labels=request.labels,
                excerpt=text,
            ),
        )
    except DMFailedError as error:
        dm_error = error.reason
    case = await service.database.run(
        service.cases.mark_dm, request.guild_id, case.case_number, sent=dm_error is None, error=dm_error
    )

    # 3. act
    action_error: str | None = None
    try:
        await ban(request.user_id, request.reason)
    except ActionFailedError as error:
        action_error = f"ban: {error.reason}"
        # The ban did not happen: the case must not read as in effect.
        await service.database.run(service.cases.expire, request.guild_id, case.case_number)
        case = await service.get_case(request.guild_id, case.case_number)

    # 4. modlog
    modlog_error: str | None = None
    try:
        await actions.post_modlog(
            ModlogEntry(
                event="opened",
                case=case,
                actor_id=request.moderator_id,
                reason=request.reason,
                labels=request.labels,
                excerpt=text,
                action_error=action_error,
                scores=dict(request.scores),
            )
        )
    except ActionFailedError as error:
        modlog_error = error.reason
        log.warning("case #%s: modlog post failed: %s", case.case_number, error.reason)
    return InfractionOutcome(
        case=case, dm_error=dm_error, action_error=action_error, modlog_error=modlog_error
    )
