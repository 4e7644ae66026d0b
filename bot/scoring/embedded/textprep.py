"""Light, idempotent cleaning applied to training texts and at scoring time alike.

This is not the de-obfuscation of ``bot.pipeline`` (which runs before the scorer); it only removes
platform noise the training sources carry (HTML entities, retweet markers, @handles, URLs) so that the
model does not learn the noise of one source as a signal.
"""

from __future__ import annotations

import html
import re

_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@[A-Za-z0-9_]+")
_RT = re.compile(r"(^|\s)RT\s*:?\s+(?=@|\S)")
_SPACES = re.compile(r"\s+")
_REPEAT = re.compile(r"(.)\1{3,}")


def clean_text(text: str) -> str:
    """Unescape HTML, drop URLs and retweet markers, replace @handles by "@user", squeeze repeats/spaces."""
    text = html.unescape(html.unescape(text or ""))
    text = _URL.sub(" ", text)
    text = _RT.sub(" ", text)
    text = _MENTION.sub("@user", text)
    text = text.replace("@USER", "@user").replace(" URL", " ")
    text = _REPEAT.sub(r"\1\1\1", text)
    return _SPACES.sub(" ", text).strip()
