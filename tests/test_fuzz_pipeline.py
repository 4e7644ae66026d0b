"""Fuzz: 10,000 hostile messages through ``prepare``, the address rule and the policy engine, and 1,000 of
them through the micro-batcher in front of the real embedded scorer (garbage text is the scorer's most
expensive input: long token runs, most of it in the embedding tier; 1,000 keep the file near a minute).

Seeded and deterministic (see :mod:`tests.fuzz_messages`): lone surrogates, zalgo, bidi and zero-width
characters, controls and NUL, random code points, Discord markup, and the crafted patterns of
``benchmarks/prepare_speed.py`` at up to 20,000 characters. Nothing may raise, and no message may fail
because of a batch-mate.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.pipeline import PreparedText, prepare
from bot.pipeline.address import addresses_someone
from bot.policy import Action, AuthorHistory, Decision, evaluate, load_default_policy
from bot.scoring import MicroBatcher, Scores, ScoringError
from bot.scoring.base import LABELS
from bot.scoring.embedded import EmbeddedBackend
from bot.scoring.service import ScoringService
from tests.fuzz_messages import LONG, lone_surrogate, messages

pytestmark = pytest.mark.slow  # about half a minute on 2 idle cores, most of it in the scorer

SEED = 20261203
COUNT = 10_000
SCORED = 1_000
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def fuzzed() -> list[str]:
    texts = messages(SEED, COUNT)
    assert sum(len(text) >= LONG for text in texts) >= 50  # the long ones are really there
    assert sum(any(0xD800 <= ord(char) < 0xE000 for char in text) for text in texts) >= 500
    return texts


@pytest.fixture(scope="module")
def prepared(fuzzed: list[str]) -> list[PreparedText]:
    return [prepare(text) for text in fuzzed]


@pytest.fixture(scope="module")
def backend() -> EmbeddedBackend:
    return EmbeddedBackend()


def _history(rng: random.Random) -> AuthorHistory:
    return AuthorHistory(
        warnings=[NOW - timedelta(hours=rng.uniform(0, 200)) for _ in range(rng.randrange(4))],
        timeouts=[NOW - timedelta(hours=rng.uniform(0, 200)) for _ in range(rng.randrange(2))],
    )


def _fuzzed_scores(rng: random.Random) -> Scores:
    edges = (0.0, 1.0, 0.5, 0.6999999, 0.7, 0.80000001, 0.95, 1e-12)
    return Scores(**{label: rng.choice((rng.random(), rng.choice(edges))) for label in LABELS})


def _check_decision(decision: Decision) -> None:
    assert isinstance(decision.action, Action)
    assert decision.reason
    assert set(decision.labels) <= set(LABELS)


def test_prepare_address_and_policy_never_raise_on_10k_fuzzed_messages(
    fuzzed: list[str], prepared: list[PreparedText]
) -> None:
    policy = load_default_policy()
    rng = random.Random(SEED)
    for index, (raw, result) in enumerate(zip(fuzzed, prepared, strict=True)):
        context = f"message {index} of seed {SEED}"
        assert result.original == raw, context
        assert result.is_empty == (result.chunks == ()), context
        # What reaches the scorer and storage has a UTF-8 form: no lone surrogate survives.
        result.text.encode("utf-8")
        for chunk in result.chunks:
            chunk.encode("utf-8")
            assert chunk.strip() == chunk and chunk, context
        assert isinstance(addresses_someone(result.text, mentions=len(result.mentions), is_reply=True), bool)
        decision = evaluate(
            _fuzzed_scores(rng),
            policy,
            history=_history(rng),
            channel_id=rng.choice((None, 1, 2**63 - 1)),
            author_role_ids=rng.sample(range(10), rng.randrange(3)),
            now=NOW,
            addressed=result.addressed,
        )
        _check_decision(decision)


async def test_1k_fuzzed_messages_score_through_the_batcher_with_the_real_scorer(
    fuzzed: list[str], prepared: list[PreparedText], backend: EmbeddedBackend
) -> None:
    policy = load_default_policy()
    # Every long message costs dozens of chunks: keep a handful of them, and 1,000 messages in all.
    picked = [i for i, text in enumerate(fuzzed) if len(text) < LONG][: SCORED - 5]
    picked += [i for i, text in enumerate(fuzzed) if len(text) >= LONG][:5]
    async with MicroBatcher(backend, max_batch=32, max_wait_ms=5, max_queue=COUNT * 10) as batcher:
        service = ScoringService(batcher)
        results = await asyncio.gather(
            *(service.ascore_prepared(prepared[i]) for i in picked), return_exceptions=True
        )
        # The scorer must also take raw text that was never prepared (lone surrogates and all).
        raw = [fuzzed[i][:200] for i in picked[:100]]
        raw_results = await asyncio.gather(*(batcher.score(text) for text in raw), return_exceptions=True)
    failures = [(picked[n], r) for n, r in enumerate(results) if isinstance(r, BaseException)]
    assert failures == []
    assert [r for r in raw_results if isinstance(r, BaseException)] == []
    assert batcher.failed_total == 0
    assert batcher.split_batches_total == 0
    for index, scored in zip(picked, results, strict=True):
        assert not isinstance(scored, BaseException)
        _check_decision(evaluate(scored.scores, policy, now=NOW, addressed=prepared[index].addressed))


class SurrogateIntolerant:
    """The real scorer behind the strict UTF-8 check that sklearn and the tokenizer made before the
    scorer dropped lone surrogates itself: a batch holding one such text fails as a whole."""

    name = "surrogate-intolerant"

    def __init__(self, inner: EmbeddedBackend) -> None:
        self.inner = inner
        self.calls = 0

    @property
    def model_version(self) -> str:
        return self.inner.model_version

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.calls += 1
        for text in texts:
            text.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate
        return self.inner.score(texts)


async def test_a_poisoned_message_never_fails_its_batch_mates(
    fuzzed: list[str], backend: EmbeddedBackend
) -> None:
    rng = random.Random(SEED + 1)
    clean = [text[:200] for text in fuzzed if text.isascii() and text.strip()][:160]
    poisoned_at = set(range(7, len(clean), 31))  # one poisoned text in each batch of 32, more or less
    texts = [f"{text}{lone_surrogate(rng)}" if n in poisoned_at else text for n, text in enumerate(clean)]
    wrapped = SurrogateIntolerant(backend)
    async with MicroBatcher(wrapped, max_batch=32, max_wait_ms=50, max_queue=len(texts)) as batcher:
        results = await asyncio.gather(*(batcher.score(text) for text in texts), return_exceptions=True)
    failed = {n for n, result in enumerate(results) if isinstance(result, BaseException)}
    assert failed == poisoned_at
    assert all(isinstance(results[n], ScoringError) for n in failed)
    assert batcher.scored_total == len(texts) - len(poisoned_at)
    assert batcher.failed_total == len(poisoned_at)
    # Batch-mates get the scores they get alone.
    alone = backend.score([clean[n] for n in range(len(clean)) if n not in poisoned_at][:40])
    together = [r for n, r in enumerate(results) if n not in poisoned_at][:40]
    for single, mate in zip(alone, together, strict=True):
        assert isinstance(mate, Scores)
        assert mate.as_dict() == pytest.approx(single.as_dict(), abs=0.02)
    # Isolation by halves: about 2 log2(32) extra calls per poisoned batch, not one per text.
    assert wrapped.calls <= batcher.batches_total + len(poisoned_at) * 2 * 6
