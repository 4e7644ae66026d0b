"""Whether a message speaks to someone in the conversation.

An insult with "you" in it, or aimed at a mentioned member, is an attack on a participant; one that
names nobody in the conversation ("the minister is a clown") is usually a jeer at a public figure or a
third party. The policy treats the two differently (``unaddressed_insults`` in config/default.toml).
"""

from __future__ import annotations

import re

_SECOND_PERSON = re.compile(
    r"(?<![\w'’])(?:you|your|yours|yourself|yourselves|you're|youre|you’re|you've|you’ve|you'll|you’ll"
    r"|you'd|you’d|ya|u|ur|y'all|y’all|yall|thou|thee|thy)(?![\w'’]|\.\w)",
    re.IGNORECASE,
)


def addresses_someone(text: str, *, mentions: int = 0) -> bool:
    """True when ``text`` uses the second person or the message mentions a member."""
    return mentions > 0 or _SECOND_PERSON.search(text) is not None
