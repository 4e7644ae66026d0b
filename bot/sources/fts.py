"""Safe FTS5 queries built from tokens, never from raw text.

Raw member text in ``MATCH`` breaks FTS5 syntax (quotes, ``AND``/``OR``/``NEAR``, ``*``, ``-``, ``:``,
parentheses) or turns into operators. We tokenize ourselves, drop stop words, split letters from
digits (``F16s`` -> ``f`` ``16``), quote every token as an FTS5 string and OR them; bm25 does the rest.
"""

from __future__ import annotations

import re
import unicodedata

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "even",
        "ever",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "just",
        "know",
        "let",
        "like",
        "ll",
        "made",
        "make",
        "many",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "near",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "re",
        "really",
        "s",
        "said",
        "same",
        "say",
        "says",
        "she",
        "should",
        "so",
        "some",
        "such",
        "t",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "wasn",
        "we",
        "were",
        "weren",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "won",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "don't",
        "it's",
        "i'm",
        "that's",
        "there's",
        "what's",
    ]
)

# Letters (any script, incl. combining marks) or digits; apostrophes inside words are dropped.
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_MAX_TOKENS = 32


def _fold(text: str) -> str:
    """Lowercase and strip diacritics, like unicode61 remove_diacritics 2."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Content tokens of ``text`` in order, deduplicated; letters and digits split apart.

    Letters glued before digits are kept even when short (``F16s`` -> ``f``, ``16``; ``S-300`` -> ``s``,
    ``300``): they are part of a designation. Other single letters and stop words are dropped.
    """
    out: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"\s+", _fold(text.replace("'", "").replace("’", ""))):
        parts = _WORD.findall(raw)
        glued = len(parts) > 1 and any(p.isdigit() for p in parts)
        for i, part in enumerate(parts):
            designation = glued and not part.isdigit() and i + 1 < len(parts) and parts[i + 1].isdigit()
            if not designation:
                if not keep_stop_words and part in STOP_WORDS:
                    continue
                if len(part) == 1 and not part.isdigit():
                    continue
            if part not in seen:
                seen.add(part)
                out.append(part)
    return out


def build_match_query(text: str, *, max_tokens: int = _MAX_TOKENS) -> str | None:
    """An FTS5 MATCH expression ORing the quoted content tokens of ``text``; None if nothing is left.

    Every token is wrapped in double quotes (an FTS5 string), so no token can act as an operator,
    column filter or prefix query. Tokens only contain letters/digits, so no quote can appear inside.
    """
    toks = tokens(text)[:max_tokens]
    if not toks:
        return None
    return " OR ".join(f'"{tok}"' for tok in toks)


def build_tsquery(text: str, *, max_tokens: int = _MAX_TOKENS) -> str | None:
    """The PostgreSQL ``to_tsquery`` text ORing the same content tokens; None if nothing is left.

    Tokens only contain letters and digits, so none can act as a tsquery operator.
    """
    toks = tokens(text)[:max_tokens]
    if not toks:
        return None
    return " | ".join(toks)


_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def search_text(text: str) -> str:
    """A document folded the way queries are (case, diacritics, apostrophes; letters split from digits:
    ``F16s`` -> ``f 16 s``), for PostgreSQL's ``to_tsvector`` (SQLite's FTS5 tokenizer folds itself)."""
    folded = _fold(text.replace("'", "").replace("’", ""))
    return _LETTER_DIGIT.sub(" ", folded)
