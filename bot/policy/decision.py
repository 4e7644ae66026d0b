"""What the policy decides for one message. Plain data, no discord.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """Actions in increasing order of severity.

    ``none``: nothing; ``log``: record only; ``warn``: warn the author (counts toward escalation);
    ``queue``: send to the moderators' queue; ``delete``: delete the message and queue it for review;
    ``timeout``: time the author out (``Decision.timeout_minutes``), also queued for review.
    """

    NONE = "none"
    LOG = "log"
    WARN = "warn"
    QUEUE = "queue"
    DELETE = "delete"
    TIMEOUT = "timeout"

    @property
    def rank(self) -> int:
        """Position in the severity order (none=0 ... timeout=5)."""
        return list(Action).index(self)


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's verdict on one message.

    ``action`` is what should happen; with ``dry_run`` set, cogs record and log it but do not act.
    ``labels`` are the labels whose score crossed their threshold, ``evidence`` the scores behind them,
    ``band`` the severity band that matched (``""`` when nothing fired), ``escalated_from`` the action
    the band asked for before the escalation ladder raised it (``escalation`` says why, e.g. "3rd
    warning in 24 h → timeout 10 min"), ``timeout_minutes`` the duration for a timeout, and
    ``unaddressed_insult`` whether an insult's action was capped because it addresses nobody in the
    conversation. ``degraded``: decided on the lexical tier's scores alone, at stricter thresholds,
    because the full model could not answer in time (:mod:`bot.policy.degraded`); the full model scores
    the message again later.
    """

    action: Action
    labels: tuple[str, ...] = ()
    reason: str = ""
    evidence: dict[str, float] = field(default_factory=dict)
    band: str = ""
    dry_run: bool = False
    escalated_from: Action | None = None
    timeout_minutes: int | None = None
    escalation: str = ""
    unaddressed_insult: bool = False
    degraded: bool = False

    @property
    def acts(self) -> bool:
        """True when the bot should do anything visible (warn or stronger) and is not in dry-run."""
        return self.action.rank >= Action.WARN.rank and not self.dry_run

    def to_payload(self) -> dict[str, object]:
        """A stable JSON-able form (the payload of the documented decision event)."""
        return {
            "action": self.action.value,
            "labels": list(self.labels),
            "reason": self.reason,
            "evidence": dict(self.evidence),
            "band": self.band,
            "dry_run": self.dry_run,
            "escalated_from": self.escalated_from.value if self.escalated_from else None,
            "timeout_minutes": self.timeout_minutes,
            "escalation": self.escalation,
            "unaddressed_insult": self.unaddressed_insult,
            "degraded": self.degraded,
        }
