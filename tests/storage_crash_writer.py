"""A process that records decisions in a loop until it is killed (``tests/test_storage_decisions_crash.py``).

Usage: ``python -m tests.storage_crash_writer DB_PATH SEED``. It writes every decision the way the
scoring cog does (:class:`bot.storage.decisions.DecisionRepository`), edits included, with a clock
that moves one minute per write so timeouts run out and are expired; it prints ``ready`` once the
database is open and a count every 25 writes.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta

from bot.events import DecisionEvent
from bot.moderation.decision_records import case_draft, queue_draft
from bot.policy.decision import Action, Decision
from bot.scoring.base import Scores
from bot.storage import CaseRepository, Database, QueueRepository, ScoreRepository
from bot.storage.decisions import DecisionRepository

ACTIONS = [Action.NONE, Action.LOG, Action.WARN, Action.QUEUE, Action.DELETE, Action.TIMEOUT]
GUILDS = (1, 2)
AUTHORS = (10, 11, 12)


def main(path: str, seed: int) -> None:
    """Write decisions forever (until killed)."""
    rng = random.Random(seed)
    database = Database(path)
    cases = CaseRepository(database)
    repo = DecisionRepository(database, ScoreRepository(database), cases, QueueRepository(database))
    start = database.db.execute("SELECT coalesce(max(message_id), 0) FROM message_scores").fetchone()[0]
    message_id = int(start) + 1000
    now = datetime(2026, 11, 25, tzinfo=UTC) + timedelta(minutes=message_id)
    print("ready", flush=True)
    written = 0
    while True:
        now += timedelta(minutes=1)
        edit = written > 0 and rng.random() < 0.2
        target = message_id - rng.randrange(1, 20) if edit else message_id + 1
        if not edit:
            message_id = target
        guild = GUILDS[target % len(GUILDS)]
        author = AUTHORS[target % len(AUTHORS)]
        action = rng.choice(ACTIONS)
        decision = Decision(
            action=action,
            labels=("insult",) if action is not Action.NONE else (),
            reason="insult 0.9",
            dry_run=rng.random() < 0.05,
            timeout_minutes=rng.choice((5, 10, 60)) if action is Action.TIMEOUT else None,
        )
        scores = Scores(insult=rng.random(), toxicity=rng.random())
        event = DecisionEvent(
            guild_id=guild,
            channel_id=3,
            message_id=target,
            author_id=author,
            jump_url=f"https://discord.com/channels/{guild}/3/{target}",
            scores=scores.as_dict(),
            decision=decision.to_payload(),
            model_version="crash-test",
            backend="keyword",
            dry_run=decision.dry_run,
            content="you are an idiot " * rng.randrange(1, 30),
        )
        repo.record(
            guild_id=guild,
            channel_id=3,
            message_id=target,
            author_id=author,
            scores=scores,
            decision=decision,
            model_version="crash-test",
            backend="keyword",
            text=event.content,
            now=now,
            case=case_draft(event),
            queue=queue_draft(event),
        )
        written += 1
        if written % 10 == 0:
            cases.expire_due(now)
        if written % 25 == 0:
            print(written, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
