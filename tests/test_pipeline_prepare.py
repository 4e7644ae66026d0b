"""prepare(): the PreparedText contract, chunking, empty input, big input, properties."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from bot.pipeline import PreparedText, chunk_text, prepare, split_sentences


def test_prepared_text_is_frozen_and_complete() -> None:
    prepared = prepare("Hello <@5> https://x.example")
    assert isinstance(prepared, PreparedText)
    assert prepared.original == "Hello <@5> https://x.example"
    assert prepared.text == "Hello"
    assert prepared.chunks == ("Hello",)
    assert prepared.urls == ("https://x.example",)
    assert prepared.mentions == (5,)
    assert prepared.is_empty is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize("raw", ["", " ", "\n\t  \n", "\u200b\u200b", "<@1> <:x:2>", "** __ ~~"])
def test_empty_and_whitespace_only(raw: str) -> None:
    prepared = prepare(raw)
    assert prepared.is_empty
    assert prepared.chunks == ()
    assert not prepared.text.strip("*_ ")


def test_punctuation_only_is_empty_but_emoji_is_not() -> None:
    assert prepare("?!...").is_empty
    assert not prepare("👍").is_empty
    assert prepare("👍").chunks == ("👍",)


def test_prepare_rejects_non_str() -> None:
    with pytest.raises(TypeError):
        prepare(None)  # type: ignore[arg-type]


def test_split_sentences() -> None:
    assert split_sentences("One. Two! Three?\nFour") == ["One.", "Two!", "Three?", "Four"]


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("a short message", max_words=64) == ("a short message",)


def test_long_text_is_chunked_within_limit_and_insult_at_end_gets_a_small_chunk() -> None:
    filler = " ".join(
        f"The news from the region number {i} was discussed at length today." for i in range(20)
    )
    text = filler + " You are an idiot."
    prepared = prepare(text, max_words=32)
    assert len(prepared.chunks) > 1
    assert all(len(chunk.split()) <= 32 for chunk in prepared.chunks)
    assert prepared.chunks[-1] == "You are an idiot."  # the closing sentence also stands alone
    # every word of the text is in some chunk
    covered = set(" ".join(prepared.chunks).split())
    assert covered == set(prepared.text.split())


def test_consecutive_chunks_overlap() -> None:
    text = " ".join(f"Sentence {i} is short." for i in range(30))
    chunks = chunk_text(text, max_words=16)
    for first, second in itertools.pairwise(chunks):
        assert set(first.split()) & set(second.split())


def test_overlong_sentence_is_windowed_with_overlap() -> None:
    words = [f"w{i}" for i in range(200)]
    chunks = chunk_text(" ".join(words), max_words=50, overlap=10)
    assert all(len(c.split()) <= 50 for c in chunks)
    assert chunks[0].split()[-10:] == chunks[1].split()[:10]
    assert chunks[-1].split()[-1] == "w199"


def test_max_words_validation() -> None:
    with pytest.raises(ValueError):
        chunk_text("x", max_words=0)


def test_one_megabyte_line_is_linear() -> None:
    # Adversarial shapes for the regexes; completes quickly by construction (no nested quantifiers).
    megabyte = 1_000_000
    for text in (
        "a" * megabyte,
        "i " * (megabyte // 2),
        "[a](" * (megabyte // 4),
        "https://x" + "(" * megabyte,
        "*_" * (megabyte // 2),
        "i\u0336\u0336" * (megabyte // 3),
    ):
        prepared = prepare(text)
        assert isinstance(prepared.text, str)


def test_realistic_long_message_keeps_numbers() -> None:
    text = (
        "Don’t you know that Putin authorize 54 israeli’s strike in Syria in 2019. "
        "Not a single use of the S300 was allowed. F-35s fly 24/7 for $100 million each."
    )
    assert prepare(text).text == text


def test_short_closing_sentence_of_a_one_window_message_stands_alone() -> None:
    text = (
        "I have read every one of your posts in this thread and honestly none of them make any sense. "
        "You keep repeating the same claim about the election without a single source to back it up. "
        "Everyone here has asked you politely for evidence several times now and you just ignore all of "
        "them, every single time. Dumbass."
    )
    words = len(text.split())
    assert 55 <= words <= 64
    chunks = prepare(text).chunks
    assert chunks[0] == text
    assert chunks[-1] == "Dumbass."
    assert len(chunks) == 2


def test_closing_sentence_rule_keeps_single_sentences_whole_and_skips_long_endings() -> None:
    assert chunk_text("you are an idiot and everyone knows it") == ("you are an idiot and everyone knows it",)
    assert chunk_text("Hi there. You idiot.") == ("Hi there. You idiot.", "You idiot.")
    long_ending = "Fine. " + " ".join(["word"] * 13) + "."
    assert chunk_text(long_ending) == (long_ending,)
    # never longer than max_words
    assert all(len(c.split()) <= 3 for c in chunk_text("One. Two three four five.", max_words=3))
