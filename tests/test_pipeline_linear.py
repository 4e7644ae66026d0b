"""Text preparation is linear in the input, and the linear rewrites decide exactly as the old code did.

The probe: ``prepare(".,"*999 + "x")`` took 85-93 ms at 2,000 characters and 5 s at 20,000 (the clause
splitter's punctuation run, tried from every mark), and the insults x parties loops, the spaced-letter
pattern (``a_ b_ c_ ...``), the leetspeak resolver and the typo candidates were super-linear or slow
too. Each rewrite is checked here against the code it replaced, kept below as a reference, on seeded
random strings built from the characters that matter to it; and ``prepare`` is timed on every crafted
pattern of ``benchmarks/prepare_speed.py`` at 2,000 and 20,000 characters.
"""

from __future__ import annotations

import random
import re
import string
import time

import pytest

from bot.pipeline import address, deobfuscate, lexicon, prepare, typos
from bot.scoring.embedded import textprep
from tests.fuzz_messages import PATTERNS

# --- the replaced code, as it was -------------------------------------------------------------------
OLD_SPACED = re.compile(
    rf"(?<![\w@$*])({deobfuscate._SINGLE})({deobfuscate._SEPARATOR})({deobfuscate._SINGLE})"
    rf"((?:\2{deobfuscate._SINGLE})+)(?![\w@$])"
)
OLD_CLAUSE_BREAK = re.compile(
    r"[.!?;:,]+(?=\s|$)|[()\n]+|\s[-–—]\s|\b(?:but|and|while|whereas|because)\b", re.IGNORECASE
)
# Searched from the clause start for every capitalised party ("you" as the address module spells it).
OLD_AFTER_YOU = re.compile(rf"(?<![\w'’])(?:{address._YOU}|ya|u|y'all|y’all|yall)\s+$", re.IGNORECASE)
OLD_RT = re.compile(r"(^|\s)RT\s*:?\s+(?=@|\S)")


def old_merge_spaced(text: str) -> str:
    def merge(match: re.Match[str]) -> str:
        separator = match.group(2)
        letters = (match.group(1) + match.group(3) + match.group(4)).replace(separator, "")
        if sum(1 for _ in re.finditer("[A-Za-z]", letters)) < 2:
            return match.group(0)
        return letters

    return OLD_SPACED.sub(merge, text)


def old_aims_at_second_person(clause: str) -> bool:
    if not address._SECOND_PERSON.search(clause):
        return False
    parties = [(m.start(), m.end(), True) for m in address._SECOND_PERSON.finditer(clause)]
    insults = list(address._INSULT.finditer(clause))
    parties += [
        (m.start(), m.end(), False)
        for m in address._THIRD_PARTY.finditer(clause)
        if not any(m.start() < i.end() and i.start() < m.end() for i in insults)
        and address._SUBJECT_OF_VERB.match(clause, m.end())
        and not (m.group(0)[0].isupper() and OLD_AFTER_YOU.search(clause, 0, m.start()))
    ]
    for insult in insults:
        before = [p for p in parties if p[1] <= insult.start()]
        after = [p for p in parties if p[0] >= insult.end()]
        if before:
            nearest = max(before, key=lambda p: p[1])
        elif after:
            nearest = min(after, key=lambda p: p[0])
        else:
            continue
        if nearest[2]:
            return True
    return False


def old_resolve(token: str) -> str | None:
    lower = token.lower()
    for word in lexicon.BY_LENGTH.get(len(lower), ()):
        for char, target in zip(lower, word, strict=True):
            if char == target or (char == "*" and target.isalpha()):
                continue
            if target in deobfuscate.LEET.get(char, ""):
                continue
            break
        else:
            return word
    return None


def old_candidates(word: str, *, groups_only: bool = False) -> set[str]:
    found: set[str] = set()
    targets = typos._targets(groups_only)
    for i in range(1, len(word) + 1):
        for letter in string.ascii_lowercase:
            if (candidate := word[:i] + letter + word[i:]) in targets:
                found.add(candidate)
    if len(word) >= typos._MIN_TARGET:
        for i in range(len(word) - 1):
            candidate = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if candidate != word and candidate in targets:
                found.add(candidate)
    return found


def _strings(seed: int, alphabet: list[str], count: int, longest: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, longest))) for _ in range(count)]


