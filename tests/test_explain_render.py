"""Evidence as Discord text: grouped by word, heaviest first, the member's words escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.explain import Evidence
from bot.explain.render import evidence_lines
from bot.moderation.queue_cards import EVIDENCE_FIELD, entry_card, safe_excerpt
from bot.storage.queue import QueueEntry, QueueSource, QueueStatus

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def entry(**changes: object) -> QueueEntry:
    base = QueueEntry(
        id=7,
        guild_id=1,
        source=QueueSource.AUTO,
        message_id=10,
        channel_id=20,
        author_id=30,
        reporter_id=None,
        jump_url=None,
        excerpt="you moron",
        scores={"insult": 0.9},
        labels=("insult",),
        reason="",
        status=QueueStatus.OPEN,
        claimed_by=None,
        claimed_at=None,
        resolved_by=None,
        resolved_at=None,
        resolution=None,
        case_id=None,
        queue_message_id=None,
        created_at=NOW,
        evidence=(Evidence("moron", "insult", 0.73),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def escape(word: str) -> str:
    return safe_excerpt(word, 60)


def test_words_are_grouped_heaviest_first_with_their_labels() -> None:
    evidence = [
        Evidence("moron", "toxicity", 0.69),
        Evidence("idiot", "insult", 0.41),
        Evidence("Moron", "insult", 0.73),
    ]

    assert evidence_lines(evidence, escape) == [
        "**Moron** · insult 0.73, toxicity 0.69",
        "**idiot** · insult 0.41",
    ]


def test_a_word_can_neither_format_nor_ping() -> None:
    (line,) = evidence_lines([Evidence("@everyone**<@123456789012345678>", "insult", 0.5)], escape)

    assert "@everyone" not in line.replace("@\u200beveryone", "")
    assert "\\*\\*" in line and "<@123" not in line


def test_only_the_first_few_words_are_listed() -> None:
    evidence = [Evidence(f"w{i}", "insult", 0.9 - i / 100) for i in range(8)]
    assert len(evidence_lines(evidence, escape)) == 5


def test_a_card_shows_its_evidence_below_the_scores() -> None:
    card = entry_card(entry())

    names = [field.name for field in card.fields]
    assert names.index(EVIDENCE_FIELD) == names.index("Scores") + 1
    assert card.fields[names.index(EVIDENCE_FIELD)].value == "**moron** · insult 0.73"


def test_a_card_without_evidence_has_no_evidence_field() -> None:
    assert EVIDENCE_FIELD not in [field.name for field in entry_card(entry(evidence=())).fields]
