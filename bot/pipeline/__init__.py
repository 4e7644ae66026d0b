"""Text preparation: Discord markup stripped, obfuscation undone, long messages chunked.

``prepare(text)`` is what the bot and the replay call before scoring; ``normalize(text)`` gives just the
scoring text. Pure Python, no discord.py, linear in the input.
"""

from bot.pipeline.chunking import chunk_text, split_sentences
from bot.pipeline.markup import MarkupResult, strip_markup
from bot.pipeline.prepare import DEFAULT_MAX_WORDS, PreparedText, normalize, prepare

__all__ = [
    "DEFAULT_MAX_WORDS",
    "MarkupResult",
    "PreparedText",
    "chunk_text",
    "normalize",
    "prepare",
    "split_sentences",
    "strip_markup",
]
