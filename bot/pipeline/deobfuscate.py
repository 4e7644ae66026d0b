"""Word-level de-obfuscation: spaced-out letters, leetspeak and ``*`` masks, stretched letters.

All rewrites are conservative: leetspeak and masks are resolved only when the result is a word from
:mod:`bot.pipeline.lexicon`, so ordinary numbers ("54 strikes in 2019", "F16s", "F-35", "24/7",
"$5.99", "10:30") survive untouched. Letters split by a separator are merged only in runs of three or
more single characters.
"""

from __future__ import annotations

import re

from bot.pipeline import lexicon
from bot.pipeline.typos import is_known_word, repair_typos

LEET: dict[str, str] = {
    "0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "il", "|": "il", "€": "e", "£": "l", "+": "t", "(": "c", "¢": "c",
}  # fmt: skip
_LEET_CHARS = re.escape("".join(LEET))
_MASK = "*"

# --- letters split by spaces, dots, dashes ... -------------------------------------------------------
# A "single" is one letter or leet character standing alone; the same separator must repeat between
# at least three singles ("i d i o t", "i.d.i.o.t", "i - d - i - o - t"), and the run must not run on
# into a word. The separator is captured once and back-referenced. ``_SPACED_RUN`` takes a whole run
# (two singles or more) in one possessive sweep; :func:`_merge_spaced_runs` then decides what to merge
# and moves on past the run, so no part of a run is scanned twice (see there).
_SINGLE = rf"[A-Za-z{_LEET_CHARS}]"
_SEPARATOR = r"[ \t]{1,3}|[ \t]{0,2}[.\-_·•*][ \t]{0,2}"
_SPACED_RUN = re.compile(rf"(?<![\w@$*])({_SINGLE})({_SEPARATOR})({_SINGLE})((?:\2{_SINGLE})*+)")
_RUNS_ON = re.compile(r"[\w@$]")
_LETTER = re.compile(r"[A-Za-z]")


# A whole sentence spelled out keeps its word breaks as wider gaps: ``i w i l l  k i l l  y o u``. A run
# of singles separated by blanks is found first (each single stands alone, so the run can always end
# where it stops: one pass, no backtracking across the run); when its gaps are a mix of one space
# (inside a word) and wider ones (two or more blanks, or a tab: between words), each word is merged
# on its own. Runs with one kind of gap are left to ``_merge_spaced_runs`` (one word, as before).
_STANDALONE = rf"{_SINGLE}(?![\w@$])"
_BLANK_RUN = re.compile(rf"(?<![\w@$*]){_STANDALONE}(?:[ \t]+{_STANDALONE})*")
_BLANKS = re.compile(r"[ \t]+")
_WIDE_GAP = re.compile(r" {2,}|[ \t]*\t[ \t]*")


# "i w i l l  k i l l  y o u": the pronoun is often spelled with the narrow gap of the word after it.
# Inside a run that shows its word breaks, "i" + one of these verbs is split off ("iwill" -> "i will");
# no English word is spelled "i" + one of them.
_AFTER_I = frozenset(
    (
        "will", "would", "am", "hate", "want", "wish", "hope", "know", "think", "can", "could", "should",
        "shall", "must", "need", "have", "had", "do", "did", "dont", "cant", "wont", "love", "swear",
        "bet", "mean", "see", "saw", "said", "told", "was", "got", "just", "really", "kill",
    )
)  # fmt: skip


def _merge_word(word: str) -> str:
    letters = word.replace(" ", "")
    if sum(1 for _ in _LETTER.finditer(letters)) < 2:
        return word  # "1 5" is not a word: keep it spaced (the single-gap pass below decides)
    if letters[:1] in "iI" and word[1:2] == " " and letters[1:].lower() in _AFTER_I:
        return f"{letters[0]} {letters[1:]}"
    return letters


def _split_spaced_words(match: re.Match[str]) -> str:
    run = match.group(0)
    gaps = _BLANKS.findall(run)
    kinds = set(gaps)
    if len(kinds) < 2 or " " not in kinds:
        return run  # one kind of gap (or no narrow one): a single spaced word, or none
    if len(gaps) < 2:
        return run  # fewer than three singles
    return " ".join(_rejoin_stray_gaps([_merge_word(word) for word in _WIDE_GAP.split(run)]))


def _rejoin_stray_gaps(words: list[str]) -> list[str]:
    """``id iot`` -> ``idiot``: a stray wide gap inside a spelled-out word is not a word break when the
    two halves make a lexicon word and at least one half is no word of its own."""
    out: list[str] = []
    for word in words:
        if out:
            joined = (out[-1] + word).lower()
            halves_known = is_known_word(out[-1].lower()) and is_known_word(word.lower())
            if joined in lexicon.WORD_SET and not halves_known:
                out[-1] += word
                continue
        out.append(word)
    return out


def merge_spaced_letters(text: str) -> str:
    """``i d i o t`` / ``i.d.i.o.t`` / ``i-d-i-o-t`` -> ``idiot`` (runs of >= 3 singles, >= 2 letters).

    In a run whose gaps mix one space and wider blanks (two or more spaces, or a tab), the wider gaps
    are word breaks: ``y o u  a r e  a n  i d i o t`` -> ``you are an idiot``.
    """
    if "  " in text or "\t" in text:
        text = _BLANK_RUN.sub(_split_spaced_words, text)
        # The wide gaps have done their work: from here on every gap is one space, as it always was
        # ("i  d  i  o  t" and "I.  1. I" merge exactly as "i d i o t" and "I. 1. I").
        text = _WIDE_GAP.sub(" ", text)

    return _merge_spaced_runs(text)


def _merge_spaced_runs(text: str) -> str:
    r"""Merge each run of three or more singles with one repeated separator (``i.d.i.o.t``).

    A run is merged whole when the character after it does not run on into a word; when it does
    (``a.b.c.dx``), the run without its last single is merged instead, if that leaves three singles and
    the separator does not itself start with a word character (``_``). Otherwise nothing in the run is
    merged: every later single of the run would see the same separator and the same ending. Scanning
    resumes after what was merged, or at the run's last single, which may open a run of its own with
    another separator (``a_ b_ c_d_e``). This is what the backtracking pattern
    ``(?<![\w@$*])(S)(SEP)(S)((?:\2S)+)(?![\w@$])`` matched, in time linear in the text.
    """
    pieces: list[str] = []
    done = 0  # text[:done] is in ``pieces``
    position = 0
    while (match := _SPACED_RUN.search(text, position)) is not None:
        separator = match.group(2)
        singles = 2 + len(match.group(4)) // (len(separator) + 1)
        end = match.end()
        if singles >= 3 and not _RUNS_ON.match(text, end):
            merge_end = end
        elif singles >= 4 and not _RUNS_ON.match(separator):
            merge_end = end - len(separator) - 1
        else:
            position = end - 1  # the last single: it may start another run
            continue
        run = text[match.start() : merge_end]
        letters = run.replace(separator, "")
        if sum(1 for _ in _LETTER.finditer(letters)) >= 2:  # "1 - 2 - 3", ". . . ." : not a word
            pieces.append(text[done : match.start()])
            pieces.append(letters)
            done = merge_end
        position = merge_end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


# --- leetspeak and masks -----------------------------------------------------------------------------
_TOKEN = re.compile(rf"[A-Za-z0-9{_LEET_CHARS}*]+")
_HAS_LEET = re.compile(rf"[{_LEET_CHARS}*]")
_HAS_SIGNAL = re.compile(r"[A-Za-z@$]")
_EDGE_PUNCT = "!|+(*"


def _position_masks() -> dict[int, list[dict[str, int]]]:
    """For each word length, per position: character -> bit set of the words (bit i: the i-th word of
    that length in priority order) that have that character there."""
    index: dict[int, list[dict[str, int]]] = {}
    for length, words in lexicon.BY_LENGTH.items():
        positions: list[dict[str, int]] = [{} for _ in range(length)]
        for bit, word in enumerate(words):
            for position, char in enumerate(word):
                positions[position][char] = positions[position].get(char, 0) | (1 << bit)
        index[length] = positions
    return index


_POSITION_MASKS = _position_masks()


def _resolve(token: str) -> str | None:
    """The lexicon word that ``token`` spells with leet characters or ``*`` masks, if exactly placed.

    The first word in priority order whose every letter is the token's character there, one of its
    leet readings, or any letter under a ``*``: the bit sets of the words that fit each position are
    intersected, so the cost does not grow with the number of words of that length."""
    lower = token.lower()
    positions = _POSITION_MASKS.get(len(lower))
    if positions is None:
        return None
    fits = -1  # every word
    for char, by_char in zip(lower, positions, strict=True):
        if char == _MASK:
            allowed = 0
            for target, bits in by_char.items():
                if target.isalpha():
                    allowed |= bits
        else:
            allowed = by_char.get(char, 0)
            for target in LEET.get(char, ""):
                allowed |= by_char.get(target, 0)
        fits &= allowed
        if not fits:
            return None
    return lexicon.BY_LENGTH[len(lower)][(fits & -fits).bit_length() - 1]


def resolve_leetspeak(text: str) -> str:
    """``1d10t`` -> ``idiot``, ``@ss`` -> ``ass``, ``$hit`` -> ``shit``, ``f*ck`` -> ``fuck``.

    Only tokens that contain a leet or mask character and at least one letter (or ``@``/``$``) are
    looked at, and only rewritten when they spell a lexicon word letter for letter.
    """
    if not _HAS_LEET.search(text):
        return text

    def token(match: re.Match[str]) -> str:
        raw = match.group(0)
        if len(raw) < 3 or len(raw) > lexicon.MAX_LENGTH + 2 or not _HAS_LEET.search(raw):
            return raw
        if not _HAS_SIGNAL.search(raw):
            return raw  # digits and masks only: a number, never a word
        word = _resolve(raw)
        if word is not None:
            return lexicon.case_like(word, raw)
        # "idiot!" / "(idiot" : punctuation at the edges is not part of the word
        core = raw.strip(_EDGE_PUNCT)
        if core != raw and len(core) >= 3 and _HAS_LEET.search(core) and _HAS_SIGNAL.search(core):
            word = _resolve(core)
            if word is not None:
                start = raw.index(core)
                return raw[:start] + lexicon.case_like(word, core) + raw[start + len(core) :]
        return raw

    return _TOKEN.sub(token, text)


# --- stretched letters -------------------------------------------------------------------------------
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")
_PUNCT_RUN = re.compile(r"([^\w\s])\1{3,}")
_ALPHA_WORD = re.compile(r"[^\W\d_]+")
_DOUBLE = re.compile(r"([^\W\d_])\1")


def squeeze_repeats(text: str) -> str:
    """Cap runs of one letter at two (``stuuuupid`` -> ``stuupid``, then ``stupid`` when that is a known
    word) and runs of one punctuation mark at three. Digits are never touched (1000000 survives)."""
    if _LETTER_RUN.search(text):

        def word(match: re.Match[str]) -> str:
            raw = match.group(0)
            if not _LETTER_RUN.search(raw):
                return raw
            capped = _LETTER_RUN.sub(r"\1\1", raw)
            if capped.lower() not in lexicon.WORD_SET and len(capped) <= lexicon.MAX_LENGTH * 2:
                single = _DOUBLE.sub(r"\1", capped)
                if single.lower() in lexicon.WORD_SET:
                    return single
            return capped

        text = _ALPHA_WORD.sub(word, text)
    return _PUNCT_RUN.sub(r"\1\1\1", text)


def deobfuscate_words(text: str) -> str:
    """Spaced letters, then leetspeak and masks, then stretched letters, then a dropped or swapped letter."""
    text = merge_spaced_letters(text)
    text = resolve_leetspeak(text)
    return repair_typos(squeeze_repeats(text))