# --- same decisions --------------------------------------------------------------------------------
def test_spaced_letters_merge_exactly_as_the_backtracking_pattern_did() -> None:
    alphabet = [*"aIbZ1@$!|(x_ .-*·•\té\n", "  ", " _", "_ ", " . "]
    for text in _strings(1, alphabet, 30_000, 16):
        assert deobfuscate._merge_spaced_runs(text) == old_merge_spaced(text), repr(text)
    for text in ("i d i o t", "i.d.i.o.t", "a.b.c.dx", "a_ b_ c_ ab", "a_ b_ c_d_e", "1 - 2 - 3", "a_b_c_d_"):
        assert deobfuscate._merge_spaced_runs(text) == old_merge_spaced(text), text


def test_clause_breaks_and_addressing_decide_as_before() -> None:
    rng = random.Random(2)
    words = [
        *("you", "You", "u", "ya", "y'all", "yall", "y0u", "youuu", "yu", "idiot", "moron", "Idiots"),
        *("he", "she", "they", "Dumbass"),
        *("the", "senator", "Trump", "is", "was", "'s", "’s", "are", "like", "and", "but", "I", "What"),
    ]
    gaps = [" ", " ", "  ", ", ", ". ", ".,", "!", "?", " - ", "\n", "(", ")", ";", "\x1c", "\u2003", "'"]
    for _ in range(20_000):
        text = "".join(rng.choice(words) + rng.choice(gaps) for _ in range(rng.randrange(1, 12)))
        assert address._CLAUSE_BREAK.split(text) == OLD_CLAUSE_BREAK.split(text), repr(text)
        assert address._aims_at_second_person(text) == old_aims_at_second_person(text), repr(text)


def test_leetspeak_resolves_to_the_same_word() -> None:
    rng = random.Random(3)
    tokens = _strings(
        3, list(string.ascii_letters + string.digits + "*" + "".join(deobfuscate.LEET)), 20_000, 14
    )
    for word in lexicon.WORDS:
        leet_for = {target: [k for k, v in deobfuscate.LEET.items() if target in v] for target in word}
        tokens.append(
            "".join(rng.choice(["*", char, *leet_for[char]]) if rng.random() < 0.5 else char for char in word)
        )
    for token in tokens:
        assert deobfuscate._resolve(token) == old_resolve(token), token


def test_typo_candidates_are_the_same() -> None:
    words = _strings(4, list("aeioustnrlmdcbgkh"), 20_000, 12)
    for target in typos._targets(False):
        words += [target[:i] + target[i + 1 :] for i in range(len(target))]
        words += [target[:i] + target[i + 1] + target[i] + target[i + 2 :] for i in range(len(target) - 1)]
    for word in words:
        for groups_only in (False, True):
            assert typos._candidates(word, groups_only=groups_only) == old_candidates(
                word, groups_only=groups_only
            ), word


def test_retweet_marker_pattern_matches_as_before() -> None:
    for text in _strings(5, ["R", "T", "RT", " ", "  ", "\t", "\n", ":", "@", "x"], 30_000, 10):
        old = [(m.span(), m.groups()) for m in OLD_RT.finditer(text)]
        assert [(m.span(), m.groups()) for m in textprep._RT.finditer(text)] == old, repr(text)


# --- linear time -----------------------------------------------------------------------------------
def _cpu_ms(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        prepare(text)
        best = min(best, time.process_time() - started)
    return best * 1000


def test_the_probe_input_is_fast() -> None:
    prepare("warm up")
    assert _cpu_ms(".," * 999 + "x", 3) < 20
    assert _cpu_ms(".," * 9_999 + "x", 1) < 400  # was about 5,000 ms


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_prepare_time_grows_linearly(name: str) -> None:
    """20,000 characters cost about ten times 2,000 (the benchmark holds it to 15; a quadratic step
    gives 40-100). Below a few milliseconds fixed costs dominate, so only the ratio above them counts."""
    build = PATTERNS[name]
    prepare("warm up the caches: idiot, 1d10t, i d i o t")
    small = _cpu_ms(build(2_000), 3)
    large = _cpu_ms(build(20_000), 2)
    assert large / max(small, 1.0) < 25, f"{name}: {small:.1f} ms at 2,000 chars, {large:.1f} ms at 20,000"
