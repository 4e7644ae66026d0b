"""Split a long text into windows the model can take.

Detoxify truncates at 512 tokens, and a long comment dilutes one insult at its end: the caller scores
every chunk and takes the per-label max. Chunks follow sentence boundaries; a window holds at most
``max_words`` words; consecutive windows overlap (the last sentence of one window opens the next, or
the last ``overlap`` words of an over-long sentence), so no insult is cut in half at a boundary; and
the closing sentence is also a chunk of its own, so an insult at the end is scored alone: always for a
multi-chunk text, and for a one-window text of several sentences when the last one is short (at most
``CLOSING_SENTENCE_WORDS`` words: "... Dumbass." is not diluted by the sixty words before it).
"""

from __future__ import annotations

import re

# A sentence ends at ., ! or ? (possibly repeated, possibly followed by closing quotes/brackets) before
# whitespace, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n+")

CLOSING_SENTENCE_WORDS = 12
"""A one-window text of several sentences also scores its last sentence alone when it is this short."""


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (stripped, no empties)."""
    sentences = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.start()] + match.group(0).rstrip()
        if piece.strip():
            sentences.append(piece.strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _word_windows(words: list[str], max_words: int, overlap: int) -> list[list[str]]:
    """Fixed windows over one over-long sentence, each overlapping the previous by ``overlap`` words."""
    step = max(1, max_words - overlap)
    windows = []
    start = 0
    while True:
        windows.append(words[start : start + max_words])
        if start + max_words >= len(words):
            return windows
        start += step


def chunk_text(text: str, max_words: int = 64, overlap: int | None = None) -> tuple[str, ...]:
    """Chunks of ``text`` of at most ``max_words`` words each, on sentence boundaries where possible.

    A text of at most ``max_words`` words is one chunk, itself, followed by its last sentence when it
    has two or more sentences and the last has at most ``CLOSING_SENTENCE_WORDS`` words (and at most
    ``max_words``). ``overlap`` (default ``max_words // 4``) bounds how many words a window repeats from
    the one before. When there is more than one window, the last sentence is appended as a chunk of its
    own. Empty text gives no chunks.
    """
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    overlap = max_words // 4 if overlap is None else max(0, min(overlap, max_words - 1))
    stripped = text.strip()
    if not stripped:
        return ()
    words_total = stripped.split()
    if len(words_total) <= max_words:
        sentences = split_sentences(stripped)
        if len(sentences) > 1:
            closing = sentences[-1].split()
            if len(closing) <= min(CLOSING_SENTENCE_WORDS, max_words):
                return tuple(dict.fromkeys((stripped, " ".join(closing))))
        return (stripped,)

    # Pieces: sentences, with over-long ones cut into overlapping word windows.
    pieces: list[list[str]] = []
    for sentence in split_sentences(stripped):
        words = sentence.split()
        if len(words) <= max_words:
            pieces.append(words)
        else:
            pieces.extend(_word_windows(words, max_words, overlap))

    chunks: list[list[str]] = []
    current: list[str] = []
    last_piece: list[str] = []
    for piece in pieces:
        if current and len(current) + len(piece) > max_words:
            chunks.append(current)
            # Carry the previous sentence into the next window when it fits the overlap budget.
            current = list(last_piece) if 0 < len(last_piece) <= overlap else []
            if len(current) + len(piece) > max_words:
                current = []
        current.extend(piece)
        last_piece = piece
    if current:
        chunks.append(current)

    seen: dict[str, None] = {}
    for chunk in chunks:
        seen.setdefault(" ".join(chunk))
    # The closing sentence of a long message also stands alone: a parting insult is not diluted by the
    # sentences it shares its window with.
    if len(seen) > 1 and pieces and len(pieces[-1]) < max_words:
        seen.setdefault(" ".join(pieces[-1]))
    return tuple(seen)
