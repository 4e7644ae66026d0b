"""What a queue entry shows, as plain text: its card, a ``/queue list`` line, ``/queue stats``.

``cogs/modqueue/embeds.py`` turns these into embeds; nothing here imports discord.py. Member text is
escaped here (:func:`safe_excerpt`) and sent with no allowed mentions by the cog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.explain.render import evidence_lines
from bot.moderation.queue_rules import APPEAL_ACTIONS, MESSAGE_ACTIONS, QueueAction, resolution_text
from bot.moderation.text import excerpt
from bot.storage.cases import Case
from bot.storage.queue import QueueEntry, QueueSource, QueueStats, QueueStatus

_MENTION_RE = re.compile(r"@(everyone|here|[!&]?[0-9]{15,21})")
_MARKDOWN_RE = re.compile(r"([\\*_~`|>#\-\[\]()<])")
ZWSP = "\u200b"


def safe_excerpt(text: str, limit: int = 300) -> str:
    """The message text cut to ``limit`` characters, markdown-escaped, unable to mention anyone.

    Every markdown character is backslash-escaped, which also turns ``<@id>``, ``<@&id>`` and
    ``<#id>`` into plain text; ``@everyone``, ``@here`` and ``@id`` also get a zero-width space after
    the ``@`` (as ``discord.utils.escape_mentions`` does).
    (The cog also sends everything with no allowed mentions: two independent guards.)
    """
    escaped = _MARKDOWN_RE.sub(r"\\\1", excerpt(text, limit))
    escaped = _MENTION_RE.sub("@" + ZWSP + r"\1", escaped)
    return escaped or "*(no text)*"


def score_bar(value: float, width: int = 10) -> str:
    """``0.71`` -> ``███████░░░``."""
    value = min(1.0, max(0.0, float(value)))
    filled = round(value * width)
    return "█" * filled + "░" * (width - filled)


def score_lines(scores: Mapping[str, float], top: int = 3, floor: float = 0.05) -> list[str]:
    """The highest labels as ``insult ███████░░░ 0.71`` lines, label names padded to one width."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    shown = [(label, value) for label, value in ranked[:top] if value >= floor] or ranked[:1]
    width = max((len(label) for label, _ in shown), default=0)
    return [f"{label.ljust(width)} {score_bar(value)} {value:.2f}" for label, value in shown]


# --------------------------------------------------------------------------- cards (what an entry shows)


class Tone(StrEnum):
    """The state an entry's card shows (the cog picks a colour for each)."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    APPEAL = "appeal"


@dataclass(frozen=True, slots=True)
class CardField:
    """One embed field."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class EntryCard:
    """Everything an entry's embed shows, as plain text (mentions in fields render, never ping).

    ``actions`` are the buttons in order, ``timeout_select`` whether the duration select is offered,
    ``resolved`` whether every component is disabled.
    """

    entry_id: int
    title: str
    tone: Tone
    description: str
    fields: tuple[CardField, ...]
    footer: str
    actions: tuple[QueueAction, ...]
    timeout_select: bool
    resolved: bool


EVIDENCE_FIELD = "Evidence"
"""The card field naming the words that carried each label (removing the word lowers the label by the
weight shown)."""

SOURCE_TITLES: dict[QueueSource, str] = {
    QueueSource.AUTO: "Flagged message",
    QueueSource.REPORT: "Reported message",
    QueueSource.APPEAL: "Appeal",
}


