"""The mod queue's plain-Python rules: who may act, report rate limit, rendering data."""

from __future__ import annotations

import re

import pytest

from bot.moderation.queue_cards import safe_excerpt, score_bar, score_lines
from bot.moderation.queue_rules import ModeratorCheck, QueueAction, actions_for, may_moderate, timeout_minutes
from bot.moderation.report_limits import ReportRateLimiter, rate_limit_message
from bot.storage.queue import QueueSource


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ----------------------------------------------------------------------------- permissions


def test_manage_messages_may_moderate() -> None:
    assert may_moderate(ModeratorCheck(user_id=1, manage_messages=True))


def test_administrator_may_moderate() -> None:
    assert may_moderate(ModeratorCheck(user_id=1, administrator=True))


def test_configured_moderator_role_may_moderate() -> None:
    member = ModeratorCheck(user_id=1, role_ids=frozenset({10, 20}))
    assert may_moderate(member, moderator_role_ids=[20])
    assert not may_moderate(member, moderator_role_ids=[30])


def test_plain_member_may_not_moderate() -> None:
    assert not may_moderate(ModeratorCheck(user_id=1, role_ids=frozenset({10})))


# ----------------------------------------------------------------------------- actions


def test_claim_is_the_only_action_that_does_not_resolve() -> None:
    assert [action for action in QueueAction if not action.resolves] == [QueueAction.CLAIM]


@pytest.mark.parametrize(("choice", "minutes"), [("10m", 10), ("1h", 60), ("1d", 1440), ("1w", 10080)])
def test_timeout_choices(choice: str, minutes: int) -> None:
    assert timeout_minutes(choice) == minutes


def test_unknown_timeout_choice_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown timeout"):
        timeout_minutes("1y")


# ----------------------------------------------------------------------------- rate limit


def test_rate_limiter_allows_limit_then_refuses_with_retry_after() -> None:
    clock = FakeClock()
    limiter = ReportRateLimiter(limit=5, window=3600, clock=clock)
    for _ in range(5):
        assert limiter.hit(1, 42).allowed
        clock.now += 60
    refused = limiter.hit(1, 42)
    assert not refused.allowed
    # The first hit was at 1000, now is 1300: it leaves the window at 4600.
    assert refused.retry_after == pytest.approx(3300)


def test_rate_limiter_is_per_member_and_per_guild() -> None:
    limiter = ReportRateLimiter(limit=1, window=60, clock=FakeClock())
    assert limiter.hit(1, 42).allowed
    assert not limiter.hit(1, 42).allowed
    assert limiter.hit(1, 43).allowed
    assert limiter.hit(2, 42).allowed


def test_rate_limiter_window_slides() -> None:
    clock = FakeClock()
    limiter = ReportRateLimiter(limit=2, window=60, clock=clock)
    assert limiter.hit(1, 1).allowed
    clock.now += 30
    assert limiter.hit(1, 1).allowed
    assert not limiter.hit(1, 1).allowed
    clock.now += 31  # the first hit has left the window
    assert limiter.hit(1, 1).allowed
    assert not limiter.hit(1, 1).allowed


def test_refused_hits_do_not_extend_the_window() -> None:
    clock = FakeClock()
    limiter = ReportRateLimiter(limit=1, window=60, clock=clock)
    assert limiter.hit(1, 1).allowed
    for _ in range(10):
        clock.now += 5
        assert not limiter.hit(1, 1).allowed
    clock.now += 11
    assert limiter.hit(1, 1).allowed


def test_refund_gives_the_hit_back() -> None:
    limiter = ReportRateLimiter(limit=1, window=60, clock=FakeClock())
    assert limiter.hit(1, 1).allowed
    limiter.refund(1, 1)
    assert limiter.hit(1, 1).allowed


def test_peek_records_nothing() -> None:
    limiter = ReportRateLimiter(limit=1, window=60, clock=FakeClock())
    assert limiter.peek(1, 1).allowed
    assert limiter.peek(1, 1).allowed
    assert limiter.hit(1, 1).allowed


def test_rate_limiter_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError):
        ReportRateLimiter(limit=0)
    with pytest.raises(ValueError):
        ReportRateLimiter(window=0)


def test_rate_limit_message_is_polite_and_gives_minutes() -> None:
    text = rate_limit_message(3300)
    assert "55 minutes" in text
    assert "try again" in text
    assert "1 minute" in rate_limit_message(10)


# ----------------------------------------------------------------------------- rendering


def test_score_bar() -> None:
    assert score_bar(0.71) == "███████░░░"
    assert score_bar(0.0) == "░" * 10
    assert score_bar(1.0) == "█" * 10
    assert score_bar(7.0) == "█" * 10


def test_score_lines_show_top_labels_padded() -> None:
    lines = score_lines({"insult": 0.71, "toxicity": 0.9, "threat": 0.01, "obscene": 0.2}, top=3)
    assert lines == [
        "toxicity █████████░ 0.90",
        "insult   ███████░░░ 0.71",
        "obscene  ██░░░░░░░░ 0.20",
    ]


def test_score_lines_keep_one_line_when_all_low() -> None:
    assert score_lines({"insult": 0.01, "threat": 0.0}) == ["insult ░░░░░░░░░░ 0.01"]


def test_score_lines_of_nothing() -> None:
    assert score_lines({}) == []


@pytest.mark.parametrize(
    "text",
    [
        "@everyone look",
        "@here look",
        "hey <@123456789012345678>",
        "hey <@!123456789012345678>",
        "hey <@&123456789012345678>",
    ],
)
def test_excerpt_cannot_mention(text: str) -> None:
    excerpt = safe_excerpt(text)
    assert "@everyone" not in excerpt
    assert "@here" not in excerpt
    assert re.search(r"<@[!&]?\d", excerpt) is None
    assert "@\u200b" in excerpt


def test_excerpt_mention_reads_as_plain_text() -> None:
    assert safe_excerpt("hi <@123456789012345678>") == "hi \\<@\u200b123456789012345678\\>"


def test_excerpt_escapes_markdown() -> None:
    excerpt = safe_excerpt("**bold** _it_ `code` ||spoiler|| > quote [link](http://x)")
    assert "**" not in excerpt.replace("\\*", "")
    assert excerpt.startswith("\\*\\*bold\\*\\*")
    assert "\\|\\|spoiler\\|\\|" in excerpt
    assert "\\[link\\]\\(http" in excerpt


def test_excerpt_is_cut_and_flattened() -> None:
    excerpt = safe_excerpt("word " * 200, limit=50)
    assert excerpt.endswith("…")
    assert len(excerpt) <= 50
    assert "\n" not in safe_excerpt("a\n\nb")


def test_empty_excerpt_says_so() -> None:
    assert safe_excerpt("   ") == "*(no text)*"


def test_actions_for_each_source() -> None:
    assert actions_for(QueueSource.APPEAL) == (QueueAction.UPHOLD, QueueAction.PARDON, QueueAction.CLAIM)
    for source in (QueueSource.AUTO, QueueSource.REPORT):
        assert set(actions_for(source)) == {
            QueueAction.APPROVE,
            QueueAction.DELETE,
            QueueAction.WARN,
            QueueAction.TIMEOUT,
            QueueAction.BAN,
            QueueAction.CLAIM,
        }
