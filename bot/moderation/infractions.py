"""Infractions as plain Python: apply, pardon and expire cases in one fixed order.

Every path runs the same steps, in this order, so a crash or a refusal half-way leaves a record that
says what happened:

1. **record** the case (per-server number, one case of a type per message, one active timeout);
2. **DM** the member: the reason, the labels, the excerpt, how to appeal (a refused DM, e.g. closed
   DMs, is recorded on the case as ``dm_sent = false`` and ``dm_error``, never fatal);
3. **act**: delete the message, time the member out or ban them (or lift the timeout on a pardon); an
   act Discord refuses is recorded (``action_error``) and its case ended, so it is not "in effect";
4. **modlog**: post the case in the server's modlog channel;
5. **schedule the expiry** (timeouts): a timer ends the case when it runs out; timers are
   rescheduled from the database on start, once the bot is ready and knows its servers
   (:meth:`InfractionService.reschedule`, called by the warnings cog), so a case already past due
   is expired with its modlog post.

The Discord side is a small :class:`ModerationActions` protocol the Discord adapter implements; this
module never imports discord.py. Texts are truncated here and escaped by the implementation that
renders them (``discord.utils.escape_markdown`` + ``escape_mentions``).

Past the record, no step stops the next one: a refusal or an unexpected error in the DM, the act or the
modlog post is logged with the case and the ids and recorded, and the remaining steps still run.

Policy decisions come in through :meth:`InfractionService.apply_decision`
(:mod:`bot.moderation.decision_acts`): one member's decisions one at a time, in order; an automatic
timeout during the member's running timeout is a recorded strike that may extend it, never a second one.

The request, outcome and notice types are :mod:`bot.moderation.infraction_types`; the expiry timers
:mod:`bot.moderation.expiry`; what a decision asks for :mod:`bot.moderation.decision_acts`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.errors import CaseNotFoundError, CaseStateError, InvalidTargetError
from bot.moderation.decision_acts import DecisionActing
from bot.moderation.expiry import ExpiryScheduler
from bot.moderation.infraction_types import (
    APPEAL_CHARS,
    ActionFailedError,
    ActionsProvider,
    DMFailedError,
    InfractionOutcome,
    InfractionRequest,
    ModerationActions,
    ModlogEntry,
    Notice,
)
from bot.moderation.text import excerpt
from bot.service_protocols import QueueStore
from bot.storage._common import utcnow
from bot.storage.cases import Case, CaseRepository, CaseType, OwedModlog
from bot.storage.database import Database
from bot.storage.errors import ConflictError, NotFoundError, StateError
from bot.storage.queue import QueueEntry, QueueSource, QueueStatus

log = logging.getLogger(__name__)

EXPIRED = "expired"
"""The modlog event of a case whose time ran out (recorded as owed in the case's own transaction)."""


async def _acting_everywhere(guild_id: int) -> bool:
    return True


def _every_guild(guild_id: int) -> bool:
    return True


class InfractionService(DecisionActing):
    """Apply, pardon, expire and appeal cases, in the fixed order of the module docstring."""

    def __init__(
        self,
        database: Database,
        cases: CaseRepository,
        *,
        scheduler: ExpiryScheduler | None = None,
        clock: Callable[[], datetime] = utcnow,
        owns_guild: Callable[[int], bool] | None = None,
    ) -> None:
        self.database = database
        self.cases = cases
        self.clock = clock
        self.owns_guild: Callable[[int], bool] = owns_guild or _every_guild
        """Whether this process re-arms a server's stored expiries (:meth:`reschedule`): with several
        shard-owning processes, only the one whose shards hold the server (:mod:`bot.sharding`)."""
        self.scheduler = scheduler or ExpiryScheduler(clock)
        self.actions_for: ActionsProvider = lambda guild_id: None
        """Wired by the composition root: the :class:`ModerationActions` of a server (``None``: unknown)."""
        self.acting_enabled: Callable[[int], Awaitable[bool]] = _acting_everywhere
        """Wired by the composition root: whether policy decisions are acted on in a server (the
        switch of the feature that carries them out, the warnings cog)."""

    # ------------------------------------------------------------------ apply

    async def apply(self, actions: ModerationActions, request: InfractionRequest) -> InfractionOutcome:
        """Record, DM, act, modlog, schedule the expiry. Never raises for Discord refusals.

        Handles every case type: ``warn`` and ``note`` have no act, ``delete`` deletes
        (``delete_message``), ``timeout`` times out (``timeout_minutes``, expires), ``ban`` bans (the DM
        goes first: a banned member shares no server with the bot any more)."""
        duration = None
        if request.kind is CaseType.TIMEOUT:
            if not request.timeout_minutes or request.timeout_minutes < 1:
                raise InvalidTargetError(
                    request.user_id, "A timeout needs a duration of at least one minute."
                )
            duration = timedelta(minutes=request.timeout_minutes)
        # 1. record (a decision's case was recorded with its score: DecisionRepository.record)
        recorded = await self._recorded(request)
        if recorded is not None and recorded.type is not request.kind:
            return await self._recorded_strike(actions, request, recorded)
        try:
            if recorded is not None:
                case = recorded
            else:
                case = await self.database.run(
                    self.cases.create,
                    guild_id=request.guild_id,
                    user_id=request.user_id,
                    type=request.kind,
                    reason=request.reason,
                    moderator_id=request.moderator_id,
                    auto=request.moderator_id is None,
                    created_at=self.clock(),
                    duration=duration,
                    message_id=request.message_id,
                    channel_id=request.channel_id,
                    jump_url=request.jump_url,
                )
        except ConflictError as conflict:
            existing = conflict.existing
            if existing is None:
                raise
            if request.message_id is not None and existing.message_id == request.message_id:
                log.info(
                    "message %s already has case #%s: nothing done again",
                    request.message_id,
                    existing.case_number,
                )
                return InfractionOutcome(case=existing, duplicate=True)
            if (
                request.moderator_id is None
                and request.message_id is not None
                and request.kind is CaseType.TIMEOUT
                and existing.type is CaseType.TIMEOUT
                and existing.active
            ):
                return await self._during_timeout(actions, request, existing)
            raise CaseStateError(
                existing.case_number, f"<@{request.user_id}> already has an active {existing.type.value}"
            ) from None
        text = excerpt(request.content) if request.content else ""

        # 2. DM
        dm_error: str | None = None
        notice = Notice(
            event="opened",
            guild_id=request.guild_id,
            guild_name=actions.guild_name,
            case=case,
            reason=request.reason,
            labels=request.labels,
            excerpt=text,
            timeout_minutes=request.timeout_minutes,
            appealable=case.type is not CaseType.NOTE,
        )
        try:
            await actions.dm(request.user_id, notice)
        except DMFailedError as error:
            dm_error = error.reason
            log.info("case #%s: could not DM %s: %s", case.case_number, request.user_id, dm_error)
        except Exception as error:
            dm_error = f"unexpected error ({type(error).__name__})"
            log.exception(
                "case #%s in guild %s: DM to %s failed", case.case_number, request.guild_id, request.user_id
            )
        try:
            case = await self.database.run(
                self.cases.mark_dm, request.guild_id, case.case_number, sent=dm_error is None, error=dm_error
            )
        except Exception:
            log.exception("case #%s in guild %s: DM outcome not stored", case.case_number, request.guild_id)

        # 3. act
        action_errors: list[str] = []
        if request.delete_message and request.message_id is not None and request.channel_id is not None:
            try:
                await actions.delete(request.channel_id, request.message_id)
            except ActionFailedError as error:
                action_errors.append(f"delete: {error.reason}")
            except Exception as error:
                action_errors.append(f"delete: unexpected error ({type(error).__name__})")
                log.exception(
                    "case #%s: deleting message %s in guild %s failed",
                    case.case_number,
                    request.message_id,
                    request.guild_id,
                )
        lasting_act = {CaseType.TIMEOUT: "timeout", CaseType.BAN: "ban"}.get(case.type)
        if lasting_act is not None:
            try:
                if case.type is CaseType.TIMEOUT:
                    await actions.timeout(request.user_id, request.timeout_minutes, request.reason)
                else:
                    await actions.ban(request.user_id, request.reason)
            except Exception as error:
                if isinstance(error, ActionFailedError):
                    action_errors.append(f"{lasting_act}: {error.reason}")
                else:
                    action_errors.append(f"{lasting_act}: unexpected error ({type(error).__name__})")
                    log.exception(
                        "case #%s: %s of %s in guild %s failed",
                        case.case_number,
                        lasting_act,
                        request.user_id,
                        request.guild_id,
                    )
                # It did not happen: the case is not in effect and must not block the next one.
                await self.database.run(self.cases.expire, request.guild_id, case.case_number)
                case = await self._get(request.guild_id, case.case_number)
        action_error = "; ".join(action_errors) or None

        # 4. modlog
        modlog_error = await self._modlog(
            actions,
            ModlogEntry(
                event="opened",
                case=case,
                actor_id=request.moderator_id,
                reason=request.reason,
                labels=request.labels,
                excerpt=text,
                timeout_minutes=request.timeout_minutes,
                action_error=action_error,
                scores=dict(request.scores),
                evidence=request.evidence if text else (),  # the member's words, like the excerpt
            ),
        )

        # 5. schedule the expiry
        if case.active and case.expires_at is not None:
            self.schedule_expiry(case)
        return InfractionOutcome(
            case=case, dm_error=dm_error, action_error=action_error, modlog_error=modlog_error
        )

    async def _recorded(self, request: InfractionRequest) -> Case | None:
        """The case recorded for ``request`` together with its decision's score, if any."""
        if request.case_number is None:
            return None
        return await self.database.run(self.cases.get, request.guild_id, request.case_number)

    async def _recorded_strike(
        self, actions: ModerationActions, request: InfractionRequest, strike: Case
    ) -> InfractionOutcome:
        """A timeout decision the record turned into a warning strike because the member's timeout was
        running (:class:`bot.storage.decisions.CaseDraft` ``during_timeout``): extend, DM, delete, log."""
        running = await self.database.run(self.cases.active_timeout, request.guild_id, request.user_id)
        if request.kind is CaseType.TIMEOUT and running is not None:
            return await self._during_timeout(actions, request, running)
        return await self.apply(actions, dataclasses.replace(request, kind=strike.type, timeout_minutes=None))

    # ------------------------------------------------------------------ pardon

    async def pardon(
        self, actions: ModerationActions, guild_id: int, case_number: int, *, moderator_id: int, reason: str
    ) -> Case:
        """Record the pardon, tell the member, lift a timeout, modlog, drop the expiry timer."""
        # 1. record
        try:
            case = await self.database.run(
                self.cases.pardon,
                guild_id,
                case_number,
                moderator_id=moderator_id,
                reason=reason,
                now=self.clock(),
            )
        except NotFoundError:
            raise CaseNotFoundError(case_number) from None
        except StateError:
            raise CaseStateError(case_number, "it was already pardoned") from None
        # 2. DM
        try:
            await actions.dm(
                case.user_id,
                Notice(
                    event="pardoned",
                    guild_id=guild_id,
                    guild_name=actions.guild_name,
                    case=case,
                    reason=reason,
                    appealable=False,
                ),
            )
        except DMFailedError as error:
            log.info("case #%s pardon: could not DM %s: %s", case_number, case.user_id, error.reason)
        # 3. act
        action_error = None
        if case.type is CaseType.TIMEOUT and case.expires_at is not None and case.expires_at > self.clock():
            try:
                await actions.timeout(case.user_id, None, f"case #{case_number} pardoned: {reason}")
            except ActionFailedError as error:
                action_error = f"lift timeout: {error.reason}"
        # 4. modlog
        await self._modlog(
            actions,
            ModlogEntry(
                event="pardoned", case=case, actor_id=moderator_id, reason=reason, action_error=action_error
            ),
        )
        # 5. expiry: nothing left to expire
        self.scheduler.cancel((guild_id, case_number))
        return case

    # ------------------------------------------------------------------ expiry

    def schedule_expiry(self, case: Case) -> None:
        """Arm the timer that ends ``case`` at its ``expires_at``."""
        assert case.expires_at is not None
        self.scheduler.schedule(
            (case.guild_id, case.case_number),
            case.expires_at,
            lambda: self.expire(case.guild_id, case.case_number),
        )

    async def expire(self, guild_id: int, case_number: int) -> bool:
        """End an active case whose time ran out and say so in the modlog; False when it had ended.

        The line is recorded as owed in the transaction that ends the case and settled once posted,
        so a process stopped in between posts it on its next start (:meth:`post_owed_modlog`)."""
        changed = await self.database.run(self.cases.expire, guild_id, case_number, owe_modlog=EXPIRED)
        if not changed:
            return False
        await self._post_owed(guild_id, case_number, EXPIRED)
        return True

    async def post_owed_modlog(self, owed: Sequence[OwedModlog] | None = None) -> int:
        """Post the modlog lines a stopped process owed (``owed``: as read before this process armed
        any timer; default: read now), in the servers this process owns and can reach; returns how
        many were posted. A line for a server out of reach stays owed."""
        if owed is None:
            owed = await self.database.run(self.cases.owed_modlog)
        posted = 0
        for line in owed:
            if not self.owns_guild(line.guild_id):
                continue
            try:
                if await self._post_owed(line.guild_id, line.case_number, line.event):
                    posted += 1
            except Exception:  # one line that cannot be posted must not keep the others owed
                log.exception(
                    "case #%s in guild %s: owed modlog line not posted", line.case_number, line.guild_id
                )
        if posted:
            log.info("posted %d modlog line(s) a stopped process owed", posted)
        return posted

    async def _post_owed(self, guild_id: int, case_number: int, event: str) -> bool:
        """Post an owed line and settle it; False (still owed) while the server is out of reach."""
        actions = self.actions_for(guild_id)
        if actions is None:
            return False
        case = await self._get(guild_id, case_number)
        await self._modlog(actions, ModlogEntry(event=event, case=case, actor_id=None))
        await self.database.run(self.cases.modlog_posted, guild_id, case_number, event)
        return True

    async def reschedule(self) -> int:
        """On start: re-arm the timer of every active case with an expiry (past ones run at once) in the
        servers this process owns (:attr:`owns_guild`), and post the modlog lines a stopped process
        owed; returns how many timers were armed."""
        owed = await self.database.run(self.cases.owed_modlog)  # before any timer here owes one
        stored = await self.database.run(self.cases.active_expiring)
        pending = [case for case in stored if self.owns_guild(case.guild_id)]
        for case in pending:
            self.schedule_expiry(case)
        if pending:
            log.info(
                "rescheduled %d case expiries",
                len(pending),
                extra={"other_shards": len(stored) - len(pending)},  # those of servers on other shards
            )
        await self.post_owed_modlog(owed)
        return len(pending)

    # ------------------------------------------------------------------ appeals

    async def file_appeal(
        self, queue: QueueStore, guild_id: int, case_number: int, *, user_id: int, text: str
    ) -> tuple[QueueEntry, Case]:
        """Store a member's appeal of their case in the mod queue (``source="appeal"``, linked to it).

        Refused (a :class:`~bot.errors.WardenError`) when the case is not theirs, was pardoned, or was
        appealed before: one appeal per case, whether it is still waiting or was decided (the check and
        the insert are one transaction, :meth:`QueueRepository.add`).
        """
        case = await self._get(guild_id, case_number)
        if case.user_id != user_id:
            raise InvalidTargetError(user_id, "This case is not yours to appeal.")
        if case.pardoned:
            raise CaseStateError(case_number, "it was already pardoned")
        entry, created = await self.database.run(
            queue.add,
            guild_id=guild_id,
            source=QueueSource.APPEAL,
            message_id=case.message_id,
            channel_id=case.channel_id,
            author_id=user_id,
            jump_url=case.jump_url,
            excerpt=excerpt(text, APPEAL_CHARS),
            reason=f"Appeal of case #{case_number} ({case.type.value})",
            case_id=case.id,
            now=self.clock(),
        )
        if not created:
            raise appeal_refused(case_number, entry)
        log.info("case #%s of guild %s appealed (queue entry %s)", case_number, guild_id, entry.id)
        return entry, case

    # ------------------------------------------------------------------ reading

    async def get_case(self, guild_id: int, case_number: int) -> Case:
        """Case ``case_number`` of ``guild_id`` or :class:`CaseNotFoundError`."""
        return await self._get(guild_id, case_number)

    async def cases_of(self, guild_id: int, user_id: int, *, limit: int | None = 25) -> list[Case]:
        """The member's cases, newest first."""
        return await self.database.run(self.cases.list_for_user, guild_id, user_id, limit=limit)

    async def _get(self, guild_id: int, case_number: int) -> Case:
        case = await self.database.run(self.cases.get, guild_id, case_number)
        if case is None:
            raise CaseNotFoundError(case_number)
        return case

    async def _modlog(self, actions: ModerationActions, entry: ModlogEntry) -> str | None:
        try:
            await actions.post_modlog(entry)
        except ActionFailedError as error:
            log.warning("case #%s: modlog post failed: %s", entry.case.case_number, error.reason)
            return error.reason
        except Exception as error:
            log.exception(
                "case #%s in guild %s: modlog post failed", entry.case.case_number, entry.case.guild_id
            )
            return f"unexpected error ({type(error).__name__})"
        return None


def appeal_refused(case_number: int, earlier: QueueEntry) -> CaseStateError:
    """The polite refusal of a second appeal of a case (``earlier``: its first appeal entry)."""
    if earlier.status is QueueStatus.RESOLVED:
        return CaseStateError(
            case_number,
            "you already appealed this case and the moderators decided it; a case can be appealed only once",
        )
    return CaseStateError(case_number, "your appeal is already waiting for the moderators")


async def list_cases(services: Any, guild_id: int, user_id: int | None = None) -> Sequence[Case]:
    """Every case of ``guild_id`` (of ``user_id``), oldest first (for tests and exports)."""

    def read() -> list[Case]:
        repo: CaseRepository = services.cases
        where = "WHERE guild_id = ?" + (" AND user_id = ?" if user_id is not None else "")
        params: list[object] = [guild_id] if user_id is None else [guild_id, user_id]
        return repo._many(where + " ORDER BY case_number", params)

    return await services.database.run(read)
