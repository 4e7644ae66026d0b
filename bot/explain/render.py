"""Evidence as Discord text: one line per word, heaviest first (``**moron** · insult 0.73, toxicity 0.69``).

The words are the member's: the caller passes its escaper (markdown and mentions), so a word can never
format, link or ping. Plain Python, no discord.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.explain.occlusion import Evidence

SHOWN_WORDS = 5
"""Words listed at most (a card or modlog field stays short)."""


def evidence_lines(
    evidence: Sequence[Evidence], escape: Callable[[str], str], *, limit: int = SHOWN_WORDS
) -> list[str]:
    """The evidence grouped by word (case-insensitively), each word's labels heaviest first."""
    grouped: dict[str, list[Evidence]] = {}
    for item in sorted(evidence, key=lambda item: -item.weight):
        grouped.setdefault(item.text.casefold(), []).append(item)
    lines = []
    for items in list(grouped.values())[:limit]:
        labels = ", ".join(f"{item.label.replace('_', ' ')} {item.weight:.2f}" for item in items)
        lines.append(f"**{escape(items[0].text)}** · {labels}")
    return lines
