"""The embedded model's lexical tier alone (``EmbeddedBackend.score_fast``), the bot's answer in a burst:
final exactly where the cascade would answer with tier 1 too, never running tier 2, never waiting for
the full model's lock."""

from __future__ import annotations

import threading

import pytest

from bot.pipeline import prepare
from bot.scoring.embedded import EmbeddedBackend

TEXTS = [
    "Thanks for the link, the article about the summit was interesting.",
    "I disagree with this policy, the numbers do not add up.",
    "lol ok",
    "nice weather today",
    "What an idiot you are, honestly.",
    "You absolute moron, learn to read.",
    "I will find you and kill you, you disgusting idiot.",
    "go back to your country you filthy immigrant",
]


@pytest.fixture(scope="module")
def backend() -> EmbeddedBackend:
    return EmbeddedBackend()


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    return [chunk for text in TEXTS for chunk in prepare(text).chunks]


def test_a_final_lexical_answer_is_the_cascades_answer(backend: EmbeddedBackend, chunks: list[str]) -> None:
    fast = backend.score_fast([*chunks, ""])
    full = backend.score([*chunks, ""])
    finals = [final for _scores, final in fast]
    assert any(finals) and not all(finals)  # ordinary chat is cleared, insults are not
    for (scores, final), whole in zip(fast, full, strict=True):
        if final:
            assert scores.as_dict() == pytest.approx(whole.as_dict(), abs=1e-6)
    assert fast[-1][1] and fast[-1][0].max()[1] == 0.0  # an empty text: zeros, final
    for (scores, final), text in zip(fast, chunks, strict=False):
        if "idiot" in text or "moron" in text:
            assert not final and scores.insult > 0.5


def test_it_never_runs_tier_2(
    backend: EmbeddedBackend, chunks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("tier 2 ran")

    monkeypatch.setattr(backend, "_get_encoder", boom)
    if backend._finetuned is not None:
        monkeypatch.setattr(backend._finetuned, "logits", boom)
    assert len(backend.score_fast(chunks)) == len(chunks)


def test_it_answers_while_the_full_model_holds_its_lock(backend: EmbeddedBackend, chunks: list[str]) -> None:
    answers: list[object] = []
    backend._lock.acquire()  # a full-model batch in progress
    try:
        worker = threading.Thread(target=lambda: answers.append(backend.score_fast(chunks[:2])))
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive() and len(answers) == 1
    finally:
        backend._lock.release()
