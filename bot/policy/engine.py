"""The policy engine: scores + settings (+ the author's history) -> one :class:`Decision`.

Order of the checks, first match wins:

1. ``exempt_channels`` -> ``none`` "exempt channel"
2. ``watched_channels`` non-empty and the channel not in it -> ``none`` "channel not watched"
3. the channel's override has ``off = true`` -> ``none`` "channel off"
4. the author holds an ``exempt_roles`` role -> ``none`` "exempt role"
5. every label whose score is >= its threshold fires (the channel's threshold when it sets one). Each
   fired label falls in the highest band whose ``min`` is <= its score (the lowest band when its score
   is below every band). Its action is, most specific first: the channel's ``label_actions``, the
   server's ``label_actions``, the channel's ``actions`` (per band), the band's action; then a score
   below the label's ``log_below`` caps the action at ``log``; an ``insult`` in a message that
   addresses nobody in the conversation (``addressed=False``) is capped at ``unaddressed_insults``.
   The message's action is the strongest
   of its fired labels (ties: the higher score, then detoxify's label order).
6. a ``warn`` is escalated by the ladder: the author's warnings and timeouts within a rung's
   ``within_hours`` (older ones decay and stop counting), plus this one, reaching the rung's
   ``warnings`` raise it to the rung's action; the strongest matching rung wins.

``dry_run`` (the server's, or the channel's when it sets one) is carried on the decision; the action
is what *would* happen.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.policy.decision import Action, Decision
from bot.policy.settings import ChannelOverride, EscalationRung, PolicySettings
from bot.scoring.base import LABELS, Scores

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive datetimes are taken to be UTC).

    A moment whose UTC equivalent falls outside the calendar (year 1 at +01:00) is clamped to its end.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return EARLIEST if moment.year == datetime.min.year else LATEST


def window_start(now: datetime, hours: float) -> datetime:
    """``hours`` before ``now``, clamped to the first moment of the calendar instead of overflowing."""
    try:
        return now - timedelta(hours=hours)
    except OverflowError:
        return EARLIEST


@dataclass(frozen=True, slots=True)
class AuthorHistory:
    """The author's recent infractions in this server (active ones: pardoned cases are left out)."""

    warnings: Sequence[datetime] = field(default=())
    timeouts: Sequence[datetime] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "warnings", tuple(sorted(as_utc(moment) for moment in self.warnings)))
        object.__setattr__(self, "timeouts", tuple(sorted(as_utc(moment) for moment in self.timeouts)))

    def strikes_since(self, since: datetime) -> int:
        """Warnings plus timeouts at or after ``since`` (a timeout counts as a graver warning)."""
        since = as_utc(since)
        return sum(1 for moment in (*self.warnings, *self.timeouts) if moment >= since)


@dataclass(frozen=True, slots=True)
class _Fired:
    label: str
    score: float
    threshold: float
    band: str
    action: Action
    capped_by: float | None  # the log_below that capped the action, if it did
    unaddressed: bool = False  # capped because the insult addresses nobody in the conversation


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _label_action(
    label: str, band: str, settings: PolicySettings, override: ChannelOverride | None, default: Action
) -> Action:
    if override is not None and band in override.label_actions.get(label, {}):
        return override.label_actions[label][band]
    if band in settings.label_actions.get(label, {}):
        return settings.label_actions[label][band]
    if override is not None and band in override.actions:
        return override.actions[band]
    return default


def _threshold(label: str, settings: PolicySettings, override: ChannelOverride | None) -> float:
    return (override.thresholds.get(label) if override else None) or settings.thresholds[label]


def _fired_labels(
    scores: Scores, settings: PolicySettings, override: ChannelOverride | None, addressed: bool | None
) -> list[_Fired]:
    fired: list[_Fired] = []
    for label in LABELS:
        score = scores[label]
        threshold = _threshold(label, settings, override)
        if score < threshold:
            continue
        band = settings.band_for(score)
        action = _label_action(label, band.name, settings, override, band.action)
        log_below = override.log_below.get(label) if override else None
        if log_below is None:
            log_below = settings.log_below.get(label)
        capped_by = None
        if log_below is not None and score < log_below and action.rank > Action.LOG.rank:
            action, capped_by = Action.LOG, log_below
        unaddressed = False
        cap = settings.unaddressed_insults
        if label == "insult" and addressed is False and action.rank > cap.rank:
            action, unaddressed = cap, True
        fired.append(_Fired(label, score, threshold, band.name, action, capped_by, unaddressed))
    fired.sort(key=lambda item: (-item.score, LABELS.index(item.label)))
    return fired


