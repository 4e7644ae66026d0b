"""Seeded generator of hostile chat messages for the fuzz tests (not a test module itself).

Every message is built from a ``random.Random(seed)``, so a failure names a seed and an index that
reproduce it. The mix: random code points from every plane (lone surrogates, private use, unassigned,
controls and NUL included), ordinary sentences with insults and parties spliced with lone surrogates,
zalgo marks, bidi controls, zero-width and control characters, Discord markup, homoglyphs and leetspeak,
and the crafted patterns of ``benchmarks/prepare_speed.py`` at up to 20,000 characters.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[1]
LONG = 20_000
"""The length of the longest messages (Discord allows 4,000; the bot must not care)."""


def _load_speed_patterns() -> dict[str, Callable[[int], str]]:
    spec = importlib.util.spec_from_file_location(
        "prepare_speed_patterns", REPO_ROOT / "benchmarks/prepare_speed.py"
    )
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.PATTERNS)


PATTERNS = _load_speed_patterns()

_WORDS = (
    "you", "your", "u", "ya", "y'all", "he", "she", "they", "the", "senator", "minister", "Trump", "Biden",
    "is", "are", "was", "an", "a", "idiot", "moron", "clown", "stupid", "liar", "pathetic", "and", "but",
    "because", "I", "think", "agree", "news", "article", "gas", "prices", "kill", "die", "hate", "love",
    "1d10t", "f*ck", "$hit", "@ss", "i d i o t", "i.d.i.o.t", "stuuuupid", "idot", "mslims", "𝐢𝐝𝐢𝐨𝐭",
    "аss", "ιdiot", "Ⓘⓓⓘⓞⓣ", "ＩＤＩＯＴ", "!!!", "???", "...", "lol", "😀", "🤡", "🇺🇸",
)  # fmt: skip
_MARKUP = (
    "<@123>", "<@!456>", "<@&7>", "<#8>", "<:emo:9>", "<a:emo:10>", "<t:1700000000:R>", "<t:-99999999999999>",
    "@everyone", "https://example.com/a_(b)", "<https://x.y>", "[link](https://x.y \"t\")", "**", "__", "*",
    "_", "~~", "||", "`", "```py\n", "```", "> ", "# ", "-# ", "\\*", "</cmd sub:1>", "www.example.org",
)  # fmt: skip
_INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)
_CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x0e\x1b\x1c\x1f\x7f\x85\u2028\u2029\r"
_MARKS = [chr(cp) for cp in (*range(0x300, 0x370), *range(0x483, 0x48A), *range(0x1AB0, 0x1ABF), 0x20DD)]


def lone_surrogate(rng: random.Random) -> str:
    """One unpaired surrogate code point (high or low)."""
    return chr(rng.randrange(0xD800, 0xE000))


def _random_code_points(rng: random.Random, length: int) -> str:
    out = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.1:
            out.append(lone_surrogate(rng))
        elif roll < 0.2:
            out.append(rng.choice(_CONTROLS + _INVISIBLE))
        elif roll < 0.5:
            out.append(chr(rng.randrange(0x20, 0x2000)))
        else:
            out.append(chr(rng.randrange(0, 0x110000)))
    return "".join(out)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)) + rng.choice(("", ".", "!", "?", " ,", "\n"))


def _splice(rng: random.Random, text: str, pieces: Callable[[], str], count: int) -> str:
    chars = list(text)
    for _ in range(count):
        chars.insert(rng.randrange(len(chars) + 1), pieces())
    return "".join(chars)


def _zalgo(rng: random.Random, text: str) -> str:
    return "".join(char + "".join(rng.choice(_MARKS) for _ in range(rng.randrange(0, 12))) for char in text)


def _crafted(rng: random.Random, length: int) -> str:
    return PATTERNS[rng.choice(sorted(PATTERNS))](length)


def message(rng: random.Random) -> str:
    """One hostile message; about 1% of them are ``LONG`` characters long."""
    kind = rng.randrange(12)
    if rng.random() < 0.01:
        return _crafted(rng, LONG) if rng.random() < 0.7 else _random_code_points(rng, LONG)
    if kind == 0:
        return _random_code_points(rng, rng.randrange(0, 200))
    if kind == 1:
        return _splice(
            rng, _sentence(rng, rng.randrange(1, 30)), lambda: lone_surrogate(rng), rng.randrange(1, 4)
        )
    if kind == 2:
        return _zalgo(rng, _sentence(rng, rng.randrange(1, 12)))
    if kind == 3:
        return _splice(rng, _sentence(rng, rng.randrange(1, 20)), lambda: rng.choice(_INVISIBLE), 6)
    if kind == 4:
        return _splice(rng, _sentence(rng, rng.randrange(1, 20)), lambda: rng.choice(_CONTROLS), 4)
    if kind == 5:
        return _splice(rng, _sentence(rng, rng.randrange(1, 20)), lambda: rng.choice(_MARKUP), 4)
    if kind == 6:
        return _crafted(rng, rng.randrange(1, 600))
    if kind == 7:
        return "".join(rng.choice(_MARKUP) + rng.choice(_WORDS) for _ in range(rng.randrange(1, 20)))
    if kind == 8:
        return rng.choice(("", " ", "\n", "\x00", "\ud800", "\udfff", "\ud83d\ude00", "\ud83d", "\ufffd", "‮"))
    if kind == 9:  # a valid pair split apart, a pair reversed, pairs glued to text
        return rng.choice(("a\ud83d", "\ude00b", "\ude00\ud83d", "id\ud83d\ude00iot")) + _sentence(rng, 5)
    if kind == 10:
        return _sentence(rng, rng.randrange(1, 120))
    return "".join(
        rng.choice((_sentence(rng, 3), _random_code_points(rng, 5), rng.choice(_MARKUP), "\n"))
        for _ in range(rng.randrange(1, 15))
    )


def messages(seed: int, count: int) -> list[str]:
    """``count`` hostile messages from ``seed``."""
    rng = random.Random(seed)
    return [message(rng) for _ in range(count)]
