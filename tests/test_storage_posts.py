"""The bot's posts quoting a member (for ``/warden forget``) and the words of its report."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.moderation.forget import DELETED, MISSING_PERMISSION, Redactions, redaction_summary
from bot.storage import Database, QueueRepository
from bot.storage.posts import PostRepository

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL


def test_posts_are_found_per_member_until_redacted(database: Database) -> None:
    posts = PostRepository(database)
    posts.add(guild_id=1, user_id=10, channel_id=5, message_id=100, case_id=1)
    posts.add(guild_id=1, user_id=10, channel_id=5, message_id=100, case_id=1)  # the same post: once
    posts.add(guild_id=1, user_id=10, channel_id=5, message_id=101)
    posts.add(guild_id=1, user_id=11, channel_id=5, message_id=102)
    posts.add(guild_id=2, user_id=10, channel_id=6, message_id=103)

    found = posts.quoting(1, 10)
    assert [post.message_id for post in found] == [100, 101]
    assert found[0].case_id == 1 and found[0].channel_id == 5

    assert posts.mark_redacted([found[0].id]) == 1
    assert posts.mark_redacted([found[0].id]) == 0
    assert posts.mark_redacted([]) == 0
    assert [post.message_id for post in posts.quoting(1, 10)] == [101]
    assert [post.message_id for post in posts.quoting(2, 10)] == [103]


def test_queue_cards_about_a_member_are_their_entries_and_their_reports(database: Database) -> None:
    queue = QueueRepository(database)
    about, _ = queue.add(guild_id=1, message_id=1, author_id=10, excerpt="x")
    reported, _ = queue.add(guild_id=1, source="report", message_id=2, author_id=11, reporter_id=10)
    unposted, _ = queue.add(guild_id=1, message_id=3, author_id=10)
    other, _ = queue.add(guild_id=1, message_id=4, author_id=11)
    for entry, card in ((about, 900), (reported, 901), (other, 902)):
        queue.set_message_id(entry.id, card)

    assert PostRepository(database).queue_cards_about(1, 10) == [about.id, reported.id]
    assert PostRepository(database).queue_cards_about(2, 10) == []
    assert unposted.queue_message_id is None


def test_redaction_summary_counts_and_explains() -> None:
    cards = Redactions("queue card", redacted=2)
    posts = Redactions("modlog post", redacted=1, failed=Counter({DELETED: 1, MISSING_PERMISSION: 2}))
    text = redaction_summary([cards, posts])
    assert text == (
        "Redacted the bot's posts quoting them: 2 queue cards, 1 modlog post. "
        "Could not redact 3 modlog posts (1 deleted, 2 missing permission)."
    )
    assert redaction_summary([Redactions("queue card")]) == "No post of the bot quoted them."
    assert redaction_summary([]) == ""
