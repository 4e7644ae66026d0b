"""Text preparation must stay linear: ``prepare`` on crafted inputs at 2,000 and 20,000 characters.

Every input repeats one pattern built against a step of ``bot.pipeline`` (a regex that could backtrack,
a loop over insults and parties, the emphasis stack ...) up to the requested length. For each the
benchmark reports the best time of a few runs at 2,000 and at 20,000 characters and the ratio of the
two. Linear work gives a ratio near 10; quadratic work gives about 100. Times are the CPU time of
this process (``prepare`` is single-threaded), so other load on a shared machine does not inflate them.

Targets: ratio <= 15 for every pattern, and <= 20 ms at 2,000 characters. The exit status is 1 when a
target is missed, so the script can gate a change.

Run:  .venv/bin/python benchmarks/prepare_speed.py [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.pipeline import prepare

SMALL, LARGE = 2_000, 20_000
MAX_RATIO = 15.0
MAX_SMALL_MS = 20.0


def _repeat(unit: str, tail: str = "") -> Callable[[int], str]:
    """``unit`` repeated to ``n`` characters (cut there), then ``tail``."""

    def build(n: int) -> str:
        body_len = max(0, n - len(tail))
        return (unit * (body_len // len(unit) + 1))[:body_len] + tail

    return build


def _random_words(n: int) -> str:
    """Distinct made-up words (each one a typo-repair look-up), seeded."""
    rng = random.Random(n)
    words: list[str] = []
    length = 0
    while length < n:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(4, 12)))
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:n]


PATTERNS: dict[str, Callable[[int], str]] = {
    # address.py: clause breaks, insults x parties, third parties, second person
    "punct_pairs": _repeat(".,", "x"),
    "punct_before_space": _repeat(".,;:!?", " x"),
    "clause_words": _repeat("and but while "),
    "insults_and_parties": _repeat("you idiot he moron "),
    "insults_and_names": _repeat("You idiot Trump is a moron "),
    "the_x_parties": _repeat("the senator is an idiot you "),
    "names_after_you": _repeat("you Americans are idiots "),
    "insults_only": _repeat("idiot moron clown "),
    "you_only": _repeat("you "),
    # deobfuscate.py: spaced letters, wide gaps, leetspeak, masks, stretched letters
    "spaced_letters": _repeat("a "),
    "spaced_dots": _repeat("a."),
    "spaced_dashes": _repeat("a - "),
    "spaced_wide_gaps": _repeat("a b  "),
    "spaced_tabs": _repeat("a\t"),
    "spaced_mixed_separators": _repeat("a.b-c d_"),
    "spaced_underscores": _repeat("a_ ", "ab"),
    "spaced_underscores_wide": _repeat("a_  ", "ab"),
    "leet_tokens": _repeat("1d10t "),
    "leet_run": _repeat("1d10t"),
    "masks": _repeat("f*ck "),
    "masks_in_one_token": _repeat("#**idiot"),
    "stars": _repeat("*"),
    "dollars_ats": _repeat("$@"),
    "stretched_letter": _repeat("a"),
    "stretched_words": _repeat("stuuuupid "),
    "repeated_punct": _repeat("!"),
    "alternating_punct": _repeat("?!"),
    # typos.py: long words, unknown words
    "long_run_no_spaces": _repeat("abcdefghij"),
    "unknown_words": _repeat("idot sutpid mslims "),
    "random_words": _random_words,
    # characters.py: invisible, zalgo, bidi, homoglyphs, fancy letters
    "zalgo": _repeat("z\u0301\u0302\u0303\u0304\u0305\u0306\u0307"),
    "zalgo_one_base": lambda n: "z" + "\u0301\u0316\u0352\u0489" * ((n - 1) // 4),
    "bidi_controls": _repeat("a\u202e\u2066b\u2069\u202c"),
    "zero_width": _repeat("i\u200bd\u200c"),
    "homoglyphs_mixed": _repeat("аa ιd "),
    "cyrillic_text": _repeat("привет мир "),
    "fancy_letters": _repeat("𝐢𝐝𝐢𝐨𝐭 Ⓘⓓⓘⓞⓣ "),
    "lone_surrogates": _repeat("a\ud800 "),
    # markup.py: links, mentions, emphasis, code, quotes
    "emphasis_openers": _repeat("*a"),
    "emphasis_pairs": _repeat("**a** "),
    "underscores": _repeat("_"),
    "mention_tokens": _repeat("<@123> "),
    "broken_mentions": _repeat("<@"),
    "long_url": lambda n: "https://example.com/" + "a" * (n - 20),
    "url_parens": lambda n: "http://x/" + "(a)" * ((n - 9) // 3),
    "url_open_parens": lambda n: "http://x/" + "(" * (n - 9),
    "masked_link_opens": _repeat("[a]("),
    "angle_urls": _repeat("<http://"),
    "backticks": _repeat("`"),
    "quotes_headers": _repeat("> # x\n"),
    "escapes": _repeat("\\*"),
    # chunking.py and whitespace: sentences, newlines, spaces
    "sentences": _repeat("Short one. "),
    "newlines": _repeat("\n"),
    "space_newlines": _repeat(" \n"),
    "spaces": _repeat(" "),
    "space_before_punct": _repeat(" ."),
    "closing_quotes": _repeat('."'),
    "words": _repeat("word "),
    "control_chars": _repeat("a\x00\x01\x1b\x7f"),
}


def _best_ms(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        prepare(text)
        best = min(best, time.process_time() - started)
    return best * 1000


def measure(repeat: int = 5) -> list[dict[str, float | str | bool]]:
    """One row per pattern: ms at SMALL and LARGE characters, the ratio and whether both targets hold."""
    prepare("warm up the caches: idiot, 1d10t, i d i o t")
    rows: list[dict[str, float | str | bool]] = []
    for name, build in PATTERNS.items():
        small_ms = _best_ms(build(SMALL), repeat)
        large_ms = _best_ms(build(LARGE), repeat)
        # Sub-millisecond inputs are dominated by fixed costs; a ratio there means nothing.
        ratio = large_ms / max(small_ms, 0.5)
        ok = ratio <= MAX_RATIO and small_ms <= MAX_SMALL_MS
        rows.append({"pattern": name, "ms_2k": small_ms, "ms_20k": large_ms, "ratio": ratio, "ok": ok})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per input (the best one counts)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = measure(args.repeat)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(f"{'pattern':<26} {'2k ms':>8} {'20k ms':>9} {'ratio':>6}")
        for row in rows:
            flag = "" if row["ok"] else "  <-- MISSED"
            print(
                f"{row['pattern']:<26} {row['ms_2k']:>8.2f} {row['ms_20k']:>9.2f} {row['ratio']:>6.1f}{flag}"
            )
    missed = [str(row["pattern"]) for row in rows if not row["ok"]]
    worst_ratio = max(float(row["ratio"]) for row in rows)
    worst_small = max(float(row["ms_2k"]) for row in rows)
    print(
        f"worst ratio {worst_ratio:.1f} (target <= {MAX_RATIO:g}), worst at 2,000 characters "
        f"{worst_small:.2f} ms (target <= {MAX_SMALL_MS:g} ms); missed: {', '.join(missed) or 'none'}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
