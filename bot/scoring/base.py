"""The scorer contract shared by every backend: six detoxify labels, a list of texts in, scores out."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

LABELS: tuple[str, ...] = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
)
"""The six labels of the detoxify library, in its order."""


class ScoringError(RuntimeError):
    """A backend could not score (model missing, bad checkpoint, inference failure)."""


def _clamp(value: float, label: str) -> float:
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"score for {label!r} is NaN")
    return min(1.0, max(0.0, number))


@dataclass(frozen=True, slots=True)
class Scores:
    """Probabilities in [0, 1] for the six detoxify labels."""

    toxicity: float = 0.0
    severe_toxicity: float = 0.0
    obscene: float = 0.0
    threat: float = 0.0
    insult: float = 0.0
    identity_attack: float = 0.0

    def __post_init__(self) -> None:
        for label in LABELS:
            object.__setattr__(self, label, _clamp(getattr(self, label), label))

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Scores:
        """Build from a mapping; detoxify's alternative names are accepted, unknown keys ignored."""
        aliases = {"toxic": "toxicity", "severe_toxic": "severe_toxicity", "identity_hate": "identity_attack"}
        known = {aliases.get(key, key): float(value) for key, value in values.items()}
        return cls(**{label: known.get(label, 0.0) for label in LABELS})

    @classmethod
    def zeros(cls) -> Scores:
        """All labels at 0."""
        return cls()

    def as_dict(self) -> dict[str, float]:
        """The scores as ``{label: float}`` in label order."""
        return asdict(self)

    def __getitem__(self, label: str) -> float:
        if label not in LABELS:
            raise KeyError(label)
        return getattr(self, label)

    def max(self) -> tuple[str, float]:
        """The highest label and its score."""
        label = max(LABELS, key=lambda name: getattr(self, name))
        return label, getattr(self, label)

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The ``n`` highest labels, highest first."""
        ranked = sorted(LABELS, key=lambda name: getattr(self, name), reverse=True)
        return [(name, getattr(self, name)) for name in ranked[:n]]

    @staticmethod
    def elementwise_max(scores: Sequence[Scores]) -> Scores:
        """Per-label maximum over several scores (used to merge the chunks of a long message)."""
        if not scores:
            return Scores()
        return Scores(**{label: max(getattr(s, label) for s in scores) for label in LABELS})


@runtime_checkable
class ScorerBackend(Protocol):
    """What every backend offers. ``score`` is blocking: call it from a worker thread, never the loop."""

    name: str
    """Backend name as configured: ``embedded`` or ``detoxify``."""

    @property
    def model_version(self) -> str:
        """A stable identifier of the weights that scored (stored beside every score)."""
        ...

    def score(self, texts: Sequence[str]) -> list[Scores]:
        """Score a batch of already prepared texts; one ``Scores`` per text, in order."""
        ...
