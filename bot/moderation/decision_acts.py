"""Policy decisions carried out: ``warn``, ``delete`` and ``timeout`` become cases.

:func:`decision_request` turns a :class:`~bot.events.DecisionEvent` into the
:class:`~bot.moderation.infraction_types.InfractionRequest` it asks for (``queue`` belongs to the mod
queue; ``none`` and ``log`` open nothing; a dry-run decision never acts). :class:`DecisionActing` is the
part of :class:`~bot.moderation.infractions.InfractionService` that carries decisions out: the scoring
cog awaits :meth:`DecisionActing.apply_decision` in the author's turn (:mod:`bot.moderation.ordering`),
so the member's next message reads the case this one opened.

An automatic timeout that meets the member's running timeout (a burst sent before the first timeout
landed) is a strike, not an error (:meth:`DecisionActing._during_timeout`): it is recorded as a warning
on its message, which is removed as the timeout decision asked, and the running timeout is extended
when the rung reached asks for longer than what is left of it. The ladder counts every strike, and a
member is never under two timeouts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.events import DecisionEvent
from bot.explain.occlusion import evidence_from
from bot.moderation.infraction_types import (
    ActionFailedError,
    ActionsProvider,
    InfractionOutcome,
    InfractionRequest,
    ModerationActions,
)
from bot.policy.decision import Action
from bot.storage.cases import Case, CaseRepository, CaseType
from bot.storage.database import Database

log = logging.getLogger(__name__)

ACTED_DECISIONS: dict[Action, CaseType] = {
    Action.WARN: CaseType.WARN,
    Action.DELETE: CaseType.DELETE,
    Action.TIMEOUT: CaseType.TIMEOUT,
}
"""Policy actions that open a case (``queue`` belongs to the mod queue)."""


def label_words(labels: Iterable[str]) -> str:
    """``insult, severe toxicity``: label names in words."""
    return ", ".join(label.replace("_", " ") for label in labels)


def decision_reason(decision: Mapping[str, Any]) -> str:
    """The case reason of an automatic decision: the labels, and the ladder rung when it escalated."""
    labels = tuple(str(label) for label in decision.get("labels") or ())
    reason = f"Automatic: flagged for {label_words(labels)}" if labels else "Automatic"
    if decision.get("escalated_from"):
        # the engine's reason ends with the rung that matched: "3rd warning in 24 h → timeout 10 min"
        reason += f" ({str(decision.get('reason', '')).rsplit('; ', 1)[-1]})"
    return reason


def decision_request(event: DecisionEvent) -> InfractionRequest | None:
    """The case ``event``'s decision opens, or ``None`` (no case action, or dry-run)."""
    try:
        action = Action(event.action)
    except ValueError:
        return None
    kind = ACTED_DECISIONS.get(action)
    if kind is None or event.dry_run or event.decision.get("dry_run"):
        return None
    decision = event.decision
    labels = tuple(str(label) for label in decision.get("labels") or ())
    minutes = decision.get("timeout_minutes") if kind is CaseType.TIMEOUT else None
    return InfractionRequest(
        guild_id=event.guild_id,
        user_id=event.author_id,
        kind=kind,
        reason=decision_reason(decision),
        labels=labels,
        content=event.content,
        message_id=event.message_id,
        channel_id=event.channel_id,
        jump_url=event.jump_url,
        timeout_minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None,
        delete_message=action in (Action.DELETE, Action.TIMEOUT),
        scores={label: float(event.scores.get(label, 0.0)) for label in labels},
        case_number=event.case_number,
        evidence=evidence_from(event.evidence),
    )


