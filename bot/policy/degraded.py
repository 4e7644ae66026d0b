"""Decisions on the lexical tier alone, for when the full model cannot answer in time.

In a burst the bot's scorer front refuses work it could not finish within about 2 s, and the embedded
model's lexical tier answers at once instead (:mod:`bot.scoring.front`). Its scores are calibrated like
the full model's, but it reads words, not meaning, so its decision is **degraded**: the same policy
engine decides, with every label's threshold (the server's and each channel override's) raised by
:data:`DEGRADED_MARGIN`, capped at 1. Bands, label actions, ``log_below``, the unaddressed-insult cap,
dry-run and the escalation ladder apply as usual. With the default policy a degraded decision warns
an insult only at 0.85 (not 0.70), queues a threat at 0.49 (not 0.34) and an identity attack at 0.75.

The full model scores every degraded message again once the front has room, through the same path as
an edit: the score row is updated in place and a message never gets a second automatic case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime

from bot.policy.decision import Decision
from bot.policy.engine import AuthorHistory, evaluate
from bot.policy.settings import ChannelOverride, PolicySettings
from bot.scoring.base import LABELS, Scores

DEGRADED_MARGIN = 0.15
"""How much higher every threshold is for a decision on the lexical tier's scores alone."""


def _raised(value: float, margin: float) -> float:
    return min(1.0, value + margin)


def degraded_settings(settings: PolicySettings, margin: float = DEGRADED_MARGIN) -> PolicySettings:
    """``settings`` with every threshold (server and channel overrides) raised by ``margin``, capped at 1."""
    if not 0 <= margin < 1:
        raise ValueError(f"margin must be in [0, 1) (got {margin})")
    thresholds = settings.thresholds.model_copy(
        update={label: _raised(settings.thresholds[label], margin) for label in LABELS}
    )
    channels: dict[int, ChannelOverride] = {}
    for channel_id, override in settings.channels.items():
        partial = {
            label: _raised(value, margin)
            for label in LABELS
            if (value := override.thresholds.get(label)) is not None
        }
        channels[channel_id] = override.model_copy(
            update={"thresholds": override.thresholds.model_copy(update=partial)}
        )
    return settings.model_copy(update={"thresholds": thresholds, "channels": channels})


def evaluate_degraded(
    scores: Scores,
    settings: PolicySettings,
    *,
    history: AuthorHistory | None = None,
    channel_id: int | None = None,
    author_role_ids: Collection[int] = (),
    now: datetime | None = None,
    addressed: bool | None = None,
    margin: float = DEGRADED_MARGIN,
) -> Decision:
    """:func:`~bot.policy.engine.evaluate` at the stricter thresholds; the decision is marked
    ``degraded`` and its reason says so."""
    decision = evaluate(
        scores,
        degraded_settings(settings, margin),
        history=history,
        channel_id=channel_id,
        author_role_ids=author_role_ids,
        now=now,
        addressed=addressed,
    )
    reason = f"degraded (lexical tier only, thresholds +{margin:.2f}): {decision.reason}"
    return dataclasses.replace(decision, degraded=True, reason=reason)
