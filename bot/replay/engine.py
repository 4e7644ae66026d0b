"""Run a thread through preparation, scoring and policy, with escalation per author, off Discord."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.pipeline import prepare
from bot.policy import AuthorHistory, PolicySettings, evaluate
from bot.policy.decision import Action, Decision
from bot.replay.reader import LineError, ThreadMessage
from bot.scoring.base import ScorerBackend, Scores
from bot.scoring.service import ScoringService

REPLAY_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Messages without a timestamp are placed one minute apart from here, so time windows mean something."""

SCORE_SLICE = 256
"""Messages scored per backend call; also the progress granularity."""


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """One replayed message: what it scored and what the policy decided."""

    line: int
    author: str | None
    channel: str | None
    content: str
    scores: Scores
    decision: Decision


@dataclass(slots=True)
class ReplayResult:
    """Everything the replay found, plus the figures for its summary."""

    rows: list[ReplayRow]
    errors: list[LineError]
    backend: str
    model_version: str
    elapsed_s: float
    action_counts: Counter[str] = field(default_factory=Counter)

    @property
    def messages_per_second(self) -> float:
        """Replay throughput over preparation, scoring and policy."""
        return len(self.rows) / self.elapsed_s if self.elapsed_s > 0 else 0.0


def channel_id(channel: str | None) -> int | None:
    """A JSONL ``channel`` given as a Discord channel id, so the policy's channel settings apply;
    a channel name (or none) skips the channel checks, as for a thread with no channels."""
    return int(channel) if channel is not None and channel.isdigit() else None


class ReplayEngine:
    """Replays messages in order; scoring is batched, the policy sees each author's warnings so far."""

    def __init__(self, backend: ScorerBackend, policy: PolicySettings) -> None:
        self.backend = backend
        self.policy = policy
        self.service = ScoringService(backend)

    def run(
        self,
        messages: Sequence[ThreadMessage],
        errors: Sequence[LineError] = (),
        progress: Callable[[int], None] | None = None,
    ) -> ReplayResult:
        """Score and decide every message; ``progress`` is called with the number just scored."""
        started = time.perf_counter()
        scores: list[Scores] = []
        addressed: list[bool] = []
        for start in range(0, len(messages), SCORE_SLICE):
            batch = messages[start : start + SCORE_SLICE]
            prepared = [prepare(message.content) for message in batch]
            addressed.extend(item.addressed for item in prepared)
            scores.extend(scored.scores for scored in self.service.score_many(prepared))
            if progress is not None:
                progress(len(batch))

        warnings_by_author: dict[str, list[datetime]] = defaultdict(list)
        rows: list[ReplayRow] = []
        for index, (message, message_scores, speaks_to_someone) in enumerate(
            zip(messages, scores, addressed, strict=True)
        ):
            now = message.timestamp or REPLAY_EPOCH + timedelta(minutes=index)
            if now.tzinfo is None:
                now = now.replace(tzinfo=UTC)
            # A plain-text thread has no authors: each line is its own author, so nothing escalates.
            author_key = message.author if message.author is not None else f"line-{message.line}"
            history = AuthorHistory(warnings=list(warnings_by_author[author_key]))
            decision = evaluate(
                message_scores,
                self.policy,
                history=history,
                now=now,
                addressed=speaks_to_someone,
                channel_id=channel_id(message.channel),
            )
            if decision.action in (Action.WARN, Action.TIMEOUT) and not decision.dry_run:
                warnings_by_author[author_key].append(now)
            rows.append(
                ReplayRow(
                    line=message.line,
                    author=message.author,
                    channel=message.channel,
                    content=message.content,
                    scores=message_scores,
                    decision=decision,
                )
            )
        elapsed = time.perf_counter() - started
        counts = Counter(row.decision.action.value for row in rows)
        return ReplayResult(
            rows=rows,
            errors=list(errors),
            backend=self.backend.name,
            model_version=self.backend.model_version,
            elapsed_s=elapsed,
            action_counts=counts,
        )
