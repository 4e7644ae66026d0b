"""Tier 2 on ONNX Runtime: the exported fine-tuned encoder and heads (``training/export_onnx.py``).

One tokenizer call per batch of texts, length-bucketed sub-batches (``batching.py``), intra-op threads
matched to the usable cores, one session run per bucket. Returns the raw logits the torch pass returns.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.scoring.embedded.batching import length_buckets, pad

N_LABELS = 6


class OnnxTier2:
    """Raw tier-2 logits ``(n, 6)`` from an ONNX model (a file, or the serialised model); building it
    raises when the model cannot load or, given a ``probe`` (texts, expected logits, tolerance), when it
    does not reproduce the float model's logits on the probe texts."""

    def __init__(
        self,
        model: Path | bytes,
        threads: int,
        max_tokens: int,
        token_budget: int = 1024,
        probe: tuple[list[str], np.ndarray, float] | None = None,
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from bot.minilm import default_model_dir

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # graph optimisers' notes are not the operator's business
        source = model if isinstance(model, bytes) else str(model)
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        names = {i.name for i in self._session.get_inputs()}
        if names != {"input_ids", "attention_mask"}:
            raise ValueError(f"the graph takes {sorted(names)}, not input_ids and attention_mask")
        self.max_tokens = max_tokens
        self.token_budget = token_budget
        self.threads = threads
        self._tokenizer = Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._lock = threading.Lock()
        texts, expected, tolerance = probe or (["warm up"], None, 0.0)
        out = self.logits(texts)  # a graph that loads but computes something else fails here
        if out.shape != (len(texts), N_LABELS) or not np.isfinite(out).all():
            raise ValueError(f"the graph returns {out.shape}, not ({len(texts)}, {N_LABELS}) finite logits")
        if expected is not None and np.abs(out - expected).max() > tolerance:
            gap = float(np.abs(out - expected).max())
            raise ValueError(f"the graph's probe logits differ from the float model's by {gap:.3g}")

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits for ``texts`` (already cleaned and emoji-spelled), in order."""
        out = np.zeros((len(texts), N_LABELS), dtype=np.float32)
        if not texts:
            return out
        ids = [enc.ids for enc in self._tokenizer.encode_batch([t if t else " " for t in texts])]
        with self._lock:
            for group in length_buckets([len(x) for x in ids], self.token_budget):
                arr, mask = pad([ids[i] for i in group])
                (result,) = self._session.run(["logits"], {"input_ids": arr, "attention_mask": mask})
                out[group] = result
        return out
