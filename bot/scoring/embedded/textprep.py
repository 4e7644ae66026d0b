"""Light, idempotent cleaning applied to training texts and at scoring time alike.

This is not the de-obfuscation of ``bot.pipeline`` (which runs before the scorer); it only removes
platform noise the training sources carry (HTML entities, retweet markers, @handles, URLs) so that the
model does not learn the noise of one source as a signal.
"""

from __future__ import annotations

import html
import re

from bot.pipeline.characters import drop_lone_surrogates

_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@[A-Za-z0-9_]+")
# "RT: " or "RT " before the next word. The possessive runs make it linear (the plain form, with three
# quantifiers over one run of blanks, took seconds on "RT" and 20,000 spaces); same matches.
_RT = re.compile(r"(^|\s)RT(?:\s*+:\s++(?=\S)|\s++(?=\S))")
_SPACES = re.compile(r"\s+")
_REPEAT = re.compile(r"(.)\1{3,}")


def clean_text(text: str) -> str:
    """Unescape HTML, drop URLs and retweet markers, replace @handles by "@user", squeeze repeats/spaces.

    Lone surrogates are dropped first: the hashers and the tokenizer take only text that has a UTF-8
    form, and the scorer may be handed text that ``bot.pipeline`` never prepared. (``html.unescape``
    already turns an entity such as ``&#xd800;`` into U+FFFD.)
    """
    text = html.unescape(html.unescape(drop_lone_surrogates(text or "")))
    text = _URL.sub(" ", text)
    text = _RT.sub(" ", text)
    text = _MENTION.sub("@user", text)
    text = text.replace("@USER", "@user").replace(" URL", " ")
    text = _REPEAT.sub(r"\1\1\1", text)
    return _SPACES.sub(" ", text).strip()
