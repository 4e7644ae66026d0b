"""The public entry point: raw Discord message text in, scoring-ready text and chunks out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.pipeline.address import addresses_someone
from bot.pipeline.characters import fold_letters, map_homoglyphs, remove_invisible
from bot.pipeline.chunking import chunk_text
from bot.pipeline.deobfuscate import deobfuscate_words
from bot.pipeline.markup import strip_markup

DEFAULT_MAX_WORDS = 64

_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"[ ]*\n[\s]*")
_SPACE_BEFORE_PUNCT = re.compile(r" +(?=[.,;:!?](?:\s|$))")


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A message ready for scoring.

    ``text`` is the normalized full text (markup stripped, de-obfuscated, URLs removed); ``chunks``
    the windows to score (the caller scores each and takes the per-label max), empty exactly when
    ``is_empty`` (no text, or punctuation only); ``urls`` the links of the original in order of
    appearance, deduplicated (kept for the context feature); ``mentions`` the mentioned user ids, in
    order, deduplicated; ``addressed`` whether it speaks to someone in the conversation (second
    person or a mention: see :mod:`bot.pipeline.address`).
    """

    original: str
    text: str
    chunks: tuple[str, ...]
    urls: tuple[str, ...]
    mentions: tuple[int, ...]
    is_empty: bool
    addressed: bool = False


def _one_or_two_spaces(match: re.Match[str]) -> str:
    blanks = match.group(0)
    return " " if len(blanks) == 1 and blanks != "\t" else "  "


def _tidy_whitespace(text: str, *, keep_wide_gaps: bool = False) -> str:
    """One space between words (trimmed, no space before punctuation, one line break between lines).

    With ``keep_wide_gaps`` a gap of two or more blanks, or a tab, becomes two spaces instead of one:
    before de-obfuscation a wide gap is a word break in a sentence spelled letter by letter
    (``i w i l l  k i l l  y o u``), so it must not be collapsed into the gaps inside the words.
    """
    text = _SPACES.sub(_one_or_two_spaces if keep_wide_gaps else " ", text)
    text = _NEWLINES.sub("\n", text)
    text = _SPACE_BEFORE_PUNCT.sub("", text)
    return text.strip()


def _normalize(text: str) -> tuple[str, tuple[str, ...], tuple[int, ...]]:
    text = remove_invisible(text)
    markup = strip_markup(text)
    text = fold_letters(markup.text)
    text = map_homoglyphs(text)
    text = _tidy_whitespace(text, keep_wide_gaps=True)
    text = deobfuscate_words(text)
    return _tidy_whitespace(text), markup.urls, markup.mentions


def _has_content(text: str) -> bool:
    """Whether there is anything to score: a letter, a digit or a symbol (emoji), not just punctuation."""
    return any(char.isalnum() or unicodedata.category(char)[0] == "S" for char in text)


def normalize(text: str) -> str:
    """The de-obfuscated, markup-stripped scoring text of ``text`` (no URLs, no mentions)."""
    return _normalize(text)[0]


def prepare(text: str, *, max_words: int = DEFAULT_MAX_WORDS, overlap: int | None = None) -> PreparedText:
    """Normalize ``text`` and split it into chunks of at most ``max_words`` words (see ``chunk_text``)."""
    if not isinstance(text, str):
        raise TypeError(f"prepare() takes a str, not {type(text).__name__}")
    normalized, urls, mentions = _normalize(text)
    chunks = chunk_text(normalized, max_words=max_words, overlap=overlap) if _has_content(normalized) else ()
    return PreparedText(
        original=text,
        text=normalized,
        chunks=chunks,
        urls=urls,
        mentions=mentions,
        is_empty=not chunks,
        addressed=addresses_someone(normalized, mentions=len(mentions)),
    )
