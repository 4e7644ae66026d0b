"""Learning where a server draws its line: the threshold per label that best matches its moderators.

Every resolved queue entry is a verdict on the labels that fired (``feedback``): **Approve** says the
message was fine (a false positive), Delete/Warn/Timeout/Ban confirm it. For a label with at least
:data:`MIN_DECISIONS` verdicts, each threshold ``t`` would have kept the approved messages scoring
``>= t`` (false positives) and let through the confirmed ones scoring ``< t`` (misses); the suggestion
is the ``t`` with the fewest of both together (ties: the one nearest the current threshold, then the
lower one), with the counts behind it. Nothing changes by itself: an admin applies a suggestion.

What the queue cannot show: messages that never fired. A suggestion lowers a threshold only as far as
the verdicts reach (messages once scored under a lower threshold, or reported).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.policy.settings import Thresholds
from bot.scoring.base import LABELS

MIN_DECISIONS = 20
"""Verdicts a label needs before a threshold is suggested for it."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """One moderator verdict on a label that fired: the label's score and whether it was confirmed."""

    score: float
    confirmed: bool


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the verdicts on ``label`` say about its threshold.

    ``threshold`` is the suggested value, ``None`` when there are fewer than ``needed`` verdicts or the
    current threshold already matches them best; ``fewer_false_positives`` and ``more_misses`` compare
    the suggestion with the ``current`` threshold over the same verdicts (either can be negative).
    """

    label: str
    current: float
    confirmed: int
    approved: int
    needed: int = MIN_DECISIONS
    threshold: float | None = None
    fewer_false_positives: int = 0
    more_misses: int = 0

    @property
    def decisions(self) -> int:
        """Verdicts on this label."""
        return self.confirmed + self.approved

    @property
    def enough(self) -> bool:
        """Whether there are enough verdicts to suggest anything."""
        return self.decisions >= self.needed

    def text(self, name: str | None = None) -> str:
        """One line: ``insult: 41 confirmed, 9 approved; at 0.78 (now 0.46), 7 fewer false positives
        and 1 more miss`` (``name``: how to show the label, default its plain name)."""
        name = name or self.label
        if not self.enough:
            return f"{name}: not enough decisions yet ({self.decisions} of {self.needed})"
        counts = f"{name}: {self.confirmed} confirmed, {self.approved} approved"
        if self.threshold is None:
            return f"{counts}; the current threshold {self.current:.2f} already matches them best"
        return (
            f"{counts}; at {self.threshold:.2f} (now {self.current:.2f}), "
            f"{_count(self.fewer_false_positives, 'fewer false positive', 'more false positive')} and "
            f"{_count(self.more_misses, 'more miss', 'fewer miss', plural='es')}"
        )


def _count(n: int, positive: str, negative: str, *, plural: str = "s") -> str:
    word = positive if n >= 0 else negative
    return f"{abs(n)} {word}{'' if abs(n) == 1 else plural}"


def _errors(verdicts: Iterable[Verdict], threshold: float) -> tuple[int, int]:
    """(false positives kept, misses) at ``threshold``."""
    kept = missed = 0
    for verdict in verdicts:
        fires = verdict.score >= threshold
        kept += fires and not verdict.confirmed
        missed += not fires and verdict.confirmed
    return kept, missed


def _candidates(verdicts: Iterable[Verdict], current: float) -> list[float]:
    """Thresholds in 0.01 steps that split the verdicts differently: just below and just above each
    score (a score of 0.784 fires at 0.78, not at 0.79), plus the current one, within (0, 1]."""
    found = {current}
    for verdict in verdicts:
        below = math.floor(verdict.score * 100) / 100
        for value in (below, below + 0.01):
            if 0 < value <= 1:
                found.add(round(value, 2))
    return sorted(found)


def suggest(
    label: str, verdicts: list[Verdict], current: float, *, needed: int = MIN_DECISIONS
) -> Suggestion:
    """The suggestion for one label from its verdicts."""
    confirmed = sum(verdict.confirmed for verdict in verdicts)
    base = Suggestion(label, current, confirmed, len(verdicts) - confirmed, needed)
    if not base.enough:
        return base
    now_kept, now_missed = _errors(verdicts, current)
    best = min(
        _candidates(verdicts, current),
        key=lambda t: (sum(_errors(verdicts, t)), abs(t - current), t),
    )
    kept, missed = _errors(verdicts, best)
    if kept + missed >= now_kept + now_missed:
        return base
    return Suggestion(
        label,
        current,
        confirmed,
        len(verdicts) - confirmed,
        needed,
        threshold=best,
        fewer_false_positives=now_kept - kept,
        more_misses=missed - now_missed,
    )


def verdicts_by_label(feedback: Iterable[Mapping[str, object]]) -> dict[str, list[Verdict]]:
    """The verdicts per fired label from ``feedback`` rows (``labels``, ``scores``, ``verdict``)."""
    out: dict[str, list[Verdict]] = {label: [] for label in LABELS}
    for row in feedback:
        labels, scores = row.get("labels") or [], row.get("scores") or {}
        if not isinstance(labels, list) or not isinstance(scores, Mapping):
            continue
        confirmed = row.get("verdict") == "true_positive"
        for label in labels:
            score = scores.get(label)
            if label in out and isinstance(score, int | float) and not isinstance(score, bool):
                out[label].append(Verdict(float(score), confirmed))
    return out


def suggest_all(
    feedback: Iterable[Mapping[str, object]],
    thresholds: Mapping[str, float] | Thresholds,
    *,
    needed: int = MIN_DECISIONS,
) -> list[Suggestion]:
    """One suggestion per label, in detoxify's order."""
    grouped = verdicts_by_label(feedback)
    return [suggest(label, grouped[label], float(thresholds[label]), needed=needed) for label in LABELS]