def _describe(item: _Fired) -> str:
    text = f"{item.label} {item.score:.2f} ≥ {item.threshold:.2f} (band: {item.band} → "
    if item.capped_by is not None:
        return text + f"log, below log_below {item.capped_by:.2f})"
    if item.unaddressed:
        return text + f"{item.action.value}: addresses nobody in the conversation)"
    return text + f"{item.action.value})"


def _miss_reason(scores: Scores, settings: PolicySettings, override: ChannelOverride | None) -> str:
    label, score = scores.max()
    threshold = _threshold(label, settings, override)
    return f"no label reached its threshold (highest: {label} {score:.2f} < {threshold:.2f})"


def _escalate(
    ladder: Iterable[EscalationRung], history: AuthorHistory, now: datetime
) -> tuple[EscalationRung, int] | None:
    """The strongest rung this warning reaches, with the strike count inside its window."""
    reached = []
    for rung in ladder:
        count = history.strikes_since(window_start(now, rung.within_hours)) + 1
        if count >= rung.warnings:
            reached.append((rung, count))
    return max(reached, key=lambda pair: (pair[0].action.rank, pair[0].minutes or 0), default=None)


def evaluate(
    scores: Scores,
    settings: PolicySettings,
    *,
    history: AuthorHistory | None = None,
    channel_id: int | None = None,
    author_role_ids: Collection[int] = (),
    now: datetime | None = None,
    addressed: bool | None = None,
) -> Decision:
    """Decide what to do about one message (see the module docstring for the order of the checks).

    ``channel_id=None`` (offline replay) skips the channel checks; ``history=None`` is an author with
    no recent infractions; ``now`` defaults to the current UTC time; ``addressed`` says whether the
    message speaks to someone in the conversation (second person, a mention, a reply: see
    :mod:`bot.pipeline.address`), ``None`` when unknown (no cap applies).
    """
    override = settings.channel(channel_id)
    dry_run = override.dry_run if override is not None and override.dry_run is not None else settings.dry_run
    if channel_id is not None:
        if channel_id in settings.exempt_channels:
            return Decision(Action.NONE, reason="exempt channel", dry_run=dry_run)
        if settings.watched_channels and channel_id not in settings.watched_channels:
            return Decision(Action.NONE, reason="channel not watched", dry_run=dry_run)
        if override is not None and override.off:
            return Decision(Action.NONE, reason="channel off", dry_run=dry_run)
    if settings.exempt_roles and any(role in settings.exempt_roles for role in author_role_ids):
        return Decision(Action.NONE, reason="exempt role", dry_run=dry_run)

    fired = _fired_labels(scores, settings, override, addressed)
    if not fired:
        return Decision(Action.NONE, reason=_miss_reason(scores, settings, override), dry_run=dry_run)

    deciding = max(fired, key=lambda item: item.action.rank)  # first of the max: fired is score-sorted
    action = deciding.action
    reason = "; ".join(_describe(item) for item in fired)
    timeout_minutes = settings.timeout_minutes if action is Action.TIMEOUT else None
    escalated_from: Action | None = None
    escalation = ""

    if action is Action.WARN and settings.escalation:
        reached = _escalate(settings.escalation, history or AuthorHistory(), as_utc(now or datetime.now(UTC)))
        if reached is not None:
            rung, count = reached
            escalated_from, action = action, rung.action
            timeout_minutes = rung.minutes if action is Action.TIMEOUT else None
            result = f"timeout {rung.minutes} min" if action is Action.TIMEOUT else action.value
            escalation = f"{ordinal(count)} warning in {rung.within_hours:g} h → {result}"
            reason += f"; {escalation}"

    return Decision(
        action=action,
        labels=tuple(item.label for item in fired),
        reason=reason,
        evidence={item.label: item.score for item in fired},
        band=deciding.band,
        dry_run=dry_run,
        escalated_from=escalated_from,
        timeout_minutes=timeout_minutes,
        escalation=escalation,
        unaddressed_insult=any(item.unaddressed for item in fired),
    )
