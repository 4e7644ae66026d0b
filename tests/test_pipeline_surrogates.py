"""Lone surrogates: dropped by ``prepare`` and by every scorer, which also take text never prepared.

A lone surrogate (``"\\ud800"``, from a JSON escape) has no UTF-8 form: sklearn's hasher, the MiniLM and
detoxify tokenizers and SQLite all reject a text holding one, and with it the whole batch.
"""

from __future__ import annotations

import threading

import pytest

from bot.pipeline import normalize, prepare
from bot.pipeline.characters import drop_lone_surrogates, remove_invisible
from bot.scoring import Scores
from bot.scoring.detoxify_backend import DetoxifyBackend
from bot.scoring.embedded import EmbeddedBackend
from bot.scoring.embedded.textprep import clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("id\ud800iot", "idiot"),  # like a zero-width space, it only splits the word
        ("a\udfffb", "ab"),
        ("\ud83d\ude00", "😀"),  # a valid pair written as two code points becomes its character
        ("\ude00\ud83d", ""),  # a pair the wrong way round is two lone surrogates
        ("x\ud83d", "x"),
        ("plain ascii", "plain ascii"),
        ("déjà vu 😀", "déjà vu 😀"),
    ],
)
def test_drop_lone_surrogates(raw: str, clean: str) -> None:
    assert drop_lone_surrogates(raw) == clean
    assert remove_invisible(raw) == clean


def test_prepare_drops_them_and_keeps_the_original() -> None:
    prepared = prepare("you are an id\ud800iot\udc00")
    assert prepared.text == "you are an idiot"
    assert prepared.chunks == ("you are an idiot",)
    assert prepared.original == "you are an id\ud800iot\udc00"
    assert prepare("\ud800\udbff").is_empty
    assert normalize("\ud800 hello \udfff") == "hello"


def test_clean_text_drops_them() -> None:
    assert clean_text("hi \ud800 there &#xd800; &amp;") == "hi there \ufffd &"


@pytest.fixture(scope="module")
def embedded() -> EmbeddedBackend:
    return EmbeddedBackend()


def test_the_embedded_scorer_takes_unprepared_text_with_lone_surrogates(embedded: EmbeddedBackend) -> None:
    texts = ["hello \ud800 there", "you are an id\udfffiot", "\ud800", "ordinary text"]
    scores = embedded.score(texts)
    assert len(scores) == 4
    # The same as the text without them (up to float rounding: batch-mates pad the encoder's batch).
    expected = embedded.score(["hello there", "you are an idiot", "", "ordinary text"])
    for got, want in zip(scores, expected, strict=True):
        assert got.as_dict() == pytest.approx(want.as_dict(), abs=1e-4)
    assert scores[2] == Scores.zeros()  # nothing left to score


class _StrictModel:
    """Stands in for detoxify's model: its tokenizer refuses text without a UTF-8 form."""

    def predict(self, texts: list[str]) -> dict[str, list[float]]:
        for text in texts:
            text.encode("utf-8")
        return {label: [0.5] * len(texts) for label in ("toxic", "insult")}


def test_the_detoxify_scorer_drops_them_before_its_tokenizer() -> None:
    backend = DetoxifyBackend.__new__(DetoxifyBackend)  # no checkpoint: only the batching path runs
    backend._model = _StrictModel()
    backend._lock = threading.Lock()
    backend.batch_size = 2
    scores = backend.score(["a \ud800 b", "fine", "\udfff"])
    assert [s.toxicity for s in scores] == [0.5, 0.5, 0.5]
