"""Claim picking: from a long message, the one or two sentences most likely to be checkable claims.

A cheap, explainable heuristic (no model): numbers, dates, named entities (capitalised words past the
first), and assertion verbs raise a sentence's score; questions, hedged opinion ("I think", "I wish",
"would be great"), insults-only and very short sentences lower it. The searched sentence is always
shown to the member, so a wrong pick is visible, never silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9À-Ý])|\n+")
_NUMBER = re.compile(r"\b\d[\d,.]*(?:%|\s?(?:percent|million|billion|thousand|km|kilometers|miles))?\b")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_WORD = re.compile(r"[A-Za-zÀ-ÿ][\w'’-]*")
_ASSERTION_VERBS = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "lost",
        "killed",
        "authorized",
        "authorised",
        "authorize",
        "authorise",
        "allowed",
        "banned",
        "launched",
        "shot",
        "downed",
        "destroyed",
        "attacked",
        "struck",
        "strike",
        "strikes",
        "bombed",
        "invaded",
        "occupied",
        "signed",
        "announced",
        "reported",
        "confirmed",
        "denied",
        "admitted",
        "said",
        "stated",
        "claimed",
        "spoof",
        "spoofs",
        "spoofed",
        "jam",
        "jams",
        "jammed",
        "built",
        "deployed",
        "sold",
        "bought",
        "supplied",
        "delivered",
        "provided",
        "funded",
        "owns",
        "controls",
        "won",
        "increased",
        "decreased",
        "rose",
        "fell",
        "grew",
        "dropped",
        "doubled",
        "tripled",
        "caused",
        "died",
        "visited",
        "met",
        "became",
        "holds",
        "hold",
        "created",
        "elected",
        "voted",
        "approved",
        "rejected",
        "arrested",
        "sanctioned",
        "escorted",
        "tolerated",
        "limited",
    ]
)
_OPINION = re.compile(
    r"\b(i (?:think|believe|feel|guess|suppose|wonder|hope|wish|doubt|bet)|in my (?:opinion|view)|imo|imho"
    r"|would be (?:great|nice|good|better)|should|must be|seems? to me|maybe|perhaps|probably"
    r"|let'?s hope|lol|lmao|haha)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:who|what|when|where|why|how|is|are|do|does|did|can|could|will|would)\b", re.IGNORECASE
)
_FUNCTION_CAPS = frozenset(
    {"I", "The", "A", "An", "And", "But", "Or", "It", "This", "That", "Oh", "No", "Yes"}
)


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    text: str
    score: float
    index: int


@dataclass(frozen=True, slots=True)
class ClaimPick:
    """The text to search (one or two sentences, in message order) and every sentence's score."""

    text: str
    sentences: tuple[ScoredSentence, ...]

    @property
    def picked(self) -> tuple[ScoredSentence, ...]:
        return tuple(s for s in self.sentences if s.text in self.text)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (also split on line breaks and on dash-led list lines)."""
    text = re.sub(r"\s*[–—]\s+", "\n", text.strip()) if "\n" in text else text.strip()
    parts = (p.strip(" \t-–—•*") for p in _SENTENCE_END.split(text))
    return [p for p in parts if p and _WORD.search(p)]


def score_sentence(sentence: str) -> float:
    """How likely ``sentence`` is to be a factual, checkable claim (unbounded, higher = likelier)."""
    words = _WORD.findall(sentence)
    n = len(words)
    score = 0.0
    numbers = _NUMBER.findall(sentence)
    score += min(len(numbers), 3) * 1.5
    score += 0.5 if _YEAR.search(sentence) else 0.0
    names = {w for i, w in enumerate(words) if i > 0 and w[0].isupper() and w not in _FUNCTION_CAPS}
    if words and words[0][0].isupper() and words[0] not in _FUNCTION_CAPS and len(words[0]) > 2:
        names.add(words[0])  # a sentence may open with a name ("Putin told Assad ...")
    # Designations like F16s / S300 count as entities.
    names |= {w for w in words if re.fullmatch(r"[A-Z]+-?\d+\w*", w)}
    score += min(len(names), 4) * 0.75
    lowered = [w.lower().strip("'’") for w in words]
    if any(w in _ASSERTION_VERBS for w in lowered):
        score += 1.0
    if 6 <= n <= 45:
        score += 1.0
    elif n < 4:
        score -= 2.0
    if sentence.rstrip().endswith("?") or _QUESTION_START.match(sentence):
        score -= 3.0
    if _OPINION.search(sentence):
        score -= 2.0
    if not names and not numbers:
        score -= 1.0
    return score


def pick_claim(text: str, *, max_sentences: int = 2, max_chars: int = 400) -> ClaimPick:
    """Pick the sentence most likely to be a factual claim, and a second one if it scores close.

    Short texts (one sentence) are returned whole. The result keeps message order.
    """
    sentences = split_sentences(text)
    if not sentences:
        return ClaimPick(text=text.strip()[:max_chars], sentences=())
    scored = tuple(ScoredSentence(s, score_sentence(s), i) for i, s in enumerate(sentences))
    if len(scored) == 1:
        return ClaimPick(text=scored[0].text[:max_chars], sentences=scored)
    ranked = sorted(scored, key=lambda s: (-s.score, s.index))
    chosen = [ranked[0]]
    for candidate in ranked[1:max_sentences]:
        best = ranked[0].score
        if candidate.score >= 2.0 and candidate.score >= 0.75 * best:
            if sum(len(c.text) for c in chosen) + len(candidate.text) + 1 > max_chars:
                break
            chosen.append(candidate)
    chosen.sort(key=lambda s: s.index)
    return ClaimPick(text=" ".join(c.text for c in chosen)[:max_chars], sentences=scored)
