"""Discord markup: strip formatting, mentions, custom emoji, timestamps and URLs (URLs are kept aside).

Every pattern here is linear in the input: character classes with single quantifiers, bounded runs, and
alternations whose branches start with different characters, so a 1 MB line cannot trigger catastrophic
backtracking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A URL body: anything but whitespace, angle brackets and parentheses, or one balanced "( ... )" group
# (Wikipedia style links). The two branches start with disjoint characters, so matching stays linear.
_URL_BODY = r"(?:[^\s<>()]|\([^\s<>()]*\))+"
_URL = re.compile(rf"(?:https?://|(?<![\w.])www\.){_URL_BODY}", re.IGNORECASE)
_ANGLE_URL = re.compile(r"<((?:https?://|www\.)[^\s<>]+)>", re.IGNORECASE)
_MASKED_LINK = re.compile(
    rf"\[([^\[\]\n]*)\]\(\s*<?((?:https?://|www\.){_URL_BODY})>?(?:\s+\"[^\"\n]*\")?\s*\)",
    re.IGNORECASE,
)
_TRAILING_PUNCT = ".,;:!?'\"]}>*~|"

_USER_MENTION = re.compile(r"<@!?(\d{1,25})>")
_OTHER_TOKENS = re.compile(
    r"<@&\d{1,25}>"  # role
    r"|<#\d{1,25}>"  # channel
    r"|</[^<>\s:]{1,64}(?: [^<>\s:]{1,64}){0,2}:\d{1,25}>"  # slash command mention
    r"|<a?:\w{1,64}:\d{1,25}>"  # custom emoji, static or animated
    r"|<t:-?\d{1,20}(?::[tTdDfFR])?>"  # timestamp
    r"|<id:(?:customize|browse|guide|linked-roles)(?::\d{1,25})?>"  # guild navigation
    r"|(?<![\w@])@(?:everyone|here)\b"
)

_CODE_FENCE_LANG = re.compile(r"```[A-Za-z0-9_+#.-]{1,20}\n")
_HEADER = re.compile(r"^[ \t]*(?:#{1,3}|-#)[ \t]+", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*>(?:>>)?[ \t]?", re.MULTILINE)
# Emphasis markers: runs of 1-3 "*" or "_" (not mixed, not escaped). A run can open a span when it is
# not preceded by a word character and is followed by a non-space, close one when it is preceded by a
# non-space and not followed by a word character. Only runs that pair up (same marker, opener before
# closer) are removed, so masks such as "f***", "a**hole" or "f*ck" stay for the de-obfuscation step.
_EMPHASIS_RUN = re.compile(r"(?<![\\*_])(?:\*{1,3}+|_{1,3}+)(?![*_])")
_PAIRED = re.compile(r"(?<!\\)(?:~~|\|\|)")
_BACKTICKS = re.compile(r"(?<!\\)`+")
_ESCAPE = re.compile(r"\\([*_~|`>#\[\]()\\-])")


@dataclass(frozen=True, slots=True)
class MarkupResult:
    """Plain text without Discord markup, plus what was taken out of it."""

    text: str
    urls: tuple[str, ...]
    mentions: tuple[int, ...]


def _trim_url(url: str) -> tuple[str, str]:
    """Split off trailing punctuation that belongs to the sentence, not the URL (``)`` only comes in
    balanced pairs, see ``_URL_BODY``)."""
    end = len(url)
    while end > 0 and url[end - 1] in _TRAILING_PUNCT:
        end -= 1
    return url[:end], url[end:]


def _dedupe(items: list[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


_ANY_LINK = re.compile(
    f"(?P<masked>{_MASKED_LINK.pattern})|(?P<angle>{_ANGLE_URL.pattern})|(?P<bare>{_URL.pattern})",
    re.IGNORECASE,
)


def strip_markup(text: str) -> MarkupResult:
    """Remove Discord markup from ``text``; URLs and user mentions are collected, in order, deduplicated."""
    urls: list[str] = []
    mentions: list[int] = []

    def link(match: re.Match[str]) -> str:
        # One pass over masked, angle-bracket and bare links keeps ``urls`` in order of appearance.
        if match.group("masked") is not None:
            inner = _MASKED_LINK.fullmatch(match.group("masked"))
            assert inner is not None
            urls.append(inner.group(2))
            return inner.group(1)
        if match.group("angle") is not None:
            urls.append(match.group("angle")[1:-1])
            return " "
        url, tail = _trim_url(match.group("bare"))
        if url:
            urls.append(url)
        return " " + tail

    def mention(match: re.Match[str]) -> str:
        mentions.append(int(match.group(1)))
        return " "

    # URLs go first so that markers inside them ("_" in a path) are not taken for markup.
    text = _ANY_LINK.sub(link, text)
    text = _USER_MENTION.sub(mention, text)
    text = _OTHER_TOKENS.sub(" ", text)
    text = _CODE_FENCE_LANG.sub("", text)
    text = _HEADER.sub("", text)
    text = _QUOTE.sub("", text)
    text = _PAIRED.sub("", text)
    text = _BACKTICKS.sub("", text)
    text = _strip_emphasis(text)
    text = _ESCAPE.sub(r"\1", text)
    return MarkupResult(text=text, urls=_dedupe(urls), mentions=_dedupe(mentions))


def _strip_emphasis(text: str) -> str:
    """Remove paired emphasis markers (linear: one scan for candidates, a stack per marker)."""
    if "*" not in text and "_" not in text:
        return text
    length = len(text)
    pending: dict[str, list[tuple[int, int]]] = {}
    remove: list[tuple[int, int]] = []
    for match in _EMPHASIS_RUN.finditer(text):
        start, end = match.span()
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < length else " "
        can_open = not after.isspace() and not (before.isalnum() or before == "_")
        can_close = not before.isspace() and not (after.isalnum() or after == "_")
        stack = pending.setdefault(match.group(0), [])
        if can_close and stack:
            remove.append(stack.pop())
            remove.append((start, end))
        elif can_open:
            stack.append((start, end))
    if not remove:
        return text
    remove.sort()
    pieces = []
    cursor = 0
    for start, end in remove:
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