def entry_card(entry: QueueEntry, case: Case | None = None) -> EntryCard:
    """The card of ``entry`` (``case``: the case an appeal is about, if it could be read)."""
    appeal = entry.source is QueueSource.APPEAL
    fields: list[CardField] = []
    if entry.author_id is not None:
        fields.append(CardField("Member" if appeal else "Author", f"<@{entry.author_id}>"))
    if entry.channel_id is not None:
        fields.append(CardField("Channel", f"<#{entry.channel_id}>"))
    if entry.jump_url:
        fields.append(CardField("Message", f"[Jump to message]({entry.jump_url})"))
    if appeal:
        title = f"{SOURCE_TITLES[entry.source]} #{entry.id}"
        if case is not None:
            title += f" · case #{case.case_number} ({case.type.value})"
            case_text = f"#{case.case_number} {case.type.value}"
            if case.reason:
                case_text += f": {safe_excerpt(case.reason, 200)}"
            if case.pardoned:
                case_text += " (pardoned)"
            fields.append(CardField("Case", case_text, inline=False))
        # The warnings cog stores the appeal text as the entry's excerpt.
        description = "**Appeal:** " + safe_excerpt(entry.excerpt or "", 1000)
    else:
        title = f"{SOURCE_TITLES[entry.source]} #{entry.id}"
        if entry.labels:
            title += " · " + ", ".join(entry.labels)
        description = safe_excerpt(entry.excerpt or "", 300)
        lines = score_lines(entry.scores)
        if lines:
            fields.append(CardField("Scores", "```\n" + "\n".join(lines) + "\n```", inline=False))
        if entry.evidence:
            shown = evidence_lines(entry.evidence, lambda word: safe_excerpt(word, 60))
            fields.append(CardField(EVIDENCE_FIELD, "\n".join(shown), inline=False))
        if entry.reason:
            label = "Reporter's reason" if entry.source is QueueSource.REPORT else "Reason"
            fields.append(CardField(label, safe_excerpt(entry.reason, 500), inline=False))
        if entry.reporter_id is not None:
            fields.append(CardField("Reported by", f"<@{entry.reporter_id}>"))
    if entry.status is QueueStatus.RESOLVED and entry.resolution is not None:
        outcome = resolution_text(entry.resolution, entry.source)
        by = f" by <@{entry.resolved_by}>" if entry.resolved_by else ""
        if entry.case_id is not None and case is not None and case.id == entry.case_id and not appeal:
            outcome += f" · case #{case.case_number}"
        fields.append(CardField("Outcome", f"**{outcome}**{by}", inline=False))
        tone = Tone.RESOLVED
    elif entry.status is QueueStatus.CLAIMED:
        fields.append(CardField("Claimed by", f"<@{entry.claimed_by}>", inline=False))
        tone = Tone.CLAIMED
    else:
        tone = Tone.APPEAL if appeal else Tone.OPEN
    footer = f"Queue entry {entry.id} · {entry.source.value}"
    return EntryCard(
        entry_id=entry.id,
        title=title,
        tone=tone,
        description=description,
        fields=tuple(fields),
        footer=footer,
        actions=APPEAL_ACTIONS if appeal else MESSAGE_ACTIONS,
        timeout_select=not appeal,
        resolved=entry.status is QueueStatus.RESOLVED,
    )


def list_line(entry: QueueEntry, now: datetime) -> str:
    """One line of ``/queue list``: ``#12 flagged · <@author> · identity_attack · 3 h ago · claimed by``."""
    what = {QueueSource.AUTO: "flagged", QueueSource.REPORT: "report", QueueSource.APPEAL: "appeal"}
    parts = [f"**#{entry.id}** {what[entry.source]}"]
    if entry.author_id is not None:
        parts.append(f"<@{entry.author_id}>")
    if entry.labels:
        parts.append(", ".join(entry.labels))
    parts.append(age_text(now - entry.created_at))
    if entry.status is QueueStatus.CLAIMED:
        parts.append(f"claimed by <@{entry.claimed_by}>")
    return " · ".join(parts)


def age_text(age: timedelta) -> str:
    """``5 min ago``, ``3 h ago``, ``2 d ago``."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def stats_lines(stats: QueueStats, now: datetime) -> list[str]:
    """``/queue stats`` as lines."""
    lines = [
        f"**Waiting:** {stats.open} open, {stats.claimed} claimed",
        f"**Resolved:** {stats.resolved}",
    ]
    if stats.by_resolution:
        parts = ", ".join(
            f"{name.replace('_', ' ')} {count}" for name, count in sorted(stats.by_resolution.items())
        )
        lines.append(f"**Outcomes:** {parts}")
    if stats.by_source:
        parts = ", ".join(f"{name} {count}" for name, count in sorted(stats.by_source.items()))
        lines.append(f"**Sources:** {parts}")
    lines.append(f"**False positives (approved):** {stats.false_positives}")
    if stats.oldest_open_at is not None:
        lines.append(f"**Oldest open entry:** {age_text(now - stats.oldest_open_at)}")
    return lines
