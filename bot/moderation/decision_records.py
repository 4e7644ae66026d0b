"""What a scoring decision records with its score: the automatic case and the mod queue entry.

The scoring cog stores a message's score, its automatic case (``warn``/``delete``/``timeout``) and its
queue entry (``queue``, and ``delete``/``timeout`` for review) in one transaction
(:class:`bot.storage.decisions.DecisionRepository`); the event then carries the ids of what it opened:
:meth:`bot.moderation.decision_acts.DecisionActing.apply_decision` DMs, acts on and logs that case,
the mod queue cog posts that entry. The drafts are built here from that same
:class:`~bot.events.DecisionEvent`, with the rules the acting side applies (never in dry-run; the case
type of :data:`~bot.moderation.decision_acts.ACTED_DECISIONS`, the reason of
:func:`~bot.moderation.decision_acts.decision_reason`), so both sides agree on what was opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.events import DecisionEvent
from bot.explain.occlusion import evidence_from
from bot.moderation.decision_acts import ACTED_DECISIONS, decision_reason
from bot.moderation.text import excerpt
from bot.policy.decision import Action
from bot.storage.cases import CaseType
from bot.storage.decisions import CaseDraft, QueueDraft

QUEUED_ACTIONS = frozenset({"queue", "delete", "timeout"})
"""Decisions that put the message in the queue: ``queue``, and ``delete``/``timeout`` for review."""

STORED_EXCERPT_CHARS = 500
"""How much of a queued message's text the entry keeps (raw; escaped when rendered)."""


def _dry_run(event: DecisionEvent) -> bool:
    return bool(event.dry_run or event.decision.get("dry_run"))


def _labels(decision: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(label) for label in decision.get("labels") or ())


def case_draft(event: DecisionEvent) -> CaseDraft | None:
    """The automatic case ``event`` opens, or ``None`` (no such action, dry-run, a timeout without a
    valid duration: the infraction service refuses that one itself)."""
    try:
        kind = ACTED_DECISIONS.get(Action(event.action))
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
        reason=decision_reason(event.decision),
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
        evidence=evidence_from(event.evidence),
    )
