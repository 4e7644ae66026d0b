"""What a scoring decision records with its score: the automatic case and the mod queue entry.

The scoring cog stores a message's score, its automatic case (``warn``/``delete``/``timeout``) and its
queue entry (``queue``, and ``delete``/``timeout`` for review) in one transaction
(:class:`bot.storage.decisions.DecisionRepository`), then dispatches the decision with the ids of what
it opened; the warnings cog DMs, acts and logs that case, the mod queue cog posts that entry. The
drafts are built here from the :class:`~bot.events.DecisionEvent` the listeners receive, with the same
rules they apply (never in dry-run; one case type per action), so both sides agree on what was opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.events import DecisionEvent
from bot.moderation.text import excerpt
from bot.policy.decision import Action
from bot.storage.cases import CaseType
from bot.storage.decisions import CaseDraft, QueueDraft

DECISION_CASES: dict[Action, CaseType] = {
    Action.WARN: CaseType.WARN,
    Action.DELETE: CaseType.DELETE,
    Action.TIMEOUT: CaseType.TIMEOUT,
}
"""Policy actions that open an automatic case (``queue`` opens only a queue entry)."""

QUEUED_ACTIONS = frozenset({"queue", "delete", "timeout"})
"""Decisions that put the message in the queue: ``queue``, and ``delete``/``timeout`` for review."""

STORED_EXCERPT_CHARS = 500
"""How much of a queued message's text the entry keeps (raw; escaped when rendered)."""


def _dry_run(event: DecisionEvent) -> bool:
    return bool(event.dry_run or event.decision.get("dry_run"))


def _labels(decision: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(label) for label in decision.get("labels") or ())


def automatic_reason(decision: Mapping[str, Any]) -> str:
    """The reason of an automatic case: the fired labels, and the escalation rung when one matched
    (``Automatic: flagged for insult (3rd warning in 24 h → timeout 10 min)``)."""
    labels = _labels(decision)
    reason = "Automatic: flagged for " + ", ".join(label.replace("_", " ") for label in labels)
    if not labels:
        reason = "Automatic"
    if decision.get("escalated_from"):
        # the engine's reason ends with the rung that matched: "3rd warning in 24 h → timeout 10 min"
        reason += f" ({str(decision.get('reason', '')).rsplit('; ', 1)[-1]})"
    return reason


def case_draft(event: DecisionEvent) -> CaseDraft | None:
    """The automatic case ``event`` opens, or ``None`` (no such action, dry-run, a timeout without a
    valid duration: the infraction service refuses that one itself)."""
    try:
        kind = DECISION_CASES.get(Action(event.action))
    except ValueError:
        return None
    if kind is None or _dry_run(event):
        return None
    duration = None
    if kind is CaseType.TIMEOUT:
        minutes = event.decision.get("timeout_minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
            return None
        duration = timedelta(minutes=minutes)
    return CaseDraft(
        type=kind,
        reason=automatic_reason(event.decision),
        duration=duration,
        jump_url=event.jump_url,
        # the ladder counts every strike: one met by the running timeout is a warning on its message
        during_timeout=CaseType.WARN if kind is CaseType.TIMEOUT else None,
    )


def queue_draft(event: DecisionEvent) -> QueueDraft | None:
    """The mod queue entry ``event`` opens (``queue``, ``delete``, ``timeout``; never in dry-run)."""
    if _dry_run(event) or event.action not in QUEUED_ACTIONS:
        return None
    reason = str(event.decision.get("reason") or "")
    if event.action != "queue":
        reason = f"automatic {event.action}: {reason}" if reason else f"automatic {event.action}"
    return QueueDraft(
        reason=reason,
        excerpt=excerpt(event.content, STORED_EXCERPT_CHARS),
        labels=_labels(event.decision),
        jump_url=event.jump_url,
    )
