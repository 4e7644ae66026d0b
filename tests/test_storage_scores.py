"""Message scores: one row per message across edits, opt-in text with retention, stats, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.policy import Action, PolicySettings, evaluate, load_default_policy
from bot.scoring.base import Scores
from bot.storage import Database, QueueRepository, ScoreRepository

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def scores(database: Database) -> ScoreRepository:
    return ScoreRepository(database)


@pytest.fixture
def keeping() -> PolicySettings:
    return load_default_policy().merged({"store_message_text": True, "retention_days": 7})


def record(
    repo: ScoreRepository,
    message_id: int,
    values: Scores,
    *,
    author_id: int = 3,
    guild_id: int = 1,
    settings: PolicySettings | None = None,
    text: str | None = "some text",
    now: datetime = NOW,
    edited_at: datetime | None = None,
) -> object:
    policy = settings or load_default_policy()
    return repo.record(
        guild_id=guild_id,
        channel_id=2,
        message_id=message_id,
        author_id=author_id,
        scores=values,
        decision=evaluate(values, policy, now=now),
        model_version="embedded-1",
        backend="embedded",
        created_at=NOW,
        edited_at=edited_at,
        text=text,
        settings=settings,
        now=now,
    )


def test_record_and_read(scores: ScoreRepository) -> None:
    record(scores, 10, Scores(insult=0.9, toxicity=0.95))
    row = scores.get(10)
    assert row is not None
    assert row.scores == Scores(insult=0.9, toxicity=0.95)
    assert row.action is Action.WARN
    assert row.labels == ("toxicity", "insult")
    assert row.band == "high"
    assert row.model_version == "embedded-1" and row.backend == "embedded"
    assert row.created_at == NOW and row.edited_at is None
    assert row.dry_run is False
    assert scores.get(11) is None


def test_text_is_not_stored_without_opt_in(scores: ScoreRepository) -> None:
    record(scores, 10, Scores(insult=0.9), text="you are an idiot")
    row = scores.get(10)
    assert row is not None and row.text is None and row.text_expires_at is None
    record(scores, 11, Scores(insult=0.9), text="you are an idiot", settings=load_default_policy())
    assert scores.get(11).text is None


def test_opted_in_text_expires_and_is_purged(scores: ScoreRepository, keeping: PolicySettings) -> None:
    record(scores, 10, Scores(insult=0.9), text="kept a week", settings=keeping)
    record(scores, 11, Scores(), text="kept too", settings=keeping, now=NOW + timedelta(days=2))
    row = scores.get(10)
    assert row is not None and row.text == "kept a week"
    assert row.text_expires_at == NOW + timedelta(days=7)
    assert scores.purge_expired_text(NOW + timedelta(days=6)) == 0
    assert scores.purge_expired_text(NOW + timedelta(days=7)) == 1  # due exactly now: purged
    assert scores.get(10).text is None
    assert scores.get(10).scores.insult == 0.9  # scores stay
    assert scores.get(11).text == "kept too"
    assert scores.purge_expired_text(NOW + timedelta(days=30)) == 1
    assert scores.purge_expired_text(NOW + timedelta(days=30)) == 0


def test_a_nul_character_in_the_text_never_fails_the_write(
    scores: ScoreRepository, keeping: PolicySettings, database: Database
) -> None:
    record(scores, 10, Scores(insult=0.9), text="before\x00after", settings=keeping)
    row = scores.get(10)
    # SQLite keeps the character; PostgreSQL's text columns cannot hold it, so it is replaced there
    expected = "before\ufffdafter" if database.dialect.postgres else "before\x00after"
    assert row is not None and row.text == expected and row.scores.insult == pytest.approx(0.9)


def test_an_edit_updates_the_one_row(scores: ScoreRepository, keeping: PolicySettings) -> None:
    record(scores, 10, Scores(insult=0.9), text="first version", settings=keeping)
    edited = NOW + timedelta(minutes=3)
    record(
        scores, 10, Scores(insult=0.1), text="edited version", settings=keeping, now=edited, edited_at=edited
    )
    row = scores.get(10)
    assert row is not None
    assert row.scores.insult == 0.1
    assert row.action is Action.NONE
    assert row.created_at == NOW
    assert row.edited_at == edited
    assert row.scored_at == edited
    assert row.text == "edited version"
    assert scores.stats_today(1, NOW).scored == 1
    # the server opted out meanwhile: the edit erases the stored text
    record(scores, 10, Scores(insult=0.1), text="third", settings=load_default_policy(), now=edited)
    assert scores.get(10).text is None


def test_stats_today(scores: ScoreRepository) -> None:
    record(scores, 1, Scores(insult=0.9))  # warn
    record(scores, 2, Scores(insult=0.8, identity_attack=0.8))  # queue
    record(scores, 3, Scores(obscene=0.95))  # log
    record(scores, 4, Scores())  # none
    record(scores, 5, Scores(insult=0.9), now=NOW - timedelta(days=1))  # yesterday
    record(scores, 6, Scores(insult=0.9), guild_id=2)  # another server
    dry = load_default_policy().merged({"dry_run": True})
    record(scores, 7, Scores(threat=0.95), settings=dry)
    stats = scores.stats_today(1, NOW)
    assert stats.scored == 5
    assert stats.flagged == 4
    assert stats.by_action == {"warn": 1, "queue": 2, "log": 1, "none": 1}
    assert stats.by_label == {"insult": 2, "identity_attack": 1, "obscene": 1, "threat": 1}
    assert stats.dry_run == 1
    assert scores.stats_today(3, NOW).scored == 0


def test_forget_user(database: Database, scores: ScoreRepository, keeping: PolicySettings) -> None:
    record(scores, 1, Scores(insult=0.9), author_id=3, settings=keeping)
    record(scores, 2, Scores(insult=0.9), author_id=3, settings=keeping)
    record(scores, 3, Scores(insult=0.9), author_id=4, settings=keeping)
    record(scores, 4, Scores(insult=0.9), author_id=3, guild_id=2, settings=keeping)
    queue = QueueRepository(database)
    mine, _ = queue.add(guild_id=1, message_id=1, author_id=3, excerpt="what they wrote")
    theirs, _ = queue.add(guild_id=1, message_id=3, author_id=4, excerpt="someone else")
    filed, _ = queue.add(
        guild_id=1, source="report", message_id=9, author_id=4, reporter_id=3, reason="he keeps harassing me"
    )
    other_report, _ = queue.add(
        guild_id=1, source="report", message_id=10, author_id=3, reporter_id=4, reason="rude"
    )
    elsewhere, _ = queue.add(guild_id=2, source="report", message_id=11, reporter_id=3, reason="spam")
    assert scores.forget_user(1, 3) == {"scores": 2, "queue_excerpts": 1, "report_reasons": 1}
    assert scores.get(1) is None and scores.get(2) is None
    assert scores.get(3) is not None  # another author
    assert scores.get(4) is not None  # another server
    assert queue.get(mine.id).excerpt is None
    assert queue.get(theirs.id).excerpt == "someone else"
    assert queue.get(filed.id).reason == ""  # what they wrote as reporter
    assert queue.get(filed.id).reporter_id == 3
    assert queue.get(other_report.id).reason == "rude"  # someone else's words
    assert queue.get(elsewhere.id).reason == "spam"  # another server
    assert scores.forget_user(1, 3) == {"scores": 0, "queue_excerpts": 0, "report_reasons": 0}


def test_each_cog_forgets_its_own_share(
    database: Database, scores: ScoreRepository, keeping: PolicySettings
) -> None:
    """The scoring cog's half (scores) and the mod queue's half (excerpts, report reasons) apart."""
    record(scores, 1, Scores(insult=0.9), author_id=3, settings=keeping)
    queue = QueueRepository(database)
    mine, _ = queue.add(guild_id=1, message_id=1, author_id=3, excerpt="what they wrote")
    filed, _ = queue.add(guild_id=1, source="report", message_id=9, author_id=4, reporter_id=3, reason="spam")

    assert queue.forget_member(1, 3) == {"queue_excerpts": 1, "report_reasons": 1}
    assert scores.get(1) is not None  # the queue's half leaves the scores
    assert queue.get(mine.id).excerpt is None and queue.get(filed.id).reason == ""

    assert scores.forget_scores(1, 3) == 1
    assert scores.get(1) is None
    assert scores.forget_scores(1, 3) == 0 and queue.forget_member(1, 3) == {
        "queue_excerpts": 0,
        "report_reasons": 0,
    }
