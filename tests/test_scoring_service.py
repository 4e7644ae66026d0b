"""Per-message scoring: chunks scored, per-label max, worst chunk; sync (replay) and async (bot)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from bot.pipeline import prepare
from bot.scoring import MicroBatcher, Scores, ScoringError, ScoringService, score_many, score_prepared


class KeywordBackend:
    """Deterministic test double: insult = share of words that are 'idiot', so long text dilutes it."""

    name = "keyword"
    model_version = "keyword-1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.threads: list[int] = []

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.calls.append(list(texts))
        self.threads.append(threading.get_ident())
        out = []
        for text in texts:
            words = text.lower().split()
            hits = sum(1 for word in words if word.strip(".,!?") == "idiot")
            share = hits / max(1, len(words))
            out.append(Scores(insult=min(1.0, 4 * share), toxicity=min(1.0, 2 * share)))
        return out


LONG = " ".join(f"The talks in Damascus covered topic number {i} in some detail." for i in range(30))
INSULT_AT_END = LONG + " And you are an idiot."


def test_chunk_max_catches_an_insult_a_whole_text_score_dilutes() -> None:
    backend = KeywordBackend()
    prepared = prepare(INSULT_AT_END, max_words=32)
    whole = backend.score([prepared.text])[0]
    scored = score_prepared(backend, prepared)
    assert whole.insult < 0.05  # diluted in ~300 words
    assert scored.scores.insult > 0.5  # the last chunk alone is clearly insulting
    assert scored.worst_chunk == len(prepared.chunks) - 1
    assert "idiot" in scored.worst_text(prepared)
    assert scored.model_version == "keyword-1"
    assert scored.backend == "keyword"
    assert len(scored.chunk_scores) == len(prepared.chunks)


def test_per_label_max_over_chunks() -> None:
    backend = KeywordBackend()
    scored = score_prepared(backend, prepare(INSULT_AT_END, max_words=32))
    assert scored.scores == Scores.elementwise_max(scored.chunk_scores)


def test_empty_message_scores_zero_without_calling_the_backend() -> None:
    backend = KeywordBackend()
    scored = score_prepared(backend, prepare("   <@1> https://x.example"))
    assert scored.scores == Scores.zeros()
    assert scored.worst_chunk is None
    assert backend.calls == []


def test_score_many_pools_chunks_into_few_calls() -> None:
    backend = KeywordBackend()
    messages = [prepare(text, max_words=32) for text in ["hello", "you idiot", INSULT_AT_END, "", "hello"]]
    results = score_many(backend, messages)
    assert len(results) == 5
    assert len(backend.calls) == 1  # every chunk of every message in one backend call
    assert backend.calls[0].count("hello") == 1  # identical chunks scored once
    assert results[0].scores.insult == 0
    assert results[1].scores.insult == 1.0
    assert results[2].scores.insult > 0.5
    assert results[3].worst_chunk is None
    assert results[0] == results[4]


def test_score_many_respects_call_size() -> None:
    backend = KeywordBackend()
    messages = [prepare(f"message {i}") for i in range(10)]
    score_many(backend, messages, call_size=4)
    assert [len(call) for call in backend.calls] == [4, 4, 2]


def test_backend_returning_wrong_count_is_an_error() -> None:
    class Broken(KeywordBackend):
        def score(self, texts: Sequence[str]) -> list[Scores]:
            return []

    with pytest.raises(ScoringError, match="returned 0 scores"):
        score_prepared(Broken(), prepare("hello"))


async def test_async_through_the_batcher() -> None:
    backend = KeywordBackend()
    async with MicroBatcher(backend, max_batch=64, max_wait_ms=5) as batcher:
        service = ScoringService(batcher)
        prepared = prepare(INSULT_AT_END, max_words=32)
        scored = await service.ascore_prepared(prepared)
        empty = await service.ascore_prepared(prepare(""))
    assert scored == score_prepared(KeywordBackend(), prepared)
    assert empty.worst_chunk is None
    assert threading.get_ident() not in backend.threads


async def test_async_without_a_batcher_runs_in_a_thread() -> None:
    backend = KeywordBackend()
    service = ScoringService(backend)
    scored = await service.ascore_prepared(prepare("you idiot"))
    assert scored.scores.insult == 1.0
    assert threading.get_ident() not in backend.threads
    assert service.model_version == "keyword-1"
    assert service.backend_name == "keyword"


def test_service_sync_methods() -> None:
    service = ScoringService(KeywordBackend())
    assert service.score_prepared(prepare("you idiot")).scores.insult == 1.0
    assert [r.scores.insult for r in service.score_many([prepare("a b"), prepare("idiot")])] == [0.0, 1.0]
