"""``/warden forget``: what the bot's own posts still quoting a member became, in one report.

The data goes first (scores, queue excerpts, report reasons, context requests: the repositories'
``forget_user``); then every cog that posts member text in a server redacts its posts (a
:class:`PostRedactor`: the mod queue cog its queue cards, the warnings cog its modlog posts) and says
what it could not (the post was deleted, its channel is gone, a permission is missing). No discord.py
here: the cogs do the edits, this module counts and words the outcome.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

REMOVED_TEXT = "*[removed at the member's request]*"
"""What replaces a member's text in a redacted post."""

DELETED = "deleted"
MISSING_CHANNEL = "channel missing"
MISSING_PERMISSION = "missing permission"
FAILED = "Discord error"
"""Why a post could not be redacted (the keys of :attr:`Redactions.failed`)."""


@dataclass
class Redactions:
    """How many posts of one kind (``queue card``, ``modlog post``) were redacted, and why others were
    not (``reason -> count``)."""

    kind: str
    redacted: int = 0
    failed: Counter[str] = field(default_factory=Counter)

    def fail(self, reason: str) -> None:
        """One post could not be redacted, for ``reason``."""
        self.failed[reason] += 1


@runtime_checkable
class PostRedactor(Protocol):
    """A cog whose posts quote members: redacts those quoting ``user_id`` in ``guild_id``."""

    async def redact_member_posts(self, guild_id: int, user_id: int) -> Redactions:
        """Edit every post still quoting the member; count what was done and what was not."""
        ...


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def redaction_summary(reports: list[Redactions]) -> str:
    """One sentence for the admin: what was redacted, what could not be and why ("" when nothing)."""
    done = [_plural(r.redacted, r.kind) for r in reports if r.redacted]
    failed: Counter[str] = Counter()
    failed_kinds: list[str] = []
    for report in reports:
        failed.update(report.failed)
        if report.failed:
            failed_kinds.append(_plural(sum(report.failed.values()), report.kind))
    parts: list[str] = []
    if done:
        parts.append(f"Redacted the bot's posts quoting them: {', '.join(done)}.")
    if failed:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(failed.items()))
        parts.append(f"Could not redact {', '.join(failed_kinds)} ({reasons}).")
    if not parts and reports:
        parts.append("No post of the bot quoted them.")
    return " ".join(parts)