class DecisionActing:
    """Carrying out policy decisions; mixed into :class:`~bot.moderation.infractions.InfractionService`."""

    database: Database
    cases: CaseRepository
    clock: Callable[[], datetime]
    actions_for: ActionsProvider
    acting_enabled: Callable[[int], Awaitable[bool]]

    async def apply(self, actions: ModerationActions, request: InfractionRequest) -> InfractionOutcome:
        raise NotImplementedError  # InfractionService.apply

    def schedule_expiry(self, case: Case) -> None:
        raise NotImplementedError  # InfractionService.schedule_expiry

    async def apply_decision(self, event: DecisionEvent) -> InfractionOutcome | None:
        """Carry out a decision's ``warn``/``delete``/``timeout``; ``None`` when it opens no case.

        Never raises: an error is logged with the message, member and server ids, and a decision that
        removes the message still removes it when its case could not be recorded."""
        request = decision_request(event)
        if request is None or not await self.acting_enabled(event.guild_id):
            return None
        actions = self.actions_for(event.guild_id)
        if actions is None:
            return None
        try:
            outcome = await self.apply(actions, request)
        except Exception:
            log.exception(
                "could not open the %s case of message %s by %s in guild %s",
                request.kind.value,
                event.message_id,
                event.author_id,
                event.guild_id,
            )
            await self._delete_anyway(actions, request)
            return None
        if outcome.duplicate:
            log.info(
                "message %s already has case #%s: the edit opens no second one",
                event.message_id,
                outcome.case.case_number,
            )
        else:
            log.info(
                "case #%s (%s) for message %s by %s in guild %s: dm_sent=%s%s",
                outcome.case.case_number,
                outcome.case.type.value,
                event.message_id,
                event.author_id,
                event.guild_id,
                outcome.dm_sent,
                f", not done: {outcome.action_error}" if outcome.action_error else "",
            )
        return outcome

    async def acts_in(self, guild_id: int) -> bool:
        """Whether policy decisions are acted on in ``guild_id`` (known server, feature switched on):
        only then is a decision's automatic case recorded with its score."""
        return self.actions_for(guild_id) is not None and await self.acting_enabled(guild_id)

    async def _delete_anyway(self, actions: ModerationActions, request: InfractionRequest) -> None:
        if not (request.delete_message and request.message_id and request.channel_id):
            return
        try:
            await actions.delete(request.channel_id, request.message_id)
        except Exception:
            log.warning(
                "message %s in guild %s: not deleted either",
                request.message_id,
                request.guild_id,
                exc_info=True,
            )

    async def _during_timeout(
        self, actions: ModerationActions, request: InfractionRequest, running: Case
    ) -> InfractionOutcome:
        """An automatic timeout decision while the member's timeout ``running`` is in effect.

        The ladder counts every strike, so this one is recorded, as a warning on its message (removed,
        as a timeout decision removes it), and the next message sees it. ``running`` is extended when
        this rung asks for longer than what is left of it (the 5th strike's 60 minutes over the 3rd's
        10); it is never shortened, and no second timeout is opened. The extension is made on Discord
        first and then recorded (a refused one changes nothing and is reported as not done)."""
        minutes = request.timeout_minutes or 0
        until = self.clock() + timedelta(minutes=minutes)
        note = f"already timed out (case #{running.case_number})"
        extension_error: str | None = None
        if running.expires_at is not None and until > running.expires_at:
            try:
                await actions.timeout(
                    request.user_id, minutes, f"case #{running.case_number} extended: {request.reason}"
                )
            except ActionFailedError as error:
                extension_error = f"extend timeout: {error.reason}"
            except Exception as error:
                extension_error = f"extend timeout: unexpected error ({type(error).__name__})"
                log.exception("extending case #%s in guild %s failed", running.case_number, request.guild_id)
            else:
                running = await self.database.run(
                    self.cases.extend, request.guild_id, running.case_number, until
                )
                self.schedule_expiry(running)
                note += f", extended to {minutes} min from now"
                log.info(
                    "case #%s of %s in guild %s extended to %s min by message %s",
                    running.case_number,
                    request.user_id,
                    request.guild_id,
                    minutes,
                    request.message_id,
                )
        strike = dataclasses.replace(
            request, kind=CaseType.WARN, timeout_minutes=None, reason=f"{request.reason}; {note}"
        )
        outcome = await self.apply(actions, strike)
        if extension_error is not None:
            errors = "; ".join(filter(None, (outcome.action_error, extension_error)))
            outcome = dataclasses.replace(outcome, action_error=errors)
        return outcome
