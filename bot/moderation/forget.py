"""``/warden forget``: what each cog erased for a member, and what the bot's posts quoting them became.

Every loaded cog is asked to erase what it holds for the member
(:meth:`bot.discord_adapter.plugin.WardenCog.forget_member`, modelled on Red-DiscordBot's
``red_delete_data_for_user``) and answers with a :class:`ForgetResult`: the stored data it erased
(``"scored messages": 3``) and, for a cog that posts member text in a server, its posts redacted
(:class:`Redactions`: the mod queue cog its queue cards, the warnings cog its modlog posts) and what it
could not redact (the post was deleted, its channel is gone, a permission is missing). No discord.py
here: the cogs erase and edit, this module counts and words the outcome.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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


@dataclass
class ForgetResult:
    """What one cog did for ``/warden forget``.

    ``erased`` maps what was erased, in words, to how many (``{"scored messages": 3}``; zero counts
    are kept: "nothing of that kind" is part of the answer). ``redactions`` are the cog's posts quoting
    the member, one :class:`Redactions` a kind. ``failed`` is set by the caller when the cog's hook
    raised (the error is logged): the admin is told its data may remain.
    """

    erased: dict[str, int] = field(default_factory=dict)
    redactions: list[Redactions] = field(default_factory=list)
    failed: bool = False

    def describe(self) -> str:
        """One clause for the admin: ``1 scored messages`` / ``redacted 1 queue card`` / ..."""
        if self.failed:
            return "could not erase (the error was logged; its data may remain)"
        parts = [f"{count} {what}" for what, count in self.erased.items()]
        for report in self.redactions:
            if report.redacted:
                parts.append(f"redacted {_plural(report.redacted, report.kind)}")
            if report.failed:
                parts.append(f"{_plural(sum(report.failed.values()), report.kind)} not redacted")
        return ", ".join(parts) or "nothing held"


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
