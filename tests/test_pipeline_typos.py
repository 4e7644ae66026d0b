"""A dropped or swapped letter in a disguised word is put back; ordinary words and names are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline import normalize
from bot.pipeline.typos import repair_typos

SEED = Path(__file__).resolve().parents[2] / "shared/seed/thread.txt"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you are an idot", "you are an idiot"),
        ("what a sutpid take", "what a stupid take"),
        ("I hate mslims", "I hate muslims"),
        ("Go away, MOORN", "Go away, MORON"),
        ("fck off", "fuck off"),
        ("the Mexcians next door", "the Mexicans next door"),
        ("such a btch", "such a bitch"),
        ("FUKCER", "FUCKER"),  # all capitals, long enough not to be an acronym
        ("SHT happens", "SHIT happens"),
    ],
)
def test_disguised_words_are_repaired(text: str, expected: str) -> None:
    assert repair_typos(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Assad met Putin in Damascus",  # one substitution from "assed": substitutions are never repaired
        "I posted the pics of my dads boat",  # "pics" is not "spics", "dads" not "deads"
        "the cons outweigh the pros",  # inflection of a known word
        "that itch will not go away",  # a letter is never put in front
        "the haters will say the omen is fake",
        "Twas the night before the vote",
        "an S300 battery and F16s",  # digits are not letters
        "hte",  # three letters: only the fck/sht skeletons are repaired
        "i cnt believe it",  # "can't" as often as anything else
        # names and places the vocabulary lacks: a capitalised word never becomes an insult or a slur
        "you should listen to Moro on this",
        "Marcel Bich founded BIC",
        "El Pais reported it",
        "Coos Bay",
        "Cetin said so",
        "Ilam province",  # a short capitalised word is not even repaired to a group name
        # acronyms and other languages
        "Turn off TTS",
        "SPC Jones",
        "moro em Sao Paulo",
        "meus pais",
        "ich bin quer",
        "puss in boots",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert repair_typos(text) == text


def test_two_candidates_means_no_repair() -> None:
    assert repair_typos("womn") == "womn"  # "woman" or "women": not ours to guess
    assert repair_typos("bich") == "bitch"  # one candidate, lower case


def test_plurals_are_real_plurals() -> None:
    assert repair_typos("jewihs") == "jewish"  # not "jewishs"
    assert repair_typos("tarshes") == "trashes"
    assert repair_typos("womans") == "womans"  # no "womans" target to reach


def test_pipeline_repairs_after_merging_spaced_letters() -> None:
    assert normalize("you are an i d o t") == "you are an idiot"


@pytest.mark.skipif(not SEED.exists(), reason="needs ../shared/seed/thread.txt")
def test_seed_thread_words_are_untouched() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert [repair_typos(line) for line in lines] == lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you thiis clown", "you this clown"),
        ("I agreee with youu", "I agree with you"),
        ("the minisster lied", "the minister lied"),
        # a doubled letter that reads as an inflection of something ("eve" + "er", "onl" + "ly")
        ("If I eveer meet you", "If I ever meet you"),
        ("they onlly come here", "they only come here"),
        ("Reallly?", "Really?"),
    ],
)
def test_one_doubled_letter_is_undone_when_a_vocabulary_word_remains(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Pres.Putin met Assad",
        "no tomorrow for the squatters",
        "Hassan spoke",
        # real inflections whose undoubled form is a rarer word: "needles", "diners", "hoped"
        "needless to say",
        "the dinners were lovely",
        "he hopped off the bus",
        "a bigger army",
    ],
)
def test_names_and_inflections_keep_their_doubled_letters(text: str) -> None:
    assert normalize(text) == text
