"""Member text the bot repeats (DMs, modlog, queue entries): one line, cut to a length.

Escaping is the renderer's job (``bot.discord_adapter.render.quote_member_text``, the queue cards'
``safe_excerpt``).
"""

from __future__ import annotations

EXCERPT_CHARS = 200
"""The longest excerpt of a member's message the bot repeats (DM, modlog)."""


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters (an ellipsis marks a cut).

    Lone surrogates are dropped: SQLite (and Discord) refuse text that has no UTF-8 form."""
    from bot.pipeline.characters import drop_lone_surrogates

    flat = " ".join(drop_lone_surrogates(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
