"""Words that people obfuscate to dodge filters.

Leetspeak and ``*`` masks are only resolved when the result is one of these words (or an inflection),
so numbers and model names ("F16s", "S300", "24/7", "1080p") are never rewritten. The list is data for
de-obfuscation, not a filter: the scorer decides what is toxic. Order matters for ambiguous masks:
the first word that fits wins.

:data:`IDENTITY_WORDS` names the groups that hate speech targets ("j3ws", "musl1ms", "m*slims"): a
disguised group name hides who a message attacks. They come after :data:`BASE_WORDS` in priority, so
they only resolve tokens that no insult fits (``f***`` stays ``fuck``), and only letter for letter, so
ordinary numbers and model names are still never rewritten.
"""

from __future__ import annotations

from collections import defaultdict

BASE_WORDS: tuple[str, ...] = (
    "fuck", "shit", "bitch", "ass", "asshole", "idiot", "stupid", "moron", "dumb", "retard", "retarded",
    "cunt", "dick", "dickhead", "cock", "pussy", "bastard", "whore", "slut", "loser", "jerk", "twat",
    "wanker", "prick", "douche", "douchebag", "scum", "trash", "garbage", "pig", "rat", "clown",
    "imbecile", "cretin", "dipshit", "bullshit", "motherfucker", "fucker", "fucking", "shithead",
    "damn", "hell", "crap", "piss", "suck", "sucker", "kill", "die", "dead", "murder", "rape", "hate",
    "nigger", "nigga", "faggot", "fag", "dyke", "tranny", "kike", "spic", "chink", "wetback", "paki",
    "raghead", "towelhead", "gook", "coon", "nazi", "subhuman", "vermin", "parasite", "ugly", "fat",
    "freak", "psycho", "stfu", "gtfo", "kys", "porn", "sex", "penis", "vagina", "boobs", "tits",
)  # fmt: skip

IDENTITY_WORDS: tuple[str, ...] = (
    "jew", "jewish", "judaism", "muslim", "moslem", "islam", "islamic", "christian", "catholic",
    "hindu", "sikh", "atheist", "gay", "lesbian", "bisexual", "homosexual", "queer", "trans",
    "transgender", "black", "white", "immigrant", "migrant", "refugee", "arab", "asian", "mexican",
    "african", "latino", "latina", "hispanic", "chinese", "indian", "woman", "women", "female",
    "feminist",
)  # fmt: skip
"""Group names, after the insults in priority; plurals and inflections come from the suffixes."""

_SUFFIXES = ("", "s", "es", "ed", "er", "ers", "ing", "y", "ty", "head", "heads")


def _forms() -> tuple[str, ...]:
    forms: dict[str, None] = {}
    for word in (*BASE_WORDS, *IDENTITY_WORDS):
        for suffix in _SUFFIXES:
            forms.setdefault(word + suffix)
    return tuple(forms)


WORDS: tuple[str, ...] = _forms()
"""Every base word with its common inflections, in priority order."""
WORD_SET: frozenset[str] = frozenset(WORDS)


def _by_length() -> dict[int, tuple[str, ...]]:
    groups: defaultdict[int, list[str]] = defaultdict(list)
    for word in WORDS:
        groups[len(word)].append(word)
    return {length: tuple(words) for length, words in groups.items()}


BY_LENGTH: dict[int, tuple[str, ...]] = _by_length()
MAX_LENGTH: int = max(BY_LENGTH)


def case_like(word: str, token: str) -> str:
    """``word`` in the case of the ``token`` it replaces: ALL CAPS (2+ letters), Capitalised or lower."""
    letters = [c for c in token if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return word.upper()
    if letters and token[0].isupper():
        return word.capitalize()
    return word
