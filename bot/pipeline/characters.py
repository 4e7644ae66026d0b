"""Character-level de-obfuscation: invisible characters, zalgo, full-width and fancy letters, homoglyphs.

Three steps, each linear in the text:

1. :func:`remove_invisible` drops format characters (zero-width space/joiners, bidi controls, word
   joiner, BOM, soft hyphen, tag characters), variation selectors, the Hangul fillers that render
   as blanks and lone surrogates (:func:`drop_lone_surrogates`).
2. :func:`fold_letters` maps decorated Latin letters to plain ones (small capitals, circled,
   parenthesized and squared letters, dotless i, letters with strokes: derived from the Unicode
   character names, so every such letter is covered without a hand list), strips stacked combining
   marks (zalgo) and applies NFKC (full-width forms, mathematical alphanumerics, ligatures).
3. :func:`map_homoglyphs` replaces Cyrillic, Greek, Armenian and Cherokee look-alikes with Latin
   letters inside words that are written in Latin (mixed-script words, or look-alike-only words in a
   mostly Latin message). Genuine Russian or Greek text is left alone.
"""

from __future__ import annotations

import re
import unicodedata

# Hangul fillers and the braille blank render as nothing or as a space and are used to hide words.
_BLANK_LETTERS = {0x115F: None, 0x1160: None, 0x3164: None, 0xFFA0: None, 0x2800: " "}
_VARIATION_SELECTORS = [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), 0x180B, 0x180C, 0x180D, 0x180F]
# Bidi isolates/overrides, zero-width characters etc. are category Cf; they are all removed.


class _InvisibleTable(dict):
    """``str.translate`` table: Cf characters and blanks map to nothing; computed lazily and cached."""

    def __missing__(self, codepoint: int) -> int | str | None:
        char = chr(codepoint)
        value: int | str | None = None if unicodedata.category(char) == "Cf" else codepoint
        self[codepoint] = value
        return value


_INVISIBLE = _InvisibleTable({**_BLANK_LETTERS, **dict.fromkeys(_VARIATION_SELECTORS)})
for _cp in range(0x80):
    _INVISIBLE[_cp] = _cp


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def drop_lone_surrogates(text: str) -> str:
    """Join surrogate pairs into the character they encode and drop lone surrogates.

    A lone surrogate (``"\\ud800"``, from a JSON escape or a broken client) is no character: it has no
    UTF-8 form, so tokenizers, hashers and SQLite reject the whole text. Like the other invisible
    characters it only splits words, so it is removed rather than replaced.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _SURROGATE.sub("", joined)


def remove_invisible(text: str) -> str:
    """Drop zero-width, format and filler characters and lone surrogates (they split words to dodge
    filters)."""
    return drop_lone_surrogates(text).translate(_INVISIBLE)


_LATIN_NAME = re.compile(
    r"LATIN (?:(CAPITAL|SMALL) )?LETTER (?:(SMALL CAPITAL|DOTLESS|SCRIPT) )?([A-Z])(?: WITH .*)?$"
)
# Regional indicators are flags: leave them. Parenthesized letters would become "(a)" under NFKC.


class _LatinFoldTable(dict):
    """``str.translate`` table mapping decorated Latin letters to plain ASCII ones (by Unicode name)."""

    def __missing__(self, codepoint: int) -> int | str:
        char = chr(codepoint)
        value: int | str = codepoint
        name = unicodedata.name(char, "")
        if "LATIN" in name:
            match = _LATIN_NAME.search(name)
            if match is not None:
                case, modifier, letter = match.groups()
                upper = case == "CAPITAL" and modifier != "SMALL CAPITAL"
                value = letter if upper else letter.lower()
        self[codepoint] = value
        return value


_LATIN_FOLD = _LatinFoldTable({cp: cp for cp in range(0x80)})

# Combining marks used for zalgo and decoration: diacritics, extended diacritics, supplement, marks
# for symbols, half marks, and the enclosing marks (category Me, e.g. U+20DD enclosing circle).
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_MARKS_AFTER_ASCII = re.compile(rf"(?<=[\x00-\x7f])[{_MARKS}]+")
_EXTRA_MARKS = re.compile(rf"([^\x00-\x7f{_MARKS}][{_MARKS}])[{_MARKS}]+")
_ANY_MARK = re.compile(rf"[{_MARKS}]")


def fold_letters(text: str) -> str:
    """Plain Latin letters for decorated ones, no zalgo, NFKC compatibility forms."""
    text = text.translate(_LATIN_FOLD)
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    if _ANY_MARK.search(text):
        # Marks on a Latin base are decoration (or an accent the English models don't need); on other
        # scripts keep the first mark (Cyrillic й, Greek tonos) and drop stacked extras (zalgo).
        text = _MARKS_AFTER_ASCII.sub("", text)
        text = _EXTRA_MARKS.sub(r"\1", text)
    text = unicodedata.normalize("NFKC", text)
    # NFKC can produce decorated letters again only in rare cases; one more fold keeps it idempotent.
    return text.translate(_LATIN_FOLD)


# Visual look-alikes of Latin letters (from Unicode's confusables data, restricted to single ASCII
# letter targets that look the same in Discord's font).
HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h", "ӏ": "l", "ь": "b", "ɡ": "g", "п": "n", "г": "r",
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ї": "I", "Ј": "J", "Ү": "Y",
    "Һ": "H", "Ӏ": "I", "Ԛ": "Q", "Ԝ": "W", "Ь": "b",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j", "ς": "s",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    # Armenian
    "ո": "n", "ս": "u", "օ": "o", "հ": "h", "ց": "g", "զ": "q", "ա": "w",
    # Cherokee
    "Ꭺ": "A", "Ᏼ": "B", "Ꮯ": "C", "Ꭰ": "D", "Ꭼ": "E", "Ꮐ": "G", "Ꮋ": "H", "Ꭵ": "i", "Ꭻ": "J",
    "Ꮶ": "K", "Ꮮ": "L", "Ꮇ": "M", "Ꮲ": "P", "Ꮪ": "S", "Ꭲ": "T", "Ꮩ": "V", "Ꮃ": "W", "Ꮓ": "Z",
}  # fmt: skip
_HOMOGLYPH_TABLE = str.maketrans(HOMOGLYPHS)
_HOMOGLYPH_CLASS = "".join(sorted(HOMOGLYPHS))
_HAS_HOMOGLYPH = re.compile(f"[{_HOMOGLYPH_CLASS}]")
_WORD = re.compile(r"\w+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_ONLY_HOMOGLYPHS = re.compile(f"[{_HOMOGLYPH_CLASS}0-9_]+")
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z]")


def map_homoglyphs(text: str) -> str:
    """Latin letters for look-alikes inside Latin-script words; real Cyrillic/Greek text is kept."""
    if not _HAS_HOMOGLYPH.search(text):
        return text
    latin = sum(1 for _ in _LATIN_LETTER.finditer(text))
    other = sum(1 for _ in _OTHER_LETTER.finditer(text))
    mostly_latin = latin > other

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        if not _HAS_HOMOGLYPH.search(token):
            return token
        mixed = _LATIN_LETTER.search(token) is not None
        if mixed or (mostly_latin and _ONLY_HOMOGLYPHS.fullmatch(token)):
            return token.translate(_HOMOGLYPH_TABLE)
        return token

    return _WORD.sub(word, text)
